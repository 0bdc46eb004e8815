"""The benchmark suite runs end to end: a ``--quick`` run of dioxide and the
baselines (no peer framework needed), and the checks that keep a framework
that builds the wrong objects from being timed."""

from __future__ import annotations

import json
import random
import subprocess
import sys
import types
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from benchmarks import run, scenarios  # noqa: E402
from benchmarks.scenarios import Op  # noqa: E402

QUICK = run.Config.quick_run(memory=False)


@pytest.fixture(scope="module")
def quick_results(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict[str, Any], Path]:
    out = tmp_path_factory.mktemp("bench")
    results = run.run(
        ["handwritten", "dict_lookup", "dioxide"], list(scenarios.SCENARIOS), QUICK, out, chart=False
    )
    return results, out


@pytest.mark.parametrize("scenario", list(scenarios.SCENARIOS))
def test_quick_run_times_dioxide_and_handwritten(
    quick_results: tuple[dict[str, Any], Path], scenario: str
) -> None:
    rows = quick_results[0]["scenarios"][scenario]["rows"]
    for name in ("handwritten", "dioxide"):
        assert rows[name]["status"] == "ok", rows[name]
        assert rows[name]["median_ns"] > 0
    assert rows["dioxide"]["ratio_handwritten"] > 0


def test_start_up_reports_the_resident_memory_it_added(
    quick_results: tuple[dict[str, Any], Path],
) -> None:
    rows = quick_results[0]["scenarios"]["S7"]["rows"]
    for name in ("handwritten", "dioxide"):
        assert rows[name]["rss_median_bytes"] >= 0
        assert len(rows[name]["rss_samples_bytes"]) == QUICK.startup_rounds
        assert all(isinstance(s, int) for s in rows[name]["rss_samples_bytes"])


def test_the_comparison_page_renders_a_fresh_run(quick_results: tuple[dict[str, Any], Path]) -> None:
    from benchmarks import comparison

    page = comparison.render(quick_results[0])

    assert "**A `--quick` smoke run: these numbers mean nothing.**" in page
    assert "| library | start-up | resident memory | reads type hints |" in page


def test_dict_lookup_is_the_s1_reference_only(quick_results: tuple[dict[str, Any], Path]) -> None:
    results = quick_results[0]
    assert results["scenarios"]["S1"]["rows"]["dioxide"]["ratio_dict"] > 0
    assert "dict_lookup" not in results["scenarios"]["S3"]["rows"]


def test_quick_run_writes_json_and_markdown(quick_results: tuple[dict[str, Any], Path]) -> None:
    results, out = quick_results
    assert json.loads((out / "results.json").read_text())["machine"]["python"]
    table = (out / "results.md").read_text()
    assert "| **dioxide** |" in table
    assert "## Targets" in table
    assert results["import_ms"]["dioxide"]["median_ms"] > 0
    assert {t["target"] for t in results["targets"]} >= {"import dioxide under 20 ms"}


def _adapter(**functions: Any) -> types.ModuleType:
    module = types.ModuleType("fake_adapter")
    module.__dict__.update(functions)
    return module


def test_framework_building_the_wrong_objects_is_not_timed() -> None:
    shared = scenarios.Clock()
    fake = _adapter(s2=lambda: Op("c", {"c": shared}))
    row = run.run_steady("S2", {"fake": fake}, QUICK, random.Random(0))["rows"]["fake"]
    assert row["status"] == "check failed"
    assert "same object" in row["reason"]


def test_framework_without_the_feature_reports_not_applicable() -> None:
    fake = _adapter(UNSUPPORTED={"S6": "no scopes"})
    row = run.run_steady("S6", {"fake": fake}, QUICK, random.Random(0))["rows"]["fake"]
    assert row == {"status": "n/a", "reason": "no scopes"}


def test_startup_tables_run_with_tiny_sizes(tmp_path: Path) -> None:
    """``python -m benchmarks.startup`` (start-up, containers against other
    decorated classes, register_* linearity) runs and writes its tables; in a
    child process, since it decorates into the default registry."""
    out = tmp_path / "startup.md"
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "benchmarks.startup",
            "--classes=12",
            "--repeat=1",
            "--sizes=5,40",
            "--checkpoints=10,30",
            f"--out={out}",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    text = out.read_text(encoding="utf-8")
    assert text.strip() == done.stdout.strip()
    assert "| including class creation |" in text
    assert "| excluding class creation |" in text
    assert "| 40 |" in text  # a row per size, in both registry tables
    assert text.count("| 40 |") == 2
    assert "| `register_class` | 30 |" in text
    assert "| `register_instance` | 30 |" in text

