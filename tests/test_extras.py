"""The framework integrations are optional extras: ``import dioxide`` imports
none of the frameworks, and importing an integration without its framework
says which extra to install."""

from __future__ import annotations

import subprocess
import sys
from importlib.metadata import metadata

import pytest

WEB_FRAMEWORKS = (
    "fastapi",
    "starlette",
    "pydantic",
    "flask",
    "werkzeug",
    "litestar",
    "msgspec",
    "django",
    "asgiref",
    "aiohttp",
    "celery",
    "kombu",
    "click",
    "typer",
    "anyio",
)
INTEGRATIONS = [
    ("fastapi", "fastapi"),
    ("flask", "flask"),
    ("starlette", "starlette"),
    ("litestar", "litestar"),
    ("django", "django"),
    ("aiohttp", "aiohttp"),
    ("celery", "celery"),
    ("click", "click"),
    ("typer", "typer"),
]


def python(code: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=False
    )


@pytest.mark.parametrize("module", ["dioxide", "dioxide._cli", "dioxide.pytest_plugin"])
def test_importing_dioxide_imports_no_web_framework(module: str) -> None:
    result = python(
        f"import sys, {module}\n"
        f"print(sorted(m for m in sys.modules if m.split('.')[0] in {WEB_FRAMEWORKS!r}))"
    )

    assert result.returncode == 0, result.stderr
    assert result.stdout == "[]\n"


@pytest.mark.parametrize(("integration", "framework"), INTEGRATIONS)
def test_integration_without_its_framework_names_the_extra(
    integration: str, framework: str
) -> None:
    result = python(f"import sys; sys.modules[{framework!r}] = None; import dioxide.{integration}")

    assert result.returncode == 1
    assert (
        f"ImportError: dioxide.{integration} needs" in result.stderr
        and f"pip install 'dioxide[{integration}]'" in result.stderr
    )


def test_extras_are_declared() -> None:
    extras = metadata("dioxide").get_all("Provides-Extra") or []

    assert {integration for integration, _ in INTEGRATIONS} <= set(extras)
