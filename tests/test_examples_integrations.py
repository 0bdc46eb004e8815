"""The integration examples run as scripts and print what they promise."""

from __future__ import annotations

import pytest
from test_examples import run_example

EXPECTED = {
    "starlette_app.py": [
        "GET /users/1 -> 200 {'name': 'ada', 'asked by': 'ada'}",
        "GET /users/2 -> 200 {'name': 'grace', 'asked by': 'anonymous'}",
        "GET /users/9 -> 500",
        "unit of work: begin, commit, begin, commit, begin, rollback",
        "container finalized on shutdown: True",
    ],
    "litestar_app.py": [
        "GET /users/1 -> 200 {'name': 'ada', 'asked by': 'grace'}",
        "GET /users/9 -> 500",
        "unit of work: begin, commit, begin, rollback",
        "container finalized on shutdown: True",
    ],
    "aiohttp_app.py": [
        "GET /users/2 -> 200 {'name': 'grace', 'asked by': 'ada'}",
        "GET /users/9 -> 404",
        "unit of work: begin, commit, begin, rollback",
        "container finalized at cleanup: True",
    ],
    "django_app.py": [
        "GET /users/1 -> 200 {'name': 'ada', 'asked by': 'grace'}",
        "GET /users -> {'users': ['ada', 'grace']}",
        "GET /users/9 -> 404",
        "2 users",
        "unit of work: begin, commit, begin, rollback, begin, commit",
    ],
    "celery_app.py": [
        "queued digest for ada (try 1, task id known: True)",
        "queued digest for grace (try 1, task id known: True)",
        "sent: ['digest for ada', 'digest for grace']",
    ],
    "cli_app.py": [
        "click show 1: ada",
        "click show 2: grace",
        "click runs: ['begin', 'commit', 'database closed', 'begin', 'commit', 'database closed']",
        "typer count: 2",
        "typer count --verbose: ada, grace",
        "'work' on the command line: False",
        "typer runs: ['begin', 'commit', 'database closed', 'begin', 'commit', 'database closed']",
    ],
}


@pytest.mark.parametrize("example", sorted(EXPECTED))
def test_integration_example_runs_its_self_check(example: str) -> None:
    assert run_example(example).splitlines() == EXPECTED[example]
