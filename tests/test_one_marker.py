"""One ``Inject`` marker for the whole library: every integration's
``Inject`` is ``dioxide.Inject``, so a function annotated once works with
``@inject`` and with any framework."""

from __future__ import annotations

import importlib

import pytest

import dioxide

INTEGRATIONS = ["fastapi", "flask", "starlette", "aiohttp", "celery", "click", "django", "typer"]


@pytest.mark.parametrize("name", INTEGRATIONS)
def test_each_integration_uses_the_library_marker(name: str) -> None:
    framework = "fastapi" if name == "fastapi" else name
    pytest.importorskip(framework)
    module = importlib.import_module(f"dioxide.{name}")

    assert module.Inject is dioxide.Inject


def test_a_parameter_marked_once_is_found_by_every_reader() -> None:
    from dioxide._inject import is_inject

    class Service: ...

    hint = dioxide.Inject[Service]

    assert is_inject(hint)
