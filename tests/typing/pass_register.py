"""The ``register_*`` methods accept what the docs show, with every scope
option, and resolving afterwards returns the registered type. mypy --strict
accepts this file with no ignore comment (with and without
``dioxide.mypy_plugin``), and it runs."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator

from typing_extensions import Annotated, assert_type

from dioxide import Container, DioxideError, Registry, Scope, ValidationError, Value, component, provider, singleton


class Config:
    def __init__(self, dsn: str = "sqlite://") -> None:
        self.dsn = dsn


class MemoryConfig(Config):
    pass


class Database:
    def __init__(self, config: Config) -> None:
        self.dsn = config.dsn


class Session:
    def __init__(self, db: Database) -> None:
        self.db = db


class HttpClient:
    pass


class Clock:
    pass


class Mailer:
    def __init__(self, sender: Annotated[str, Value("sender")]) -> None:
        self.sender = sender


def open_session(db: Database) -> Iterator[Session]:
    yield Session(db)


async def http_client() -> AsyncIterator[HttpClient]:
    yield HttpClient()


async def clock() -> Clock:
    return Clock()


def register_everything(container: Container) -> None:
    assert_type(container.register_instance(Config, MemoryConfig("memory://")), None)
    assert_type(container.register_class(Database, scope=Scope.SINGLETON), None)
    assert_type(container.register_factory(Session, open_session, scope=Scope.SCOPED), None)
    assert_type(container.register_factory(HttpClient, http_client, scope=Scope.SINGLETON), None)
    assert_type(container.register_factory(Clock, clock), None)


def register_a_subclass(container: Container) -> None:
    assert_type(container.register_class(Config, MemoryConfig, scope=Scope.TRANSIENT), None)
    assert_type(container.register_class(Database, Database, lifecycle=False), None)


def values_validation_and_the_graph() -> None:
    container = Container(profile="test")
    assert_type(container, Container)
    assert_type(container.register_value("sender", "noreply@example.com"), None)
    assert_type(container.register_class(Mailer), None)
    assert_type(container.resolve(Mailer).sender, str)
    assert_type(container.validate(), None)
    assert_type(container.graph(), str)
    assert_type(container.graph("dot"), str)
    try:
        Container().validate()
    except ValidationError as error:
        assert_type(error.errors, list[DioxideError])


def override_for_a_test(container: Container) -> None:
    with container.override(Config, MemoryConfig("test://")) as entered:
        assert_type(entered, None)
        assert_type(container.resolve(Config), Config)
    with container.override(Config, MemoryConfig, scope=Scope.SINGLETON):
        assert_type(container.resolve(Config).dsn, str)


async def resolve_what_was_registered(container: Container) -> None:
    assert_type(container.resolve(Config), Config)
    assert_type(container.resolve(Database).dsn, str)
    assert_type(await container.aresolve(HttpClient), HttpClient)
    assert_type(await container.aresolve(Clock), Clock)
    async with container.create_scope() as scope:
        assert_type(scope.resolve(Session), Session)
        assert_type(await scope.aresolve(Session), Session)


def a_registry_of_its_own() -> None:
    registry = Registry()

    @singleton(registry=registry)
    class Settings: ...

    @component(registry=registry)
    class Service:
        def __init__(self, settings: Settings) -> None:
            self.settings = settings

    @provider(registry=registry, name="fast")
    def make_service(settings: Settings) -> Service:
        return Service(settings)

    container = Container(registry=registry, profile=None)
    assert_type(container.registry, Registry)
    assert_type(container.resolve(Service), Service)
    assert_type(len(registry), int)
    assert_type(Service in registry, bool)


if __name__ == "__main__":
    a_registry_of_its_own()
    app = Container()
    register_everything(app)
    asyncio.run(resolve_what_was_registered(app))
    asyncio.run(app.aclose())
    register_a_subclass(Container())
    values_validation_and_the_graph()
    overridden = Container()
    overridden.register_class(Config)
    override_for_a_test(overridden)
