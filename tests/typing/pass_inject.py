"""``@inject``, ``Lazy[T]`` and factories keep types without any plugin (the
pyright way): ``Inject[T]`` parameters with the ``INJECTED`` default may be
left out, the others stay checked; ``Lazy[T].get()`` returns ``T``; a
factory returns ``T``. mypy --strict accepts this file with no ignore
comment, with and without ``dioxide.mypy_plugin``, and it runs."""

from __future__ import annotations

import asyncio

from typing_extensions import assert_type

from dioxide import INJECTED, Container, Factory, Inject, Lazy, Registry, component, inject

registry = Registry()


@component(registry=registry)
class Repository:
    def rows(self) -> list[str]:
        return ["a", "b"]


@component(registry=registry)
class Node:
    def __init__(self, parent: Lazy[Node]) -> None:
        self.parent = parent


class Exporter:
    def __init__(self, path: str, repo: Repository) -> None:
        self.path = path
        self.repo = repo


@component(registry=registry)
class Exports:
    def __init__(self, make: Factory[Exporter]) -> None:
        self.make = make


container = Container(registry=registry)


@inject(container)
def export(path: str, repo: Inject[Repository] = INJECTED) -> int:
    assert_type(repo, Repository)
    return len(repo.rows())


@inject(container, scope=False)
async def aexport(path: str, *, repo: Inject[Repository] = INJECTED) -> str:
    return path


class Commands:
    @inject(container)
    def count(self, repo: Inject[Repository] = INJECTED) -> int:
        return len(repo.rows())


def main() -> None:
    assert_type(export("out.csv"), int)
    assert_type(export("out.csv", repo=Repository()), int)
    assert_type(asyncio.run(aexport("x")), str)
    assert_type(Commands().count(), int)
    with container.create_scope() as scope:
        assert_type(inject(scope)(export)("x"), int)

    node = container.resolve(Node)
    assert_type(node.parent, Lazy[Node])
    assert_type(node.parent.get(), Node)

    async def parent() -> Node:
        return await node.parent.aget()

    assert_type(asyncio.run(parent()), Node)

    exports = container.resolve(Exports)
    assert_type(exports.make, Factory[Exporter])
    assert_type(exports.make(path="x"), Exporter)

    make = container.factory(Exporter)
    assert_type(make, Factory[Exporter])
    assert_type(make(path="out.csv"), Exporter)
    assert make("x").path == "x"


if __name__ == "__main__":
    main()
