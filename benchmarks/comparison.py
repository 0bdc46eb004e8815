"""Write ``docs/comparison.md`` from the results of the last ``make bench``.

The page's numbers are never typed in: they come from
``benchmarks/results/results.json``, and ``tests/test_comparison.py`` fails
when the page differs from what this module makes of that file. ``make
bench`` runs it after measuring::

    python -m benchmarks.comparison            # write docs/comparison.md
    python -m benchmarks.comparison --check    # exit 1 if the page is stale

The feature table is the one part written by hand: what each library's own
documentation says it does, for the version pinned in
``benchmarks/requirements.txt``, checked on :data:`FEATURES_CHECKED`.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any, Optional

from benchmarks.report import cell, fmt_bytes, fmt_ns

__all__ = ["FEATURES", "FEATURES_CHECKED", "PAGE", "RESULTS_JSON", "main", "render"]

HERE = Path(__file__).resolve().parent
RESULTS_JSON = HERE / "results" / "results.json"
PAGE = HERE.parent / "docs" / "comparison.md"

#: The libraries of the feature table: the peers users most often come from.
LIBRARIES = ("dioxide", "dependency_injector", "dishka", "wireup", "that_depends", "injector")
#: When the feature table was last checked against each library's docs.
FEATURES_CHECKED = "2026-12-06"

#: ``(feature, {library: what its documentation says})``; "yes" and "no"
#: are plain answers, anything longer says how.
FEATURES: tuple[tuple[str, dict[str, str]], ...] = (
    (
        "Wiring read from type hints",
        {
            "dioxide": "yes",
            "dependency_injector": "no: each dependency is passed to its provider",
            "dishka": "yes (each class listed in a `Provider`)",
            "wireup": "yes",
            "that_depends": "no: each dependency is passed to its provider",
            "injector": "yes (`@inject` on `__init__`)",
        },
    ),
    (
        "Scope object per request or job",
        {
            "dioxide": "yes (`create_scope()`)",
            "dependency_injector": "no: `ContextLocalSingleton`/`Resource` reset by hand",
            "dishka": "yes, nested levels (APP, REQUEST, ACTION, STEP)",
            "wireup": "yes (`enter_scope()`)",
            "that_depends": "yes (`container_context`, `ContextScopes`)",
            "injector": "no (flask-injector adds one for Flask)",
        },
    ),
    (
        "Async providers",
        {
            "dioxide": "yes (`aresolve`)",
            "dependency_injector": "yes",
            "dishka": "yes (`make_async_container`)",
            "wireup": "yes (`create_async_container`)",
            "that_depends": "yes",
            "injector": "no",
        },
    ),
    (
        "Cleanup of resources",
        {
            "dioxide": "yes: generators and context managers, closed in reverse order",
            "dependency_injector": "yes: `Resource`, `shutdown_resources()`",
            "dishka": "yes: generators, `container.close()`",
            "wireup": "yes: generator factories",
            "that_depends": "yes: `Resource`, `ContextResource`",
            "injector": "no",
        },
    ),
    (
        "Configuration",
        {
            "dioxide": "named values (`register_value`, `Value`)",
            "dependency_injector": "yes: `Configuration` from YAML, INI, JSON, env, pydantic",
            "dishka": "no loader: settings come from a provider or the context",
            "wireup": "a config dict injected by key (`Inject(config=...)`)",
            "that_depends": "no loader: a provider returns the settings object",
            "injector": "no",
        },
    ),
    (
        "Overrides for tests",
        {
            "dioxide": "yes (`override()`, nestable, thread-safe)",
            "dependency_injector": "yes (`provider.override()`)",
            "dishka": "a replacing provider in the test's container",
            "wireup": "yes (`container.override`)",
            "that_depends": "yes (`override()`, `override_providers()`)",
            "injector": "a different binding in the test's injector",
        },
    ),
    (
        "Graph checked before the first resolve",
        {
            "dioxide": "yes: cycles refused at registration, `validate()`, `python -m dioxide check`",
            "dependency_injector": "undefined dependencies (`check_dependencies()`)",
            "dishka": "yes, when the container is made",
            "wireup": "yes, when the container is made",
            "that_depends": "no",
            "injector": "no: cycles found when resolving",
        },
    ),
    (
        "Graph drawing",
        {
            "dioxide": "yes: Mermaid, DOT, text tree, SVG/PNG (`python -m dioxide graph`)",
            "dependency_injector": "no",
            "dishka": "yes (`dishka.plotter`)",
            "wireup": "no",
            "that_depends": "no",
            "injector": "no",
        },
    ),
    (
        "Integrations in the package",
        {
            "dioxide": "FastAPI, Flask, pytest",
            "dependency_injector": "any framework through wiring; helpers for Flask, aiohttp, "
            "Starlette",
            "dishka": "aiogram, aiohttp, arq, Celery, Click, FastAPI, FastStream, Flask, gRPC, "
            "Litestar, Sanic, Starlette, Taskiq, Telebot, ...",
            "wireup": "aiohttp, ASGI, Celery, Click, Django, FastAPI, FastMCP, Flask, Starlette, "
            "Typer",
            "that_depends": "FastAPI, FastStream",
            "injector": "none (flask-injector and others are separate projects)",
        },
    ),
    (
        "Core written in",
        {
            "dioxide": "Rust",
            "dependency_injector": "Cython",
            "dishka": "Python",
            "wireup": "Python",
            "that_depends": "Python",
            "injector": "Python",
        },
    ),
)

_SPEED = ("S1", "S2", "S3", "S4", "S5", "S6")


def _label(results: dict[str, Any], name: str) -> str:
    info = results["frameworks"].get(name, {})
    label = str(info.get("label", name))
    return f"**{label}**" if name == "dioxide" else label


def _version(results: dict[str, Any], name: str) -> str:
    version: Optional[str] = results["frameworks"].get(name, {}).get("version")
    return version or ""


def _table(header: list[str], rows: list[list[str]], align: str) -> list[str]:
    """A markdown table; ``align`` has one letter per column, l or r."""
    lines = ["| " + " | ".join(header) + " |"]
    lines.append("|" + "|".join("---:" if a == "r" else "---" for a in align) + "|")
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return lines


def _fastest_peer(section: dict[str, Any], results: dict[str, Any]) -> Optional[str]:
    timed = {
        name: row["median_ns"]
        for name, row in section["rows"].items()
        if row.get("status") == "ok" and not results["frameworks"][name].get("baseline")
    }
    return min(timed, key=timed.__getitem__) if timed else None


def _speed(results: dict[str, Any]) -> list[str]:
    scenarios = results["scenarios"]
    ids = [i for i in _SPEED if i in scenarios]
    fastest = {i: _fastest_peer(scenarios[i], results) for i in ids}
    rows = []
    for name, info in results["frameworks"].items():
        if info.get("status") != "ok" or name == "dict_lookup":
            continue
        cells = []
        for i in ids:
            text = cell(scenarios[i]["rows"].get(name)) or "not run"
            cells.append(f"**{text}**" if fastest[i] == name else text)
        rows.append([_label(results, name), _version(results, name), *cells])
    header = ["library", "version"] + [f"{i} {scenarios[i]['title']}" for i in ids]
    lines = [
        "## Speed per scenario",
        "",
        "Median time per operation, and in brackets its ratio to hand-written "
        "construction (lower is better); the fastest library of each column is "
        "in bold. *n/a*: the library has no such feature (its adapter says why); "
        "*fails check*: it built the wrong objects, so it was not timed.",
        "",
    ]
    lines += _table(header, rows, "ll" + "r" * len(ids))
    s1 = scenarios.get("S1", {}).get("rows", {})
    lookup, ours = s1.get("dict_lookup", {}), s1.get("dioxide", {})
    if lookup.get("status") == "ok" and "ratio_dict" in ours:
        lines += [
            "",
            f"For S1 a plain `dict` lookup takes {fmt_ns(lookup['median_ns'])}; "
            f"dioxide's cached singleton takes {ours['ratio_dict']:.2f}x that.",
        ]
    return lines


def _startup(results: dict[str, Any]) -> list[str]:
    section = results["scenarios"].get("S7")
    if section is None:
        return []
    fastest = _fastest_peer(section, results)
    measured_memory = any("rss_median_bytes" in row for row in section["rows"].values())
    rows = []
    for name, row in section["rows"].items():
        time = cell(row)
        cells = [_label(results, name), f"**{time}**" if name == fastest else time]
        if measured_memory:
            rss = row.get("rss_median_bytes")
            cells.append("" if rss is None else fmt_bytes(rss))
        cells.append("yes" if results["frameworks"][name].get("autowiring") else "no")
        rows.append(cells)
    lines = [
        "## Start-up" + (" and its memory" if measured_memory else ""),
        "",
        f"S7: {section['title']}, in a fresh interpreter per measurement; the "
        "fastest library in bold.",
    ]
    if measured_memory:
        lines[-1] += (
            " *Resident memory* is what the process grew by from before "
            "registering to after the first resolve (median of the same runs; "
            "the graph's objects, the same for every library, included)."
        )
        header, align = ["library", "start-up", "resident memory", "reads type hints"], "lrrl"
    else:
        lines[-1] += (
            " This results file predates the start-up memory measurement: the "
            "next `make bench` adds it."
        )
        header, align = ["library", "start-up", "reads type hints"], "lrl"
    return lines + [""] + _table(header, rows, align)


def _imports(results: dict[str, Any]) -> list[str]:
    imports = results.get("import_ms", {})
    if not imports:
        return []
    rows = []
    for name, row in imports.items():
        if row.get("status") == "ok":
            rows.append([_label(results, name), f"`{', '.join(row['modules'])}`", f"{row['median_ms']:.1f} ms"])
        else:
            rows.append([_label(results, name), "", str(row.get("status"))])
    lines = ["## Import time", "", "`import` in a fresh `python -I`, median.", ""]
    return lines + _table(["library", "modules", "import"], rows, "llr")


def _memory(results: dict[str, Any]) -> list[str]:
    memory = results.get("memory")
    if not memory or memory.get("status") == "error":
        return []
    provider, singleton, growth = memory["per_provider"], memory["per_singleton"], memory["growth"]
    grown = [
        f"{name} {fmt_bytes(row['rss_growth'])}"
        for name, row in growth.items()
        if isinstance(row, dict)
    ]
    return [
        "## dioxide's memory in detail",
        "",
        "Measured for dioxide alone (the [performance page](performance.md#memory) has the "
        "tables): resident memory, which includes the Rust core's heap.",
        "",
        f"- per registered provider: {fmt_bytes(provider['register_class_rss'])} "
        f"(`register_class`), {fmt_bytes(provider['decorated_rss'])} (decorated)",
        f"- per cached singleton, beyond the instance: {fmt_bytes(singleton['first_resolve_rss'])}",
        f"- growth over {growth['resolves']:,} resolves: " + ", ".join(grown),
    ]


def _features(results: dict[str, Any]) -> list[str]:
    header = ["feature"] + [
        f"{_label(results, name)} {_version(results, name)}".strip() for name in LIBRARIES
    ]
    rows = [[feature] + [cells[name] for name in LIBRARIES] for feature, cells in FEATURES]
    lines = [
        "## Features",
        "",
        "What each library's documentation says it does, for the versions above "
        f"(checked on {FEATURES_CHECKED}). The [migration guides](migration/index.md) "
        "map each library's concepts to dioxide's, with code.",
        "",
    ]
    return lines + _table(header, rows, "l" * len(header))


def render(results: dict[str, Any]) -> str:
    """The comparison page for one results document of ``benchmarks.run``."""
    machine, config = results["machine"], results["config"]
    quick = " **A `--quick` smoke run: these numbers mean nothing.**" if config.get("quick") else ""
    lines = [
        "# Comparison",
        "",
        "<!-- Generated by `python -m benchmarks.comparison` from "
        "benchmarks/results/results.json: do not edit. -->",
        "",
        "dioxide against hand-written code and the other dependency-injection "
        "libraries for Python, from the last `make bench` "
        "([how it is measured](performance.md#how-it-is-measured)).",
        "",
        f"- **Measured** {machine['date']}, dioxide commit `{machine['dioxide_commit']}`.{quick}",
        f"- **Machine**: {machine['cpu']}, {machine['cpus']} CPUs, {machine['os']}, "
        f"{machine['python']}; load average at the start {machine['load_average']}.",
        f"- **Method**: {config['rounds']} interleaved rounds of "
        f"~{config['sample_seconds'] * 1000:.0f} ms samples per library and scenario; "
        f"start-up and import time in {config['startup_rounds']} and "
        f"{config['import_rounds']} fresh processes each.",
        "",
        "Numbers depend on the machine and its load: compare within this page, "
        "not with another machine's.",
        "",
    ]
    for part in (_speed, _startup, _imports, _memory, _features):
        section = part(results)
        if section:
            lines += section + [""]
    return "\n".join(lines).rstrip("\n") + "\n"


def main(argv: Optional[list[str]] = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.comparison", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument("--results", type=Path, default=RESULTS_JSON, help="results.json to read")
    parser.add_argument("--out", type=Path, default=PAGE, help="the page to write")
    parser.add_argument("--check", action="store_true", help="exit 1 if the page is not up to date")
    args = parser.parse_args(argv)
    page = render(json.loads(args.results.read_text(encoding="utf-8")))
    if args.check:
        current = args.out.read_text(encoding="utf-8") if args.out.is_file() else ""
        if current != page:
            print(f"{args.out} is stale: run `python -m benchmarks.comparison`", file=sys.stderr)
            return 1
        return 0
    args.out.write_text(page, encoding="utf-8")
    print(f"wrote {args.out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
