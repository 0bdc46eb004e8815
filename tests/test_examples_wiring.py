"""examples/hexagonal.py runs, and the graph in the README is the one it draws."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "examples" / "hexagonal.py"


def run_example(*args: str) -> str:
    result = subprocess.run(
        [sys.executable, str(EXAMPLE), *args],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_hexagonal_picks_adapters_by_profile_and_overrides_one_in_a_test() -> None:
    assert run_example().splitlines() == [
        "prod: SmtpEmail via smtp.example.com: 'Welcome, user #1' to ada@example.com",
        "test: InMemoryEmail outbox: 'Welcome, user #1' to grace@example.com",
        "test outbox: [('grace@example.com', 'Welcome, user #1')]",
        "override: FailingEmail -> mail server unreachable",
        "override rebuilt SignupService: True",
        "after override: InMemoryEmail same service: True",
    ]


def test_the_readme_shows_the_graph_the_example_draws() -> None:
    readme = (ROOT / "README.md").read_text()
    section = readme.split("## Wiring real applications", 1)[1]
    shown = re.search(r"```mermaid\n(.*?)```", section, re.DOTALL)

    assert shown is not None
    assert shown.group(1) == run_example("--graph")
