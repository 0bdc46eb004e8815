"""Errors mypy reports with or without ``dioxide.mypy_plugin``: the
parameters ``@inject`` passes through stay checked, ``Lazy[T].get()`` is a
``T``, a factory builds its class. Every ``# type: ignore[code]`` pins one
expected error under ``warn_unused_ignores``.

Not meant to run."""

from __future__ import annotations

from dioxide import INJECTED, Container, Inject, Lazy, inject


class Repository: ...


class Other: ...


class Exporter:
    def __init__(self, path: str, repo: Repository) -> None: ...


container = Container()


@inject(container)
def export(path: str, repo: Inject[Repository] = INJECTED) -> int:
    return 0


def calls(lazy: Lazy[Repository]) -> None:
    export(1)  # type: ignore[arg-type]
    export("x", repo=Other())  # type: ignore[arg-type]
    export("x", limit=3)  # type: ignore[call-arg]
    text: str = export("x")  # type: ignore[assignment]
    other: Other = lazy.get()  # type: ignore[assignment]
    built: Other = container.factory(Exporter)("x")  # type: ignore[assignment]
    inject(container, scope="yes")  # type: ignore[arg-type]
