"""The performance issue's targets, checked against a run's results, and
the ratios to the baselines they are stated in."""

from __future__ import annotations

from typing import Any, Optional

from benchmarks.report import fmt_ns

__all__ = ["add_ratios", "targets"]


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


def _peers(results: dict[str, Any], autowiring_only: bool = False) -> list[str]:
    names = []
    for name, info in results["frameworks"].items():
        if info.get("status") != "ok" or info.get("baseline") or info.get("variant") or name == "dioxide":
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
        dict_ns = fmt_ns(_median(s1, "dict_lookup") or 0)
        for name, spelling, bound in (("dioxide", "resolve", 1.5), ("dioxide_subscript", "c[T]", 1.25)):
            row = s1["rows"].get(name, {})
            ratio = row.get("ratio_dict")
            out.append(
                {
                    "target": f"S1 cached singleton ({spelling}) within {bound}x of a dict lookup",
                    "met": None if ratio is None else ratio <= bound,
                    "measured": "n/a"
                    if ratio is None
                    else f"{fmt_ns(row['median_ns'])} vs {dict_ns}: {ratio:.2f}x",
                }
            )
    for scenario, bound in (("S2", 1.05), ("S3", 1.0), ("S4", 1.0), ("S5", 1.0), ("S6", 1.5)):
        section = scenarios.get(scenario)
        if section is None:
            continue
        row = section["rows"].get("dioxide", {})
        ratio = row.get("ratio_handwritten")
        out.append(
            {
                "target": f"{scenario} within {bound:.2f}x of hand-written",
                "met": None if ratio is None else ratio <= bound,
                "measured": "n/a" if ratio is None else f"{fmt_ns(row['median_ns'])}: {ratio:.2f}x",
            }
        )
        if scenario == "S2":
            continue
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
