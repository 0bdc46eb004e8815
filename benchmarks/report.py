"""Turning measurements into ``results.json``, ``results.md``,
``results.png`` and ``memory.md``, and checking the performance targets."""

from __future__ import annotations

import datetime
import json
import os
import platform
import subprocess
import sys
from importlib import metadata
from pathlib import Path
from typing import Any, Optional

__all__ = [
    "add_ratios",
    "distribution_version",
    "machine_info",
    "one_line",
    "targets",
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


# --- ratios and targets ---------------------------------------------------


def _median(section: dict[str, Any], name: str) -> Optional[float]:
    row = section["rows"].get(name)
    if row is None or row.get("status") != "ok":
        return None
    value: float = row["median_ns"]
    return value


def add_ratios(section: dict[str, Any]) -> None:
    """``ratio_handwritten`` (and ``ratio_dict`` where there is a dict row)
    on every measured row: median over the baseline's median."""
    for baseline, key in (("handwritten", "ratio_handwritten"), ("dict_lookup", "ratio_dict")):
        base = _median(section, baseline)
        if base is None:
            continue
        for row in section["rows"].values():
            if row.get("status") == "ok":
                row[key] = row["median_ns"] / base


def one_line(section: dict[str, Any]) -> str:
    parts = []
    for name, row in section["rows"].items():
        if row.get("status") == "ok":
            parts.append(f"{name} {fmt_ns(row['median_ns'])}")
        else:
            parts.append(f"{name} {row.get('status')}")
    return "  " + ", ".join(parts)


def _peers(results: dict[str, Any], autowiring_only: bool = False) -> list[str]:
    names = []
    for name, info in results["frameworks"].items():
        if info.get("status") != "ok" or info.get("baseline") or name == "dioxide":
            continue
        if autowiring_only and not info.get("autowiring"):
            continue
        names.append(name)
    return names


def _beats(results: dict[str, Any], scenario: str, peers: list[str]) -> tuple[Optional[bool], str]:
    section = results["scenarios"].get(scenario)
    if section is None:
        return None, "not run"
    ours = _median(section, "dioxide")
    if ours is None:
        return None, "dioxide not measured"
    measured = {p: _median(section, p) for p in peers}
    timed = {p: v for p, v in measured.items() if v is not None}
    if not timed:
        return None, "no peer measured"
    fastest = min(timed, key=lambda p: timed[p])
    label = results["frameworks"][fastest]["label"]
    ok = ours < timed[fastest]
    return ok, f"fastest peer {label} {fmt_ns(timed[fastest])} ({timed[fastest] / ours:.2f}x dioxide)"


def targets(results: dict[str, Any]) -> list[dict[str, Any]]:
    """The performance issue's targets, each with what was measured."""
    out: list[dict[str, Any]] = []
    scenarios = results["scenarios"]
    s1 = scenarios.get("S1")
    if s1 is not None:
        row = s1["rows"].get("dioxide", {})
        ratio = row.get("ratio_dict")
        out.append(
            {
                "target": "S1 cached singleton within 1.5x of a dict lookup",
                "met": None if ratio is None else ratio <= 1.5,
                "measured": "n/a"
                if ratio is None
                else f"{fmt_ns(row['median_ns'])} vs {fmt_ns(_median(s1, 'dict_lookup') or 0)}: {ratio:.2f}x",
            }
        )
    for scenario in ("S3", "S4", "S5"):
        section = scenarios.get(scenario)
        if section is None:
            continue
        row = section["rows"].get("dioxide", {})
        ratio = row.get("ratio_handwritten")
        out.append(
            {
                "target": f"{scenario} within 1.10x of hand-written",
                "met": None if ratio is None else ratio <= 1.10,
                "measured": "n/a" if ratio is None else f"{fmt_ns(row['median_ns'])}: {ratio:.2f}x",
            }
        )
        met, detail = _beats(results, scenario, _peers(results))
        out.append({"target": f"{scenario} faster than every peer", "met": met, "measured": detail})
    if "S7" in scenarios:
        met, detail = _beats(results, "S7", _peers(results, autowiring_only=True))
        ours = _median(scenarios["S7"], "dioxide")
        if ours is not None:
            detail = f"dioxide {fmt_ns(ours)}; {detail}"
        out.append({"target": "S7 start-up faster than every autowiring peer", "met": met, "measured": detail})
    imports = results.get("import_ms", {}).get("dioxide")
    if imports is not None:
        ok = imports.get("status") == "ok"
        out.append(
            {
                "target": "import dioxide under 20 ms",
                "met": imports["median_ms"] < 20 if ok else None,
                "measured": f"{imports['median_ms']:.1f} ms (median)" if ok else imports.get("reason", ""),
            }
        )
    return out


# --- rendering ------------------------------------------------------------


def fmt_ns(ns: float) -> str:
    if ns < 1_000:
        return f"{ns:.0f} ns" if ns >= 100 else f"{ns:.1f} ns"
    if ns < 1_000_000:
        return f"{ns / 1e3:.2f} µs"
    return f"{ns / 1e6:.1f} ms"


def _fmt_bytes(value: float) -> str:
    if abs(value) < 10_000:
        return f"{value:,.0f} B"
    return f"{value / 1024:,.0f} KiB"


def _cell(row: Optional[dict[str, Any]], ratio_key: str = "ratio_handwritten") -> str:
    if row is None:
        return ""
    status = row.get("status")
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
        cells = [_cell(scenarios[i]["rows"].get(name)) for i in ids]
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
    for name, info in fws.items():
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
    lines += [
        f"RSS is the process's resident memory (`/proc/self/statm`), which includes the Rust "
        f"core's heap; tracemalloc counts Python allocations only. Each figure comes from its "
        f"own run on fresh classes.",
        "",
        f"## Bytes per registered provider ({p['count']:,} classes, two dependencies each)",
        "",
        "| registration | RSS | tracemalloc |",
        "|---|---:|---:|",
        f"| `container.register_class(cls)` | {_fmt_bytes(p['register_class_rss'])} | "
        f"{_fmt_bytes(p['register_class_tracemalloc'])} |",
        f"| `@component` + `Container()` (the process-wide registry and the container's copy) | "
        f"{_fmt_bytes(p['decorated_rss'])} | {_fmt_bytes(p['decorated_tracemalloc'])} |",
        "",
        f"## Bytes per cached singleton ({s['count']:,} singletons; the instance itself is "
        f"{s['instance_size']} B)",
        "",
        "| | RSS | tracemalloc |",
        "|---|---:|---:|",
        f"| first resolve (builds the plan and the instance, caches it) | "
        f"{_fmt_bytes(s['first_resolve_rss'])} | {_fmt_bytes(s['first_resolve_tracemalloc'])} |",
        f"| second resolve (served from the cache) | {_fmt_bytes(s['again_rss'])} | "
        f"{_fmt_bytes(s['again_tracemalloc'])} |",
        "",
        f"## Growth over {g['resolves']:,} resolves",
        "",
        "Memory after the first tenth of the resolves and after all of them (after a "
        "`gc.collect()`); a leak would grow with the count.",
        "",
        "| workload | time | RSS after 1/10 | RSS at end | RSS growth | tracemalloc growth |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for name, row in g.items():
        if not isinstance(row, dict):
            continue
        rss = row["rss_samples"]
        lines.append(
            f"| {name} | {row['seconds']:.1f} s | {_fmt_bytes(rss[0])} | {_fmt_bytes(rss[-1])} | "
            f"{_fmt_bytes(row['rss_growth'])} | {_fmt_bytes(row['tracemalloc_growth'])} |"
        )
    return "\n".join(lines) + "\n"


def chart(results: dict[str, Any], path: Path) -> bool:
    """One horizontal-bar panel per scenario (log scale) plus import time."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("matplotlib is not installed: no chart", file=sys.stderr)
        return False
    fws = results["frameworks"]
    # (title, bars as (name, ns, annotation), footnote)
    panels: list[tuple[str, list[tuple[str, float, str]], str]] = []
    for sid, section in results["scenarios"].items():
        bars, missing = [], []
        for name, row in section["rows"].items():
            if row.get("status") == "ok":
                ratio = row.get("ratio_handwritten")
                note = f"{fmt_ns(row['median_ns'])}" + (f"  {ratio:.2f}x" if ratio is not None else "")
                bars.append((name, row["median_ns"], note))
            else:
                missing.append(f"{fws[name]['label']} ({row.get('status')})")
        footnote = "not timed: " + ", ".join(missing) if missing else ""
        if sid == "S7":
            footnote = "(explicit) = no autowiring. " + footnote
        panels.append((f"{sid}: {section['title']}", bars, footnote))
    if results.get("import_ms"):
        bars = []
        for name, row in results["import_ms"].items():
            if row.get("status") == "ok":
                bars.append((name, row["median_ms"] * 1e6, f"{row['median_ms']:.1f} ms"))
        panels.append(("import time (fresh interpreter)", bars, ""))
    columns = 2
    rows = (len(panels) + columns - 1) // columns
    height = max(len(bars) for _, bars, _ in panels) * 0.32 + 1.4
    fig, axes = plt.subplots(rows, columns, figsize=(15, height * rows), squeeze=False)
    colors = {"dioxide": "#d9480f", "handwritten": "#495057", "dict_lookup": "#868e96"}
    for ax, (title, bars, footnote) in zip(axes.flat, panels):
        bars = sorted(bars, key=lambda b: b[1], reverse=True)
        explicit = title.startswith("S7")
        names = [
            fws[name]["label"]
            + (" (explicit)" if explicit and not fws[name].get("autowiring") and not fws[name].get("baseline") else "")
            for name, _, _ in bars
        ]
        values = [value for _, value, _ in bars]
        ax.barh(names, values, color=[colors.get(name, "#4c6ef5") for name, _, _ in bars])
        ax.set_xscale("log")
        ax.set_title(title, fontsize=11, loc="left", fontweight="bold")
        ax.tick_params(axis="y", labelsize=9)
        ax.tick_params(axis="x", labelsize=8)
        if values:
            ax.set_xlim(min(values) / 1.6, max(values) * 12)
        for y, (_, value, note) in enumerate(bars):
            ax.text(value * 1.08, y, note, va="center", fontsize=8)
        ax.xaxis.set_major_formatter(matplotlib.ticker.FuncFormatter(lambda v, _: fmt_ns(v)))
        for label in ax.get_yticklabels():
            if label.get_text() == "dioxide":
                label.set_fontweight("bold")
        if footnote:
            ax.text(0, -0.16, footnote, transform=ax.transAxes, fontsize=8, color="#495057", va="top")
    for ax in list(axes.flat)[len(panels):]:
        ax.axis("off")
    m = results["machine"]
    fig.suptitle(
        f"dioxide vs hand-written and peers: median time per op, log scale, lower is better "
        f"(x = ratio to hand-written)\n{m['cpu']}, {m['python']}, {m['date']}",
        fontsize=12,
    )
    fig.tight_layout(rect=(0, 0, 1, 0.97))
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return True


def write(results: dict[str, Any], out: Path, chart_png: bool = True) -> None:
    out.mkdir(parents=True, exist_ok=True)
    (out / "results.json").write_text(json.dumps(results, indent=1, ensure_ascii=False) + "\n")
    (out / "results.md").write_text(markdown(results))
    if results.get("memory"):
        (out / "memory.md").write_text(memory_markdown(results))
    if chart_png:
        chart(results, out / "results.png")
