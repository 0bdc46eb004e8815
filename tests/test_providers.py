"""Provider functions: ``@provider`` and ``register_factory`` with functions and methods."""

from __future__ import annotations

from collections.abc import AsyncIterator, Generator, Iterator
from typing import Any, Optional

import pytest

from dioxide import Container, DioxideTypeError, Scope, provider


class Config:
    def __init__(self, dsn: str = "sqlite://") -> None:
        self.dsn = dsn


class Database:
    def __init__(self, dsn: str) -> None:
        self.dsn = dsn


# @provider


def test_bare_provider_registers_its_return_type(container: Container) -> None:
    class Clock: ...

    @provider
    def clock() -> Clock:
        return Clock()

    assert isinstance(container.resolve(Clock), Clock)


def test_provider_parameters_are_injected_from_their_type_hints(container: Container) -> None:
    class Settings: ...

    class Mailer:
        def __init__(self, settings: Settings) -> None:
            self.settings = settings

    container.register_instance(Settings, Settings())

    @provider
    def mailer(settings: Settings) -> Mailer:
        return Mailer(settings)

    assert container.resolve(Mailer).settings is container.resolve(Settings)


def test_provider_is_transient_by_default(container: Container) -> None:
    class Token: ...

    @provider
    def token() -> Token:
        return Token()

    assert container.resolve(Token) is not container.resolve(Token)


def test_singleton_provider_is_called_once_per_container(container: Container) -> None:
    class Pool: ...

    calls: list[Pool] = []

    @provider(scope=Scope.SINGLETON)
    def pool() -> Pool:
        calls.append(Pool())
        return calls[-1]

    assert container.resolve(Pool) is container.resolve(Pool)
    assert len(calls) == 1
    assert Container().resolve(Pool) is not container.resolve(Pool)


def test_scoped_provider_is_called_once_per_scope(container: Container) -> None:
    class Transaction: ...

    @provider(scope=Scope.SCOPED)
    def transaction() -> Transaction:
        return Transaction()

    with container.create_scope() as first, container.create_scope() as second:
        assert first.resolve(Transaction) is first.resolve(Transaction)
        assert first.resolve(Transaction) is not second.resolve(Transaction)


def test_provides_registers_the_function_under_another_type(container: Container) -> None:
    class Storage: ...

    class DiskStorage(Storage): ...

    @provider(provides=Storage)
    def disk() -> DiskStorage:
        return DiskStorage()

    assert isinstance(container.resolve(Storage), DiskStorage)
    assert DiskStorage not in container


def test_provides_works_without_a_return_annotation(container: Container) -> None:
    class Storage: ...

    @provider(provides=Storage)
    def storage():  # type: ignore[no-untyped-def]
        return Storage()

    assert isinstance(container.resolve(Storage), Storage)


def test_provider_returns_the_function_unchanged() -> None:
    class Clock: ...

    def clock() -> Clock:
        return Clock()

    assert provider(clock) is clock
    assert provider(scope=Scope.SINGLETON)(clock) is clock


def test_iterator_annotation_of_a_generator_provider_names_the_provided_type(
    container: Container,
) -> None:
    class Connection: ...

    @provider
    def connection() -> Iterator[Connection]:
        yield Connection()

    assert isinstance(container.resolve(Connection), Connection)


def test_generator_annotation_of_a_generator_provider_names_the_provided_type(
    container: Container,
) -> None:
    class Connection: ...

    @provider
    def connection() -> Generator[Connection, None, None]:
        yield Connection()

    assert isinstance(container.resolve(Connection), Connection)


def test_provider_default_is_kept_when_its_type_has_no_provider(container: Container) -> None:
    class Options: ...

    class Report:
        def __init__(self, options: Optional[Options]) -> None:
            self.options = options

    @provider
    def report(options: Optional[Options] = None) -> Report:
        return Report(options)

    assert container.resolve(Report).options is None


# Refused @provider uses


def test_provider_without_return_annotation_is_refused() -> None:
    with pytest.raises(DioxideTypeError) as info:

        @provider
        def nameless():  # type: ignore[no-untyped-def]
            return object()

    assert info.value.reason == (
        "@provider cannot tell what nameless provides: "
        "its return annotation is missing or not a class"
    )
    assert info.value.hint == "annotate the return type ('-> Database'), or pass provides=Database"


def test_provider_with_undefined_return_annotation_is_refused() -> None:
    with pytest.raises(DioxideTypeError) as info:

        @provider
        def later() -> NotDefinedAnywhere:  # type: ignore[name-defined]  # noqa: F821
            raise AssertionError

    assert "'NotDefinedAnywhere', which is not defined" in info.value.reason
    assert info.value.hint is not None
    assert "provides=" in info.value.hint


def test_provider_on_a_class_is_refused_with_a_hint() -> None:
    class Service: ...

    with pytest.raises(DioxideTypeError) as info:
        provider(Service)

    assert info.value.reason == "@provider decorates functions, got Service (type)"
    assert info.value.hint == "for a class use @component or @singleton"


@pytest.mark.parametrize("scope", ["", None, 1])
def test_provider_scope_must_be_a_scope_or_a_level_name(scope: Any) -> None:
    with pytest.raises(DioxideTypeError) as info:
        provider(scope=scope)

    assert info.value.reason == (
        f"@provider: scope must be a dioxide.Scope or a scope level's name, got {scope!r}"
    )
    assert info.value.hint == (
        'use Scope.TRANSIENT, Scope.SINGLETON, Scope.SCOPED or a level, e.g. "request"'
    )


@pytest.mark.parametrize("scope", ["singleton", "transient", "scoped"])
def test_provider_scope_as_a_lifetime_name_points_at_the_enum(scope: str) -> None:
    with pytest.raises(DioxideTypeError) as info:
        provider(scope=scope)

    assert info.value.reason == f"@provider: scope={scope!r} names a lifetime, not a scope level"
    assert info.value.hint == f"use Scope.{scope.upper()}"


# register_factory with methods and callables


def test_bound_method_is_a_factory_with_injected_parameters(container: Container) -> None:
    class DatabaseFactory:
        def __init__(self, prefix: str) -> None:
            self.prefix = prefix

        def create(self, config: Config) -> Database:
            return Database(self.prefix + config.dsn)

    container.register_instance(Config, Config("memory"))
    container.register_factory(Database, DatabaseFactory("sqlite://").create)

    assert container.resolve(Database).dsn == "sqlite://memory"


def test_classmethod_is_a_factory(container: Container) -> None:
    class Databases:
        @classmethod
        def create(cls, config: Config) -> Database:
            return Database(config.dsn)

    container.register_instance(Config, Config("classmethod"))
    container.register_factory(Database, Databases.create)

    assert container.resolve(Database).dsn == "classmethod"


def test_staticmethod_is_a_factory(container: Container) -> None:
    class Databases:
        @staticmethod
        def create(config: Config) -> Database:
            return Database(config.dsn)

    container.register_instance(Config, Config("staticmethod"))
    container.register_factory(Database, Databases.create)

    assert container.resolve(Database).dsn == "staticmethod"


def test_generator_method_is_a_finalized_factory(container: Container) -> None:
    events: list[str] = []

    class Connections:
        def open(self, config: Config) -> Iterator[Database]:
            events.append("open")
            yield Database(config.dsn)
            events.append("close")

    container.register_instance(Config, Config())
    container.register_factory(Database, Connections().open, scope=Scope.SINGLETON)

    container.resolve(Database)
    assert events == ["open"]
    container.close()
    assert events == ["open", "close"]


def test_callable_object_is_a_factory(container: Container) -> None:
    class MakeDatabase:
        def __call__(self, config: Config) -> Database:
            return Database(config.dsn)

    container.register_instance(Config, Config("callable"))
    container.register_factory(Database, MakeDatabase())

    assert container.resolve(Database).dsn == "callable"


def test_factory_scope_is_honoured(container: Container) -> None:
    def database(config: Config) -> Database:
        return Database(config.dsn)

    container.register_instance(Config, Config())
    container.register_factory(Database, database, scope=Scope.SCOPED)

    with container.create_scope() as scope:
        assert scope.resolve(Database) is scope.resolve(Database)


def test_register_factory_refuses_a_class_with_a_hint(container: Container) -> None:
    with pytest.raises(DioxideTypeError) as info:
        container.register_factory(Database, Database)

    assert info.value.hint == "use register_class() for classes"


def test_register_factory_refuses_a_non_callable(container: Container) -> None:
    with pytest.raises(DioxideTypeError) as info:
        container.register_factory(Database, "make_database")  # type: ignore[arg-type]

    assert info.value.reason == (
        "register_factory(Database, ...) expects a callable, got 'make_database'"
    )
    assert info.value.hint == "pass a function (or method) that returns the instance"


def test_contextmanager_provider_is_entered_and_exited(container: Container) -> None:
    from contextlib import contextmanager

    log: list[str] = []

    class Connection: ...

    @contextmanager
    def connection() -> Iterator[Connection]:
        log.append("open")
        yield Connection()
        log.append("close")

    container.register_factory(Connection, connection, scope=Scope.SINGLETON)

    assert isinstance(container.resolve(Connection), Connection)
    assert log == ["open"]
    container.close()
    assert log == ["open", "close"]


def test_asynccontextmanager_provider_is_refused_with_a_hint(container: Container) -> None:
    from contextlib import asynccontextmanager

    class Connection: ...

    @asynccontextmanager
    async def connection() -> AsyncIterator[Connection]:
        yield Connection()  # pragma: no cover - never entered

    with pytest.raises(DioxideTypeError, match="asynccontextmanager") as info:
        container.register_factory(Connection, connection)

    assert "hint:" in str(info.value)
    assert Connection not in container
