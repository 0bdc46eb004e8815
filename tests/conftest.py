"""Shared fixtures: every test gets its own registry and container.

The decorators register into the default registry unless given
``registry=``; each test runs with a fresh, empty default registry, so no
test sees the classes another one decorated (module-level classes that a
test module shares are decorated inside its fixtures or tests).
"""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from dioxide import Container, Registry
from decorator_registry import fresh_decorator_registry


#: Test modules of the integrations and extras, and the libraries each needs.
#: ``make test`` installs them all; the suites on the other interpreters
#: (``make test-matrix``, free-threaded) install the core test dependencies
#: only, and report these modules as not collected rather than failing.
_FRAMEWORK_TESTS: dict[str, tuple[str, ...]] = {
    "test_starlette.py": ("starlette",),
    "test_litestar.py": ("litestar",),
    "test_django.py": ("django",),
    "test_aiohttp.py": ("aiohttp",),
    "test_celery.py": ("celery",),
    "test_cli_frameworks.py": ("click", "typer"),
    "test_class_shapes.py": ("pydantic_settings",),
    "test_config_integrations.py": ("pydantic_settings", "yaml", "click"),
    "test_config_sources.py": ("yaml",),
    "test_examples_integrations.py": (
        "starlette", "litestar", "django", "aiohttp", "celery", "click", "typer"
    ),
}
collect_ignore = [
    name
    for name, modules in _FRAMEWORK_TESTS.items()
    if any(importlib.util.find_spec(module) is None for module in modules)
]
if collect_ignore and os.environ.get("DIOXIDE_TEST_EVERYTHING") == "1":
    raise RuntimeError(f"frameworks missing for {collect_ignore}: run `make venv`")


@pytest.fixture(autouse=True)
def registry() -> Iterator[Registry]:
    """The default registry, new and empty for this test."""
    with fresh_decorator_registry() as fresh:
        yield fresh


@pytest.fixture
def container(registry: Registry) -> Iterator[Container]:
    """A fresh container on this test's registry, closed after the test."""
    with Container() as fresh:
        yield fresh


@pytest.fixture(scope="session")
def built_wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The release wheel of this checkout, built once per run by maturin
    (reusing the compiled ``target/``). ``DIOXIDE_SKIP_WHEEL_TEST=1`` skips
    the tests that need it."""
    if os.environ.get("DIOXIDE_SKIP_WHEEL_TEST") == "1":
        pytest.skip("DIOXIDE_SKIP_WHEEL_TEST=1")
    dist = tmp_path_factory.mktemp("wheel") / "dist"
    maturin = Path(sys.executable).parent / "maturin"
    root = Path(__file__).resolve().parent.parent
    command = [
        str(maturin), "build", "--release", "--quiet", "-o", str(dist),
        "--interpreter", sys.executable, "--manifest-path", str(root / "Cargo.toml"),
    ]  # fmt: skip
    result = subprocess.run(command, capture_output=True, text=True, timeout=900, check=False)
    assert result.returncode == 0, f"maturin build failed:\n{result.stdout}\n{result.stderr}"
    (wheel,) = dist.glob("dioxide-*.whl")
    return wheel
