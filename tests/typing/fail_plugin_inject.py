"""What only ``dioxide.mypy_plugin`` rejects: an ``Inject[T]`` parameter
passed with the wrong type or by position (it is keyword-only once
injected), and a factory call that does not fit the constructor. Checked
with the plugin only.

Not meant to run."""

from __future__ import annotations

from dioxide import Container, Inject, inject


class Repository: ...


class Exporter:
    def __init__(self, path: str, repo: Repository, limit: int = 10) -> None: ...


container = Container()


@inject(container)
def export(path: str, repo: Inject[Repository]) -> int:
    return 0


def calls() -> None:
    export("x", Repository())  # type: ignore[call-arg]
    export(path=1)  # type: ignore[arg-type]
    make = container.factory(Exporter)
    make(limit="ten")  # type: ignore[arg-type]
    make(title="x")  # type: ignore[call-arg]
