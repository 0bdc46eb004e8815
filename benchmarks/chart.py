"""``results.png``: one horizontal-bar panel per scenario, log scale, plus
import time; dioxide in orange, the baselines in grey."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from benchmarks.report import fmt_ns

__all__ = ["chart"]


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
