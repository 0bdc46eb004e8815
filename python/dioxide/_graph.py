"""Rendering a container's providers as Mermaid or Graphviz DOT text."""

from __future__ import annotations

import re
from typing import Any

from dioxide.exceptions import DioxideTypeError

__all__ = ["render_graph"]

#: ``(name, provides, target, lifetime, kind, deps, explicit, exposes)`` as
#: the Rust core's ``_providers`` returns it.
ProviderRow = tuple[str, Any, Any, str, str, list[tuple[str, str, bool]], bool, list[str]]


def _node_id(name: str) -> str:
    return "n_" + re.sub(r"\W", "_", name)


def render_graph(rows: list[ProviderRow], format: str) -> str:
    """Every provider as a node labelled with its lifetime, an edge per
    dependency, and interfaces pointing at their implementations."""
    nodes: dict[str, str] = {}
    edges: list[tuple[str, str, str]] = []
    for name, _provides, _target, lifetime, kind, deps, _explicit, exposes in rows:
        label = lifetime if kind != "instance" else "instance"
        nodes[name] = f"{name} ({label})"
        for interface in exposes:
            nodes.setdefault(interface, f"{interface} (interface)")
            edges.append((interface, name, ""))
        for param, dep, resolvable in deps:
            nodes.setdefault(dep, dep if resolvable else f"{dep} (missing)")
            edges.append((name, dep, param))
    if format == "mermaid":
        lines = ["graph TD"]
        lines += [f'    {_node_id(n)}["{label}"]' for n, label in nodes.items()]
        lines += [
            f"    {_node_id(a)} -->|{p}| {_node_id(b)}" if p else f"    {_node_id(a)} -.-> {_node_id(b)}"
            for a, b, p in edges
        ]
        return "\n".join(lines) + "\n"
    if format == "dot":
        lines = ["digraph dioxide {", "    rankdir=TB;", "    node [shape=box];"]
        lines += [f'    "{n}" [label="{label}"];' for n, label in nodes.items()]
        lines += [
            f'    "{a}" -> "{b}" [label="{p}"];' if p else f'    "{a}" -> "{b}" [style=dashed];'
            for a, b, p in edges
        ]
        lines.append("}")
        return "\n".join(lines) + "\n"
    raise DioxideTypeError(
        f"graph() supports 'mermaid' and 'dot', got {format!r}",
        hint='call container.graph("mermaid") or container.graph("dot")',
    )
