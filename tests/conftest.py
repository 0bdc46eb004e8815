"""Shared fixtures: every test gets its own registry and container.

The decorators register into the default registry unless given
``registry=``; each test runs with a fresh, empty default registry, so no
test sees the classes another one decorated (module-level classes that a
test module shares are decorated inside its fixtures or tests).
"""

from __future__ import annotations

from collections.abc import Iterator

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
