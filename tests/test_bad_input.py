"""Every public entry point, given wrong input, raises a dioxide exception
that is also the builtin a caller would expect, says what to do (a
``hint:`` line), and leaves the container working.

One table: each row is a wrong call, the dioxide exception it raises and
the builtin that exception must also be.
"""

from __future__ import annotations

import asyncio
import typing
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass
from typing import Annotated, Any, Optional, Union

import pytest
from decorator_registry import fresh_decorator_registry
from dioxide import (
    AmbiguousProviderError,
    CircularDependencyError,
    Container,
    DependencyNotRegisteredError,
    DioxideError,
    DioxideTypeError,
    DuplicateRegistrationError,
    Named,
    ResolutionError,
    Scope,
    ScopeError,
    ValidationError,
    Value,
    component,
    provider,
    singleton,
)


class Config: ...


class Service:
    def __init__(self, config: Config) -> None:
        self.config = config


class Session: ...


class Port: ...


class Unrelated: ...


def make_session() -> Session:
    return Session()


def fresh_class(name: str = "Fresh") -> type:
    return type(name, (), {})


# -- constructors dioxide cannot wire -------------------------------------


class VarArgs:
    def __init__(self, *parts: Config) -> None: ...


class VarKwargs:
    def __init__(self, **parts: Config) -> None: ...


class PositionalOnly:
    def __init__(self, config: Config, /) -> None: ...


class Unannotated:
    def __init__(self, config) -> None:  # type: ignore[no-untyped-def]
        ...


class Primitive:
    def __init__(self, name: str) -> None: ...


class AnnotatedWithoutTarget:
    """``Annotated`` with metadata but no ``Named``/``Value`` to say what to inject."""

    def __init__(self, name: Annotated[str, "the user's name"]) -> None: ...


class GenericParameter:
    def __init__(self, numbers: list[int]) -> None: ...


class UnionParameter:
    def __init__(self, either: Union[Config, Session]) -> None: ...


class ForwardToNowhere:
    def __init__(self, later: Nowhere) -> None: ...  # type: ignore[name-defined]  # noqa: F821


class NotAContextManager: ...


UNWIRABLE = [VarArgs, VarKwargs, PositionalOnly, Unannotated, Primitive, AnnotatedWithoutTarget, GenericParameter, UnionParameter]


def no_return_annotation(config: Config):  # type: ignore[no-untyped-def]
    return Session()


def returns_nowhere() -> Nowhere:  # type: ignore[name-defined]  # noqa: F821
    raise AssertionError


def takes_varargs(*configs: Config) -> Session:
    return Session()


async def async_session() -> Unrelated:
    return Unrelated()


async def async_generator_session() -> AsyncIterator[Unrelated]:
    yield Unrelated()


def generator_without_yield() -> Iterator[Unrelated]:
    return
    yield  # pragma: no cover


def plain_function() -> None: ...


# -- helpers for rows that need some setup -----------------------------------


def closed_container() -> Container:
    container = Container()
    container.close()
    return container


def closed_scope(container: Container) -> Any:
    scope = container.create_scope()
    scope.close()
    return scope


def twice(first: Callable[[], Any], second: Callable[[], Any]) -> Any:
    first()
    return second()


def two_named(container: Container) -> Any:
    @component(provides=Port, name="main")
    class First(Port): ...

    @component(provides=Port, name="main")
    class Second(Port): ...

    class NeedsMain:
        def __init__(self, port: Annotated[Port, Named("main")]) -> None: ...

    container.register_class(NeedsMain)
    return container.resolve(NeedsMain)


def two_provider_functions(container: Container) -> Any:
    class Client: ...

    @provider
    def first() -> Client:
        return Client()

    @provider
    def second() -> Client:
        return Client()

    return container.resolve(Client)


def pending_forever(container: Container) -> Any:
    component(ForwardToNowhere)
    return container.resolve(ForwardToNowhere)


def active_override(container: Container) -> Any:
    override = container.override(Config, Config())
    with override, override:
        pass


def cyclic(container: Container) -> Any:
    class Left:
        def __init__(self, right: Right) -> None: ...

    class Right:
        def __init__(self, left: Left) -> None: ...

    container.register_class(Left)
    return container.register_class(Right)


def broken_wiring(container: Container) -> Any:
    class Orphan:
        def __init__(self, missing: Unrelated) -> None: ...

    container.register_class(Orphan)
    return container.validate()


@dataclass(frozen=True)
class Row:
    id: str
    call: Callable[[Container], Any]
    error: type[DioxideError]
    builtin: type[Exception]


ROWS = [
    # resolve: non-types, generics, forms
    Row("resolve None", lambda c: c.resolve(None), DioxideTypeError, TypeError),
    Row("resolve an int", lambda c: c.resolve(42), DioxideTypeError, TypeError),
    Row("resolve a string", lambda c: c.resolve("Config"), DioxideTypeError, TypeError),
    Row("resolve an instance", lambda c: c.resolve(Config()), DioxideTypeError, TypeError),
    Row("resolve a function", lambda c: c.resolve(plain_function), DioxideTypeError, TypeError),
    Row("resolve list[int]", lambda c: c.resolve(list[int]), DioxideTypeError, TypeError),
    Row("resolve typing.List[int]", lambda c: c.resolve(typing.List[int]), DioxideTypeError, TypeError),
    Row("resolve Optional[Config]", lambda c: c.resolve(Optional[Config]), DioxideTypeError, TypeError),
    Row("resolve Annotated[Config, Named] with no such name", lambda c: c.resolve(Annotated[Config, Named("x")]), DependencyNotRegisteredError, KeyError),
    Row("resolve an unregistered class", lambda c: c.resolve(Unrelated), DependencyNotRegisteredError, KeyError),
    Row("aresolve None", lambda c: asyncio.run(c.aresolve(None)), DioxideTypeError, TypeError),
    Row("scope resolve None", lambda c: c.create_scope().resolve(None), DioxideTypeError, TypeError),
    Row("scoped outside a scope", lambda c: c.resolve(Session), ScopeError, RuntimeError),
    # decorators on the wrong things
    Row("@component on a function", lambda c: component(plain_function), DioxideTypeError, TypeError),
    Row("@component on a lambda", lambda c: component(lambda: None), DioxideTypeError, TypeError),
    Row("@component on an instance", lambda c: component(Config()), DioxideTypeError, TypeError),
    Row("@singleton on a function", lambda c: singleton(plain_function), DioxideTypeError, TypeError),
    Row("@singleton on an instance", lambda c: singleton(Config()), DioxideTypeError, TypeError),
    Row("@component scope as a string", lambda c: component(scope="singleton"), DioxideTypeError, TypeError),  # type: ignore[call-overload]
    Row("@component name not a string", lambda c: component(name=3)(fresh_class()), DioxideTypeError, TypeError),  # type: ignore[call-overload]
    Row("@component provides not a class", lambda c: component(provides=3)(fresh_class()), DioxideTypeError, TypeError),  # type: ignore[call-overload]
    Row("@component provides unrelated", lambda c: component(provides=Unrelated)(fresh_class()), DioxideTypeError, TypeError),
    Row("@component profile not a name", lambda c: component(profile=3)(fresh_class()), DioxideTypeError, TypeError),  # type: ignore[call-overload]
    Row("@component lifecycle on a non-CM", lambda c: component(lifecycle=True)(NotAContextManager), DioxideTypeError, TypeError),
    Row("@provider on a class", lambda c: provider(Config), DioxideTypeError, TypeError),
    Row("@provider on a lambda", lambda c: provider(lambda: Session()), DioxideTypeError, TypeError),
    Row("@provider without return annotation", lambda c: provider(no_return_annotation), DioxideTypeError, TypeError),
    Row("@provider returning an undefined name", lambda c: provider(returns_nowhere), DioxideTypeError, TypeError),
    Row("@provider with *args", lambda c: provider(takes_varargs), DioxideTypeError, TypeError),
    Row("@provider scope as a string", lambda c: provider(scope="scoped"), DioxideTypeError, TypeError),  # type: ignore[call-overload]
    # constructors that cannot be wired, through every way of registering
    *[Row(f"register_class {cls.__name__}", lambda c, cls=cls: c.register_class(cls), DioxideTypeError, TypeError) for cls in UNWIRABLE],
    *[Row(f"@component {cls.__name__}", lambda c, cls=cls: component(cls), DioxideTypeError, TypeError) for cls in UNWIRABLE],
    *[Row(f"override with {cls.__name__}", lambda c, cls=cls: c.override(Config, cls), DioxideTypeError, TypeError) for cls in UNWIRABLE],
    Row("register_factory with *args", lambda c: c.register_factory(Session, takes_varargs), DioxideTypeError, TypeError),
    # forward references that never resolve
    Row("register_class forward to nowhere", lambda c: c.register_class(ForwardToNowhere), DioxideTypeError, TypeError),
    Row("@component forward to nowhere", pending_forever, DependencyNotRegisteredError, KeyError),
    # registration arguments
    Row("register_class None", lambda c: c.register_class(None), DioxideTypeError, TypeError),  # type: ignore[arg-type]
    Row("register_class not a subclass", lambda c: c.register_class(Config, Unrelated), DioxideTypeError, TypeError),  # type: ignore[arg-type]
    Row("register_class scope string", lambda c: c.register_class(fresh_class(), scope="singleton"), DioxideTypeError, TypeError),  # type: ignore[arg-type]
    Row("register_class lifecycle non-CM", lambda c: c.register_class(NotAContextManager, lifecycle=True), DioxideTypeError, TypeError),
    Row("register_instance wrong type", lambda c: c.register_instance(Unrelated, Config()), DioxideTypeError, TypeError),
    Row("register_instance None", lambda c: c.register_instance(Unrelated, None), DioxideTypeError, TypeError),
    Row("register_instance of a non-class", lambda c: c.register_instance(3, 3), DioxideTypeError, TypeError),  # type: ignore[arg-type]
    Row("register_factory not callable", lambda c: c.register_factory(Unrelated, 3), DioxideTypeError, TypeError),  # type: ignore[arg-type]
    Row("register_factory given a class", lambda c: c.register_factory(Unrelated, Config), DioxideTypeError, TypeError),
    Row("register_factory for a non-class", lambda c: c.register_factory(None, make_session), DioxideTypeError, TypeError),  # type: ignore[arg-type]
    Row("register_value name not a string", lambda c: c.register_value(3, "x"), DioxideTypeError, TypeError),  # type: ignore[arg-type]
    Row("register_value empty name", lambda c: c.register_value("", "x"), DioxideTypeError, TypeError),
    Row("Named without a name", lambda c: Named(""), DioxideTypeError, TypeError),
    Row("Value with a non-string", lambda c: Value(3), DioxideTypeError, TypeError),  # type: ignore[arg-type]
    Row("override a non-class", lambda c: c.override(None, Config()), DioxideTypeError, TypeError),  # type: ignore[arg-type]
    Row("override entered twice", active_override, DioxideTypeError, TypeError),
    Row("Container profile not a name", lambda c: Container(profile=3), DioxideTypeError, TypeError),  # type: ignore[arg-type]
    Row("graph in an unknown format", lambda c: c.graph("svg"), DioxideTypeError, TypeError),
    # async providers through the synchronous resolve
    Row("async factory, sync resolve", lambda c: twice(lambda: c.register_factory(Unrelated, async_session), lambda: c.resolve(Unrelated)), ResolutionError, RuntimeError),
    Row("async generator, sync resolve", lambda c: twice(lambda: c.register_factory(Unrelated, async_generator_session), lambda: c.resolve(Unrelated)), ResolutionError, RuntimeError),
    Row("generator that never yields", lambda c: twice(lambda: c.register_factory(Unrelated, generator_without_yield), lambda: c.resolve(Unrelated)), ResolutionError, RuntimeError),
    # duplicates and conflicts
    Row("register_class twice", lambda c: c.register_class(Config), DuplicateRegistrationError, ValueError),
    Row("register_instance twice", lambda c: c.register_instance(Config, Config()), DuplicateRegistrationError, ValueError),
    Row("register_value twice", lambda c: twice(lambda: c.register_value("dsn", "a"), lambda: c.register_value("dsn", "b")), DuplicateRegistrationError, ValueError),
    Row("two implementations, one name", two_named, AmbiguousProviderError, ValueError),
    Row("two provider functions, one type", two_provider_functions, AmbiguousProviderError, ValueError),
    Row("registration closing a cycle", cyclic, CircularDependencyError, ValueError),
    Row("validate broken wiring", broken_wiring, ValidationError, ValueError),
    # closed containers and scopes
    Row("register after close", lambda c: closed_container().register_class(Config), ResolutionError, RuntimeError),
    Row("register_instance after close", lambda c: closed_container().register_instance(Config, Config()), ResolutionError, RuntimeError),
    Row("register_factory after close", lambda c: closed_container().register_factory(Session, make_session), ResolutionError, RuntimeError),
    Row("register_value after close", lambda c: closed_container().register_value("dsn", "x"), ResolutionError, RuntimeError),
    Row("resolve after close", lambda c: closed_container().resolve(Config), ResolutionError, RuntimeError),
    Row("create_scope after close", lambda c: closed_container().create_scope(), ResolutionError, RuntimeError),
    Row("override after close", lambda c: closed_container().override(Config, Config()).__enter__(), ResolutionError, RuntimeError),
    Row("closed scope resolve", lambda c: closed_scope(c).resolve(Config), ScopeError, RuntimeError),
    Row("closed scope aresolve", lambda c: asyncio.run(closed_scope(c).aresolve(Config)), ScopeError, RuntimeError),
    Row("closed scope nested scope", lambda c: closed_scope(c).create_scope(), ScopeError, RuntimeError),
]


@pytest.fixture
def wired() -> Iterator[Container]:
    """A working container, its decorators kept away from other tests."""
    with fresh_decorator_registry():
        container = Container()
        container.register_class(Config, scope=Scope.SINGLETON)
        container.register_class(Service)
        container.register_factory(Session, make_session, scope=Scope.SCOPED)
        yield container
        container.close()


def still_works(container: Container) -> None:
    service = container.resolve(Service)
    assert service.config is container.resolve(Config)
    with container.create_scope() as scope:
        assert scope.resolve(Session) is scope.resolve(Session)
    extra = fresh_class("Extra")
    container.register_class(extra)
    assert isinstance(container.resolve(extra), extra)


@pytest.mark.parametrize("row", ROWS, ids=[row.id for row in ROWS])
def test_wrong_input_gets_a_dioxide_error_that_says_what_to_do(row: Row, wired: Container) -> None:
    with pytest.raises(row.error) as info:
        row.call(wired)

    error = info.value
    assert isinstance(error, DioxideError)
    assert isinstance(error, row.builtin), f"{type(error).__name__} is not a {row.builtin.__name__}"
    assert "hint:" in str(error), str(error)
    still_works(wired)


def test_the_table_covers_every_public_entry_point() -> None:
    called = " ".join(row.id for row in ROWS)
    for entry in [
        "resolve", "aresolve", "scope", "@component", "@singleton", "@provider", "register_class",
        "register_instance", "register_factory", "register_value", "override", "Named", "Value",
        "Container", "graph", "validate", "close",
    ]:  # fmt: skip
        assert entry in called, entry


@pytest.mark.parametrize("optional", [Optional[Config], Config | None], ids=["Optional", "X | None"])
def test_resolving_an_optional_points_at_the_class_and_at_optional_parameters(
    optional: Any, wired: Container
) -> None:
    with pytest.raises(DioxideTypeError) as info:
        wired.resolve(optional)

    assert info.value.hint is not None
    assert "resolve Config itself" in info.value.hint
    assert "gets None when nothing provides Config" in info.value.hint


def test_resolving_a_union_of_classes_says_dioxide_will_not_choose(wired: Container) -> None:
    with pytest.raises(DioxideTypeError) as info:
        wired.resolve(Config | Session)

    assert info.value.hint is not None
    assert "cannot choose between Config and Session" in info.value.hint
