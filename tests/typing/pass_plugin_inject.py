"""With ``dioxide.mypy_plugin``, an ``@inject`` function is called without
its ``Inject[T]`` parameters even when they have no default (they become
optional keyword-only parameters), and a factory call is checked against
the class's constructor. Checked with the plugin only, and it runs."""

from __future__ import annotations

from typing import Annotated

from typing_extensions import assert_type

import dioxide
from dioxide import Container, Inject, Registry, Value, component, inject

registry = Registry()


@component(registry=registry)
class Repository:
    def rows(self) -> list[str]:
        return ["a"]


class Exporter:
    def __init__(self, path: str, repo: Repository, limit: int = 10) -> None:
        self.path = path
        self.limit = limit


container = Container(registry=registry)
container.register_value("sep", ";")


@inject(container)
def export(repo: Inject[Repository], path: str, sep: dioxide.Inject[Annotated[str, Value("sep")]]) -> str:
    return sep.join([path, *repo.rows()])


class Commands:
    @inject(container)
    def count(self, limit: int, repo: Inject["Repository"]) -> int:
        return min(limit, len(repo.rows()))


def main() -> None:
    assert_type(export("out.csv"), str)
    assert_type(export("out.csv", repo=Repository()), str)
    assert_type(Commands().count(3), int)
    make = container.factory(Exporter)
    assert_type(make("out.csv", limit=2), Exporter)
    assert make("x", limit=2).limit == 2
    assert export("p") == "p;a"


if __name__ == "__main__":
    main()
