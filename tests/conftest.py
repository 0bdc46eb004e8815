"""Shared fixtures: every test gets its own container."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from dioxide import Container


@pytest.fixture
def container() -> Iterator[Container]:
    """A fresh container, closed after the test."""
    with Container() as fresh:
        yield fresh
