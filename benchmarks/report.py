"""Writing a run down: machine information, ``results.json``,
``results.md`` and ``memory.md``."""

from __future__ import annotations

import datetime
import json
import os
import platform
import subprocess
from importlib import metadata
from pathlib import Path
from typing import Any, Optional

__all__ = [
    "cell",
    "distribution_version",
    "fmt_bytes",
    "fmt_ns",
    "machine_info",
    "markdown",
    "one_line",
    "write",
]

ROOT = Path(__file__).resolve().parent.parent
SOURCES = ("src", "crates", "python", "Cargo.toml", "Cargo.lock", "pyproject.toml")


def distribution_version(name: Optional[str]) -> Optional[str]:
    if name is None:
        return None
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return None


def _cpu_model() -> str:
    try:
        with open("/proc/cpuinfo") as cpuinfo:
            for line in cpuinfo:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _git(*args: str) -> Optional[str]:
    try:
        done = subprocess.run(
            ["git", *args], cwd=ROOT, capture_output=True, text=True, check=True, timeout=10
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return done.stdout.strip()


def machine_info() -> dict[str, Any]:
    commit = _git("rev-parse", "--short", "HEAD")
    changed = _git("status", "--porcelain", "--untracked-files=no", "--", *SOURCES)
    return {
        "cpu": _cpu_model(),
        "cpus": os.cpu_count(),
        "python": f"{platform.python_implementation()} {platform.python_version()}",
        "os": platform.platform(),
        "load_average": [round(x, 2) for x in os.getloadavg()] if hasattr(os, "getloadavg") else None,
        "dioxide_commit": None if commit is None else commit + ("+changes" if changed else ""),
        "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
    }


def fmt_ns(ns: float) -> str:
    if ns < 1_000:
        return f"{ns:.0f} ns" if ns >= 100 else f"{ns:.1f} ns"
    if ns < 1_000_000:
        return f"{ns / 1e3:.2f} µs"
    return f"{ns / 1e6:.1f} ms"


def fmt_bytes(value: float) -> str:
    if abs(value) < 10_000:
        return f"{value:,.0f} B"
    return f"{value / 1024:,.0f} KiB"


def cell(row: Optional[dict[str, Any]], ratio_key: str = "ratio_handwritten") -> str:
    if row is None:
        return ""
    status = str(row.get("status"))
    if status != "ok":
        return {"n/a": "n/a", "check failed": "fails check"}.get(status, "error")
    cell = fmt_ns(row["median_ns"])
    if ratio_key in row:
        cell += f" ({row[ratio_key]:.2f}x)"
    return cell


def _header(results: dict[str, Any]) -> list[str]:
    m = results["machine"]
    c = results["config"]
    return [
        f"- Machine: {m['cpu']}, {m['cpus']} CPUs, {m['os']}; load average at start "
        f"{m['load_average']}",
        f"- {m['python']}; dioxide commit {m['dioxide_commit']}; run {m['date']}",
        f"- {c['rounds']} interleaved rounds of ~{c['sample_seconds'] * 1000:.0f} ms samples per "
        f"framework (S1-S6); S7 and import time: {c['startup_rounds']} and {c['import_rounds']} "
        f"fresh processes each; whole run {results.get('elapsed_seconds', '?')} s"
        + (" (**--quick: smoke run, numbers not meaningful**)" if c["quick"] else ""),
    ]


def markdown(results: dict[str, Any]) -> str:
    fws = results["frameworks"]
    scenarios = results["scenarios"]
    lines = ["# dioxide benchmark results", ""]
    lines += _header(results)
    lines += ["", "## Targets", "", "| target | measured | met |", "|---|---|---|"]
    for t in results.get("targets", []):
        met = {True: "yes", False: "**no**", None: "?"}[t["met"]]
        lines.append(f"| {t['target']} | {t['measured']} | {met} |")
    ids = list(scenarios)
    lines += [
        "",
        "## Summary",
        "",
        "Median time per operation; in brackets the ratio to hand-written "
        "construction (S1 also has a dict-lookup row). Lower is better.",
        "",
        "| framework | version | " + " | ".join(f"{i} {scenarios[i]['title']}" for i in ids) + " | import |",
        "|---|---|" + "---:|" * (len(ids) + 1),
    ]
    imports = results.get("import_ms", {})
    for name, info in fws.items():
        label = f"**{info['label']}**" if name == "dioxide" else info["label"]
        if info.get("status") != "ok":
            lines.append(f"| {label} | | {info['status']} |" + " |" * len(ids))
            continue
        cells = [cell(scenarios[i]["rows"].get(name)) for i in ids]
        imp = imports.get(name)
        imp_cell = "" if imp is None else (f"{imp['median_ms']:.1f} ms" if imp.get("status") == "ok" else "error")
        lines.append(f"| {label} | {info.get('version') or ''} | " + " | ".join(cells) + f" | {imp_cell} |")
    lines += ["", "## Per scenario", ""]
    for i in ids:
        section = scenarios[i]
        has_dict = any("ratio_dict" in r for r in section["rows"].values())
        lines += [f"### {i}: {section['title']}", ""]
        head = "| framework | median | min | x hand-written |" + (" x dict lookup |" if has_dict else "")
        lines += [head, "|---|---:|---:|---:|" + ("---:|" if has_dict else "")]
        notes = []
        for name, row in section["rows"].items():
            label = fws[name]["label"]
            if row.get("status") != "ok":
                lines.append(f"| {label} | {row['status']} | | |" + (" |" if has_dict else ""))
                notes.append(f"- {label}: {row['status']}: {row.get('reason', '')}")
                continue
            ratio = row.get("ratio_handwritten")
            cells = [label, fmt_ns(row["median_ns"]), fmt_ns(row["min_ns"]), "" if ratio is None else f"{ratio:.2f}"]
            if has_dict:
                cells.append(f"{row['ratio_dict']:.2f}" if "ratio_dict" in row else "")
            lines.append("| " + " | ".join(cells) + " |")
        lines += [""] + notes + ([""] if notes else [])
    if imports:
        lines += ["### import time (fresh `python -I`, median)", "", "| framework | modules | median | min |", "|---|---|---:|---:|"]
        for name, row in imports.items():
            if row.get("status") == "ok":
                lines.append(
                    f"| {fws[name]['label']} | `{', '.join(row['modules'])}` | "
                    f"{row['median_ms']:.1f} ms | {row['min_ms']:.1f} ms |"
                )
            else:
                lines.append(f"| {fws[name]['label']} | | {row['status']}: {row.get('reason', '')} | |")
        lines.append("")
    lines += ["## How each framework is used", ""]
    for info in fws.values():
        if info.get("doc"):
            doc = " ".join(info["doc"].split())
            wiring = "autowiring" if info.get("autowiring") else "explicit wiring"
            lines.append(f"- **{info['label']}** ({wiring}): {doc}")
    return "\n".join(lines) + "\n"


def memory_markdown(results: dict[str, Any]) -> str:
    mem = results["memory"]
    lines = ["# dioxide memory", ""] + _header(results) + [""]
    if mem.get("status") == "error":
        return "\n".join(lines + [f"The memory run failed: {mem.get('reason')}", ""])
    p, s, g = mem["per_provider"], mem["per_singleton"], mem["growth"]
    heap = "register_class_heap" in p

    def row(label: str, data: dict[str, Any], field: str) -> str:
        cells = [data[f"{field}_rss"], data[f"{field}_tracemalloc"]]
        if heap:
            cells.append(data[f"{field}_heap"])
        return f"| {label} | " + " | ".join(fmt_bytes(c) for c in cells) + " |"

    columns = "| RSS | tracemalloc |" + (" C heap in use |" if heap else "")
    rule = "|---:|---:|" + ("---:|" if heap else "")
    lines += [
        "RSS is the process's resident memory (`/proc/self/statm`), which includes the Rust "
        "core's heap, in pages: memory one step frees and the next reuses moves between "
        "them. tracemalloc counts Python allocations only. The C heap in use (glibc's "
        "`mallinfo2`) counts the Rust core's allocations to the byte, and Python's above "
        "512 bytes. Each figure comes from its own run on fresh classes.",
        "",
        f"## Bytes per registered provider ({p['count']:,} classes, two dependencies each)",
        "",
        "| registration " + columns,
        "|---" + rule,
        row("`container.register_class(cls)`", p, "register_class"),
        row(
            "`@component` + `Container()` (the process-wide registry and the container's copy)",
            p,
            "decorated",
        ),
        "",
        f"## Bytes per cached singleton ({s['count']:,} singletons; the instance itself is "
        f"{s['instance_size']} B)",
        "",
        "| " + columns,
        "|---" + rule,
        row("first resolve (builds the plan and the instance, caches it)", s, "first_resolve"),
        row("second resolve (served from the cache)", s, "again"),
        "",
        f"## Growth over {g['resolves']:,} resolves",
        "",
        "Memory after the first tenth of the resolves and after all of them (after a "
        "`gc.collect()`); a leak would grow with the count.",
        "",
        "| workload | time resolving | RSS after 1/10 | RSS at end | RSS growth | tracemalloc growth |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for name, row in g.items():
        if not isinstance(row, dict):
            continue
        rss = row["rss_samples"]
        lines.append(
            f"| {name} | {row['rss_seconds']:.2f} s | {fmt_bytes(rss[0])} | {fmt_bytes(rss[-1])} | "
            f"{fmt_bytes(row['rss_growth'])} | {fmt_bytes(row['tracemalloc_growth'])} |"
        )
    return "\n".join(lines) + "\n"


def one_line(section: dict[str, Any]) -> str:
    parts = []
    for name, row in section["rows"].items():
        if row.get("status") == "ok":
            parts.append(f"{name} {fmt_ns(row['median_ns'])}")
        else:
            parts.append(f"{name} {row.get('status')}")
    return "  " + ", ".join(parts)


def write(results: dict[str, Any], out: Path) -> None:
    """``results.json``, ``results.md`` and (when measured) ``memory.md``."""
    out.mkdir(parents=True, exist_ok=True)
    (out / "results.json").write_text(json.dumps(results, indent=1, ensure_ascii=False) + "\n")
    (out / "results.md").write_text(markdown(results))
    if results.get("memory"):
        (out / "memory.md").write_text(memory_markdown(results))
