"""The lifetime examples run and print their lifecycle in order."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


def run_example(name: str) -> list[str]:
    result = subprocess.run(
        [sys.executable, "-W", "error", str(EXAMPLES / name)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    return result.stdout.splitlines()


def test_scopes_example_opens_and_closes_a_session_per_request() -> None:
    assert run_example("scopes.py") == [
        "request: order tea",
        "database: connect",
        "session 1: begin",
        "  one session for the whole request: True",
        "  ordered tea in session 1",
        "session 1: commit",
        "request: order nothing",
        "session 2: begin",
        "  one session for the whole request: True",
        "session 2: rollback (cannot order nothing)",
        "request failed: cannot order nothing",
        "request: order coffee",
        "session 3: begin",
        "  one session for the whole request: True",
        "  ordered coffee in session 3",
        "session 3: commit",
        "sessions opened: 3",
        "database: disconnect",
        "container closed",
    ]


def test_async_example_builds_once_and_cleans_up_asynchronously() -> None:
    assert run_example("async_app.py") == [
        "sync resolve refused: http_client() is an async provider, "
        "so it cannot be built by the synchronous resolve()",
        "settings: loaded",
        "http client: connect",
        "10 concurrent aresolve calls, one client: True",
        "request 1: begin",
        "  200 https://weather.example/forecast/paris",
        "request 1: flush 1 log line(s), end",
        "request 2: begin",
        "  200 https://weather.example/forecast/oslo",
        "request 2: flush 1 log line(s), end",
        "http client: close",
        "container closed, client connected: False",
    ]
