"""Every example runs and prints what it promises."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


def run_example(name: str) -> str:
    result = subprocess.run(
        [sys.executable, str(EXAMPLES / name)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_quickstart_prints_the_wired_chain() -> None:
    output = run_example("quickstart.py").splitlines()

    assert output == [
        "resolved GreetHandler -> UserService -> UserRepository -> Database",
        "Welcome, ada!",
        "Welcome, grace!",
        "handler is transient: True",
        "database is a singleton: True",
        "database dsn: sqlite:///:memory:",
    ]
