"""Shared fixtures: every test gets its own registry and container.

The decorators register into the default registry unless given
``registry=``; each test runs with a fresh, empty default registry, so no
test sees the classes another one decorated (module-level classes that a
test module shares are decorated inside its fixtures or tests).
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from dioxide import Container, Registry
from decorator_registry import fresh_decorator_registry


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
