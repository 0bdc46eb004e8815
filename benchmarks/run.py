"""Run the benchmark suite and write ``benchmarks/results/``.

``make bench`` runs this in ``.venv-bench`` (peers installed, dioxide from a
wheel of this checkout)::

    python -m benchmarks.run                 # everything, ~5-10 minutes
    python -m benchmarks.run --quick         # smoke run, seconds (into results/quick.tmp/)
    python -m benchmarks.run --frameworks dioxide,dishka --scenarios S3,S4

S1-S6 run in this process in interleaved rounds: each round times one
sample of every framework, in a shuffled order, so a slow stretch of the
machine hits all of them alike. S7 and import time run in a fresh child
process per measurement, also interleaved.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any, Optional

from benchmarks import frameworks, report, startup, targets, timing
from benchmarks.chart import chart as draw_chart
from benchmarks.scenarios import SCENARIOS, CheckFailed

__all__ = ["Config", "main", "run"]

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
RESULTS = HERE / "results"


@dataclass(frozen=True)
class Config:
    rounds: int = 20
    sample_seconds: float = 0.04
    startup_rounds: int = 9
    import_rounds: int = 9
    memory: bool = True
    quick: bool = False
    seed: int = 1

    @classmethod
    def quick_run(cls, memory: bool = True) -> Config:
        return cls(
            rounds=3,
            sample_seconds=0.002,
            startup_rounds=1,
            import_rounds=2,
            memory=memory,
            quick=True,
        )


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def _describe(error: BaseException) -> str:
    return f"{type(error).__name__}: {error}".splitlines()[0][:300]


def load_adapters(names: list[str]) -> tuple[dict[str, ModuleType], dict[str, dict[str, Any]]]:
    """Import each adapter; a framework that is not installed gets a row
    saying so instead of stopping the run."""
    adapters: dict[str, ModuleType] = {}
    info: dict[str, dict[str, Any]] = {}
    for name in names:
        try:
            adapter = frameworks.load(name)
        except ImportError as error:
            info[name] = {"label": name, "status": f"not installed ({_describe(error)})"}
            continue
        adapters[name] = adapter
        info[name] = {
            "label": adapter.LABEL,
            "status": "ok",
            "version": report.distribution_version(adapter.DISTRIBUTION),
            "autowiring": adapter.AUTOWIRING,
            "baseline": name in frameworks.BASELINES,
            "doc": (adapter.__doc__ or "").strip(),
        }
    return adapters, info


def _applies(adapter: ModuleType, scenario: str) -> bool:
    only = getattr(adapter, "ONLY", None)
    return only is None or scenario in only


def _not_supported(adapter: ModuleType, scenario: str) -> dict[str, Any]:
    reason = getattr(adapter, "UNSUPPORTED", {}).get(scenario, "not supported")
    return {"status": "n/a", "reason": reason}


def _summarize(samples: list[float]) -> dict[str, Any]:
    return {
        "status": "ok",
        "median_ns": statistics.median(samples),
        "min_ns": min(samples),
        "samples_ns": [round(s, 2) for s in samples],
    }


def run_steady(
    scenario_id: str, adapters: dict[str, ModuleType], config: Config, rng: random.Random
) -> dict[str, Any]:
    """Set up, check, calibrate, then time every framework in interleaved rounds."""
    scenario = SCENARIOS[scenario_id]
    rows: dict[str, Any] = {}
    timers: dict[str, tuple[timing.Timer, int]] = {}
    teardowns = []
    for name, adapter in adapters.items():
        if not _applies(adapter, scenario_id):
            continue
        build = getattr(adapter, scenario_id.lower(), None)
        if build is None:
            rows[name] = _not_supported(adapter, scenario_id)
            continue
        try:
            op = build()
            if op.teardown is not None:
                teardowns.append(op.teardown)
            if scenario.kind == "scope":
                if op.probe is None:
                    raise CheckFailed("the adapter gave no probe for the scope check")
                scenario.check(op.probe)
            else:
                scenario.check(timing.evaluate(op), timing.evaluate(op))
            timer = timing.compile_op(op)
            timers[name] = (timer, timing.calibrate(timer, config.sample_seconds))
        except CheckFailed as failed:
            rows[name] = {"status": "check failed", "reason": str(failed)}
        except Exception as error:  # noqa: BLE001 - reported in the results
            rows[name] = {"status": "error", "reason": _describe(error)}
    samples: dict[str, list[float]] = {name: [] for name in timers}
    for _ in range(config.rounds):
        order = list(timers)
        rng.shuffle(order)
        for name in order:
            timer, loops = timers[name]
            samples[name].append(timing.ns_per_op(timer, loops))
    for teardown in teardowns:
        try:
            teardown()
        except Exception:  # noqa: BLE001 - a failed close must not lose the numbers
            pass
    for name, values in samples.items():
        rows[name] = {**_summarize(values), "ops_per_sample": timers[name][1] * timing.UNROLL}
    return {"title": scenario.title, "unit": "ns", "rows": _ordered(rows)}


def _ordered(rows: dict[str, Any]) -> dict[str, Any]:
    """Rows in the order of ``frameworks.ORDER`` (unknown names last)."""
    rank = {name: i for i, name in enumerate(frameworks.ORDER)}
    return dict(sorted(rows.items(), key=lambda item: rank.get(item[0], len(rank))))


def _child_json(command: list[str], timeout: float) -> dict[str, Any]:
    try:
        done = subprocess.run(
            command, cwd=ROOT, capture_output=True, text=True, timeout=timeout, check=False
        )
    except subprocess.TimeoutExpired:
        return {"status": "error", "reason": f"timed out after {timeout:.0f} s"}
    lines = done.stdout.strip().splitlines()
    if done.returncode != 0 or not lines:
        tail = (done.stderr.strip().splitlines() or ["no output"])[-1]
        return {"status": "error", "reason": tail[:300]}
    result: dict[str, Any] = json.loads(lines[-1])
    return result


def _interleaved(
    commands: dict[str, list[str]], rounds: int, rng: random.Random, timeout: float
) -> tuple[dict[str, list[dict[str, Any]]], dict[str, Any]]:
    """Run each command ``rounds`` times, each time in a fresh process, in a
    new shuffled order every round. A child prints ``{"status": "ok",
    "seconds": ...}`` (and maybe more measurements); one that reports
    anything else ends its command's runs and is returned as that
    command's row. Returns each command's reports, and the failed rows."""
    reports: dict[str, list[dict[str, Any]]] = {name: [] for name in commands}
    failed: dict[str, Any] = {}
    for _ in range(rounds):
        order = [name for name in commands if name not in failed]
        rng.shuffle(order)
        for name in order:
            result = _child_json(commands[name], timeout)
            if result.get("status") == "ok":
                reports[name].append(result)
            else:
                failed[name] = result
    return reports, failed


def run_startup(adapters: dict[str, ModuleType], config: Config, rng: random.Random) -> dict[str, Any]:
    """S7, one fresh process per measurement, frameworks interleaved. Each
    measurement also reports the resident memory the start-up added."""
    rows: dict[str, Any] = {}
    commands = {}
    for name, adapter in adapters.items():
        if not _applies(adapter, "S7"):
            continue
        if getattr(adapter, "s7", None) is None:
            rows[name] = _not_supported(adapter, "S7")
        else:
            commands[name] = [sys.executable, "-m", "benchmarks.startup", name]
    reports, failed = _interleaved(commands, config.startup_rounds, rng, timeout=120)
    rows.update(failed)
    for name, runs in reports.items():
        if name not in rows:
            rows[name] = _summarize([r["seconds"] * 1e9 for r in runs])
            rss = [r["rss_bytes"] for r in runs if "rss_bytes" in r]
            if rss:
                rows[name]["rss_median_bytes"] = statistics.median(rss)
                rows[name]["rss_samples_bytes"] = rss
    return {"title": SCENARIOS["S7"].title, "unit": "ns", "rows": _ordered(rows)}


def run_imports(adapters: dict[str, ModuleType], config: Config, rng: random.Random) -> dict[str, Any]:
    """``import`` time of each framework in a fresh ``python -I``."""
    commands = {name: startup.import_command(a.IMPORTS) for name, a in adapters.items() if a.IMPORTS}
    reports, rows = _interleaved(commands, config.import_rounds, rng, timeout=60)
    for name, runs in reports.items():
        values = [r["seconds"] for r in runs]
        if name not in rows:
            rows[name] = {
                "status": "ok",
                "median_ms": statistics.median(values) * 1e3,
                "min_ms": min(values) * 1e3,
                "samples_ms": [round(v * 1e3, 3) for v in values],
                "modules": list(adapters[name].IMPORTS),
            }
    return _ordered(rows)


def run_memory(config: Config) -> dict[str, Any]:
    command = [sys.executable, "-m", "benchmarks.memory"] + (["--quick"] if config.quick else [])
    return _child_json(command, timeout=900)


def run(
    names: list[str], scenario_ids: list[str], config: Config, out: Path, chart: bool = True
) -> dict[str, Any]:
    """Run the selected scenarios for the selected frameworks and write the
    results into ``out``. Returns the results document."""
    began = time.perf_counter()
    rng = random.Random(config.seed)
    adapters, info = load_adapters(names)
    results: dict[str, Any] = {
        "machine": report.machine_info(),
        "config": {
            "rounds": config.rounds,
            "sample_seconds": config.sample_seconds,
            "startup_rounds": config.startup_rounds,
            "import_rounds": config.import_rounds,
            "unroll": timing.UNROLL,
            "quick": config.quick,
            "graph_size": startup.GRAPH_SIZE,
        },
        "frameworks": info,
        "scenarios": {},
    }
    for scenario_id in scenario_ids:
        log(f"{scenario_id}: {SCENARIOS[scenario_id].title}")
        if scenario_id == "S7":
            section = run_startup(adapters, config, rng)
        else:
            section = run_steady(scenario_id, adapters, config, rng)
        targets.add_ratios(section)
        results["scenarios"][scenario_id] = section
        log(report.one_line(section))
    if config.import_rounds:
        log("import time")
        results["import_ms"] = run_imports(adapters, config, rng)
    if config.memory and "dioxide" in adapters:
        log("memory (dioxide)")
        results["memory"] = run_memory(config)
    results["targets"] = targets.targets(results)
    results["elapsed_seconds"] = round(time.perf_counter() - began, 1)
    report.write(results, out)
    if chart:
        draw_chart(results, out / "results.png")
    log(f"wrote {out} in {results['elapsed_seconds']} s")
    return results


def main(argv: Optional[list[str]] = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.run", description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="a few short rounds: a smoke run")
    parser.add_argument(
        "--frameworks",
        default=",".join(frameworks.ORDER),
        help="comma-separated adapters (default: all): " + ", ".join(frameworks.ORDER),
    )
    parser.add_argument("--scenarios", default=",".join(SCENARIOS), help="comma-separated, e.g. S1,S3")
    parser.add_argument(
        "--out",
        type=Path,
        help="output directory (default: benchmarks/results, or its git-ignored "
        "quick.tmp/ with --quick, so a smoke run never replaces real results)",
    )
    parser.add_argument("--no-memory", action="store_true", help="skip the memory report")
    parser.add_argument("--no-chart", action="store_true", help="skip the PNG chart")
    args = parser.parse_args(argv)
    names = [n.strip() for n in args.frameworks.split(",") if n.strip()]
    scenario_ids = [s.strip().upper() for s in args.scenarios.split(",") if s.strip()]
    unknown = [s for s in scenario_ids if s not in SCENARIOS]
    if unknown:
        parser.error(f"unknown scenarios: {', '.join(unknown)}")
    for name in names:
        if name not in frameworks.ORDER:
            parser.error(f"unknown framework {name!r}")
    memory = not args.no_memory
    config = Config.quick_run(memory) if args.quick else Config(memory=memory)
    out = args.out or (RESULTS / "quick.tmp" if args.quick else RESULTS)
    run(names, scenario_ids, config, out, chart=not args.no_chart)
    return 0


if __name__ == "__main__":
    sys.exit(main())
