"""The CLI example: commands are plain functions wired by ``@inject``."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

CLI = Path(__file__).resolve().parent.parent / "examples" / "cli.py"


def cli(workdir: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(CLI), *args],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=workdir,
        check=False,
    )


def test_each_command_runs_in_a_scope_saved_when_it_returns(tmp_path: Path) -> None:
    added = cli(tmp_path, "add", "Neuromancer", "Dune")
    assert added.returncode == 0, added.stderr
    assert added.stdout.splitlines() == [
        "added Neuromancer",
        "added Dune",
        "catalog: saved 2 titles",
    ]
    listed = cli(tmp_path, "list")
    assert listed.stdout.splitlines() == ["1. Dune", "2. Neuromancer", "catalog: saved 2 titles"]


def test_a_failing_command_discards_its_unit_of_work(tmp_path: Path) -> None:
    cli(tmp_path, "add", "Dune")
    failed = cli(tmp_path, "add", "Solaris", "Dune")
    assert failed.returncode != 0
    assert failed.stdout.splitlines() == ["added Solaris", "catalog: discarded"]
    assert "'Dune' is in the library already" in failed.stderr
    assert (tmp_path / "library.txt").read_text() == "Dune\n"


def test_export_builds_an_exporter_per_path_with_a_factory(tmp_path: Path) -> None:
    cli(tmp_path, "add", "Dune")
    exported = cli(tmp_path, "export", "out.txt")
    assert exported.returncode == 0, exported.stderr
    assert exported.stdout.splitlines() == [
        "exported 1 of 1 titles to out.txt",
        "catalog: saved 1 titles",
    ]
    assert (tmp_path / "out.txt").read_text() == "Dune\n"


def test_the_demo_runs_every_command_in_one_process(tmp_path: Path) -> None:
    demo = cli(tmp_path)
    assert demo.returncode == 0, demo.stderr
    assert demo.stdout.splitlines() == [
        "added Dune",
        "added Neuromancer",
        "catalog: saved 2 titles",
        "1. Dune",
        "2. Neuromancer",
        "catalog: saved 2 titles",
        "catalog: discarded",
        "error: 'Dune' is in the library already",
        f"exported 2 of 2 titles to {tmp_path / 'books.txt'}",
        "catalog: saved 2 titles",
        "Dune, Neuromancer",
    ]
