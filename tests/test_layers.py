"""The layers stay layered: the domain crate knows nothing of Python, and
the binding's modules form a DAG (no import circle between them)."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BINDINGS = ROOT / "src" / "bindings"


def binding_modules() -> dict[str, str]:
    """Each top-level module of ``src/bindings`` with its source (a
    directory module's files together)."""
    sources: dict[str, str] = {}
    for path in sorted(BINDINGS.rglob("*.rs")):
        relative = path.relative_to(BINDINGS)
        if relative == Path("mod.rs"):
            continue
        top = relative.parts[0].removesuffix(".rs")
        sources[top] = sources.get(top, "") + path.read_text()
    return sources


def module_graph() -> dict[str, set[str]]:
    sources = binding_modules()
    graph: dict[str, set[str]] = {}
    for name, text in sources.items():
        used: set[str] = set()
        for found in re.finditer(r"crate::bindings::(\{[^}]*\}|\w+)", text):
            used.update(re.findall(r"\w+", found.group(1)))
        if (BINDINGS / f"{name}.rs").exists():
            # In a file directly under bindings/, `super::` is bindings.
            for found in re.finditer(r"\bsuper::(\{[^}]*\}|\w+)", text):
                used.update(re.findall(r"\w+", found.group(1)))
        graph[name] = {m for m in used if m in sources and m != name}
    return graph


def find_cycle(graph: dict[str, set[str]]) -> list[str]:
    state: dict[str, int] = {}

    def visit(node: str, path: list[str]) -> list[str]:
        state[node] = 1
        for dep in sorted(graph[node]):
            if state.get(dep) == 1:
                return [*path, node, dep]
            if dep not in state:
                cycle = visit(dep, [*path, node])
                if cycle:
                    return cycle
        state[node] = 2
        return []

    for node in sorted(graph):
        if node not in state:
            cycle = visit(node, [])
            if cycle:
                return cycle
    return []


def test_binding_modules_form_a_dag() -> None:
    graph = module_graph()

    assert len(graph) > 10  # the parser found the modules
    assert find_cycle(graph) == []


def test_the_cycle_finder_finds_a_cycle() -> None:
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]


def test_the_domain_crate_does_not_know_python() -> None:
    crate = ROOT / "crates" / "dioxide-core"
    manifest = (crate / "Cargo.toml").read_text()
    sources = "".join(p.read_text() for p in (crate / "src").rglob("*.rs"))

    dependencies = manifest.partition("[dependencies]")[2]
    assert not re.search(r"^pyo3", dependencies, re.M)
    assert "pyo3::" not in sources
