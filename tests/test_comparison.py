"""docs/comparison.md is what ``benchmarks.comparison`` makes of the latest
``benchmarks/results/results.json``: never typed in, never stale."""

from __future__ import annotations

import copy
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from benchmarks import comparison  # noqa: E402


def ok(median_ns: float, ratio: float, **extra: Any) -> dict[str, Any]:
    return {"status": "ok", "median_ns": median_ns, "min_ns": median_ns, "ratio_handwritten": ratio, **extra}


def framework(label: str, version: str | None, *, baseline: bool = False) -> dict[str, Any]:
    return {"label": label, "status": "ok", "version": version, "autowiring": not baseline, "baseline": baseline}


RESULTS: dict[str, Any] = {
    "machine": {
        "cpu": "Test CPU",
        "cpus": 4,
        "python": "CPython 3.11.9",
        "os": "Linux-test",
        "load_average": [0.1, 0.2, 0.3],
        "dioxide_commit": "abc1234",
        "date": "2026-12-01 10:00 UTC",
    },
    "config": {
        "rounds": 20, "sample_seconds": 0.04, "startup_rounds": 9, "import_rounds": 9,
        "unroll": 10, "quick": False, "graph_size": 500,
    },  # fmt: skip
    "frameworks": {
        "handwritten": framework("hand-written", None, baseline=True),
        "dict_lookup": framework("dict lookup", None, baseline=True),
        "dioxide": framework("dioxide", "9.9.9"),
        "dishka": framework("dishka", "1.0"),
        "injector": framework("injector", "0.1"),
    },
    "scenarios": {
        "S1": {
            "title": "cached singleton resolve",
            "rows": {
                "handwritten": ok(10.0, 1.0),
                "dict_lookup": ok(8.0, 0.8),
                "dioxide": ok(20.0, 2.0, ratio_dict=2.5),
                "dishka": ok(15.0, 1.5),
                "injector": {"status": "check failed", "reason": "a new instance each time"},
            },
        },
        "S6": {
            "title": "scope enter + scoped resolve + exit",
            "rows": {
                "handwritten": ok(100.0, 1.0),
                "dioxide": ok(150.0, 1.5),
                "dishka": ok(300.0, 3.0),
                "injector": {"status": "n/a", "reason": "no request scope"},
            },
        },
        "S7": {
            "title": "start-up: 500 classes + first resolve",
            "rows": {
                "handwritten": ok(1e5, 1.0, rss_median_bytes=8192),
                "dioxide": ok(2e6, 20.0, rss_median_bytes=409600),
                "dishka": ok(3e7, 300.0, rss_median_bytes=2048000),
            },
        },
    },
    "import_ms": {
        "dioxide": {"status": "ok", "median_ms": 12.34, "min_ms": 12.0, "modules": ["dioxide"]},
        "dishka": {"status": "error", "reason": "boom"},
    },
}


def test_the_page_is_generated_from_the_latest_results_file() -> None:
    results = json.loads(comparison.RESULTS_JSON.read_text(encoding="utf-8"))

    assert comparison.PAGE.read_text(encoding="utf-8") == comparison.render(results), (
        "docs/comparison.md drifted from benchmarks/results/results.json: "
        "run `python -m benchmarks.comparison` (make bench does) and commit the page"
    )


def test_the_page_says_when_and_where_it_was_measured() -> None:
    page = comparison.render(RESULTS)

    assert "- **Measured** 2026-12-01 10:00 UTC, dioxide commit `abc1234`." in page
    assert "Test CPU, 4 CPUs, Linux-test, CPython 3.11.9" in page
    assert "smoke run" not in page


def test_each_scenario_shows_time_and_ratio_and_bolds_the_fastest_library() -> None:
    lines = comparison.render(RESULTS).splitlines()

    assert "| **dioxide** | 9.9.9 | 20.0 ns (2.00x) | **150 ns (1.50x)** |" in lines
    assert "| dishka | 1.0 | **15.0 ns (1.50x)** | 300 ns (3.00x) |" in lines
    assert "| injector | 0.1 | fails check | n/a |" in lines
    assert "| hand-written |  | 10.0 ns (1.00x) | 100 ns (1.00x) |" in lines
    assert not any(line.startswith("| dict lookup") for line in lines)
    assert "For S1 a plain `dict` lookup takes 8.0 ns; dioxide's cached singleton takes 2.50x that." in lines


def test_start_up_shows_its_memory_and_import_time_its_failures() -> None:
    lines = comparison.render(RESULTS).splitlines()

    assert "| library | start-up | resident memory | reads type hints |" in lines
    assert "| **dioxide** | **2.0 ms (20.00x)** | 400 KiB | yes |" in lines
    assert "| dishka | 30.0 ms (300.00x) | 2,000 KiB | yes |" in lines
    assert "| **dioxide** | `dioxide` | 12.3 ms |" in lines
    assert "| dishka |  | error |" in lines


def test_a_results_file_without_start_up_memory_says_so() -> None:
    results = copy.deepcopy(RESULTS)
    for row in results["scenarios"]["S7"]["rows"].values():
        del row["rss_median_bytes"]

    page = comparison.render(results)

    assert "| library | start-up | reads type hints |" in page
    assert "the next `make bench` adds it" in page


def test_a_quick_run_is_flagged_as_meaningless() -> None:
    results = copy.deepcopy(RESULTS)
    results["config"]["quick"] = True

    assert "**A `--quick` smoke run: these numbers mean nothing.**" in comparison.render(results)


def test_the_feature_table_answers_every_feature_for_every_library() -> None:
    lines = comparison.render(RESULTS).splitlines()
    header = next(line for line in lines if line.startswith("| feature |"))

    assert "| **dioxide** 9.9.9 |" in header and "| dishka 1.0 |" in header
    for feature, cells in comparison.FEATURES:
        assert set(cells) == set(comparison.LIBRARIES), feature
        assert all(cells.values()), feature
        assert any(line.startswith(f"| {feature} | ") for line in lines), feature


@pytest.mark.parametrize("stale", [True, False])
def test_check_exits_1_only_when_the_page_is_stale(tmp_path: Path, stale: bool) -> None:
    results = tmp_path / "results.json"
    results.write_text(json.dumps(RESULTS))
    page = tmp_path / "comparison.md"
    page.write_text(comparison.render(RESULTS) + ("edited by hand\n" if stale else ""))

    done = subprocess.run(
        [sys.executable, "-m", "benchmarks.comparison", "--check",
         "--results", str(results), "--out", str(page)],
        cwd=ROOT, capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip

    assert done.returncode == (1 if stale else 0), done.stderr
    assert ("is stale" in done.stderr) is stale
