"""Generic resolution, collections, qualifiers and overrides are precise
under mypy --strict and pyright strict, and the file runs."""

from __future__ import annotations

from typing import Generic, Protocol, TypeVar
from unittest.mock import Mock

from typing_extensions import Annotated, assert_type

from dioxide import Container, Named, Registry, Scope, component, singleton

T = TypeVar("T")
registry = Registry()


class User:
    name = "ada"


class Order:
    total = 3


@singleton(registry=registry)
class Session:
    pass


@component(registry=registry)
class Serializer(Generic[T]):
    def __init__(self, model: type[T]) -> None:
        self.model = model

    def dump(self, item: T) -> str:
        return repr(item)


@component(scope=Scope.SINGLETON, registry=registry)
class Repository(Generic[T]):
    def __init__(self, session: Session, model: type[T], serializer: Serializer[T]) -> None:
        self.session = session
        self.model = model
        self.serializer = serializer

    def new(self) -> T:
        return self.model()


class Plugin(Protocol):
    def run(self) -> str: ...


@component(provides=Plugin, registry=registry)
class Hello:
    def run(self) -> str:
        return "hello"


@component(provides=Plugin, name="bye", registry=registry)
class Bye:
    def run(self) -> str:
        return "bye"


def generics(container: Container) -> None:
    users = container.resolve(Repository[User])
    assert_type(users, Repository[User])
    assert_type(users.new(), User)
    assert_type(users.model, type[User])
    assert_type(users.serializer, Serializer[User])
    assert_type(container.resolve(Repository[Order]).new().total, int)
    with container.create_scope() as scope:
        assert_type(scope.resolve(Serializer[Order]), Serializer[Order])


def collections_and_qualifiers(container: Container) -> None:
    assert_type(container.resolve(Plugin), Plugin)
    assert_type(container.resolve(list[Plugin]), list[Plugin])
    assert_type(container.resolve(Annotated[Plugin, Named("bye")]), Plugin)


def overrides(container: Container) -> None:
    with container.override(Session, Mock()):
        assert_type(container.resolve(Session), Session)
    with container.override(Repository[User], Repository(Session(), User, Serializer(User))):
        assert_type(container.resolve(Repository[User]).model, type[User])


if __name__ == "__main__":
    container = Container(registry=registry)
    generics(container)
    collections_and_qualifiers(container)
    overrides(container)
    assert container.resolve(Repository[User]).new().name == "ada"
