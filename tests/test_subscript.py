"""``container[T]`` and ``scope[T]``: the subscript spelling of ``resolve``,
with the same answers and the same errors."""

from __future__ import annotations

import pytest
from dioxide import (
    Container,
    DependencyNotRegisteredError,
    DioxideTypeError,
    Registry,
    ResolutionError,
    Scope,
    ScopeError,
)


class Config:
    def __init__(self) -> None:
        self.dsn = "sqlite://"


class Service:
    def __init__(self, config: Config) -> None:
        self.config = config


class Session:
    def __init__(self, config: Config) -> None:
        self.config = config


class Unregistered: ...


@pytest.fixture
def wired() -> Container:
    container = Container(registry=Registry())
    container.register_class(Config, scope=Scope.SINGLETON)
    container.register_class(Service)
    container.register_class(Session, scope=Scope.SCOPED)
    return container


def test_container_subscript_answers_as_resolve(wired: Container) -> None:
    assert wired[Config] is wired.resolve(Config)
    service = wired[Service]
    assert isinstance(service, Service)
    assert service.config is wired[Config]
    assert wired[Service] is not service


def test_scope_subscript_answers_as_resolve(wired: Container) -> None:
    with wired.create_scope() as scope:
        session = scope[Session]
        assert session is scope.resolve(Session)
        assert scope[Config] is wired[Config]
        with wired.create_scope() as other:
            assert other[Session] is not session


def test_subscript_raises_what_resolve_raises(wired: Container) -> None:
    with pytest.raises(DependencyNotRegisteredError) as missing:
        wired[Unregistered]
    with pytest.raises(DependencyNotRegisteredError) as by_resolve:
        wired.resolve(Unregistered)
    assert str(missing.value) == str(by_resolve.value)

    with pytest.raises(DioxideTypeError):
        wired["Config"]  # type: ignore[index]
    with pytest.raises(ScopeError):
        wired[Session]


def test_subscript_of_a_closed_container_or_scope_refuses(wired: Container) -> None:
    wired[Config]  # built and cached: the refusal cannot come from a cache miss
    scope = wired.create_scope()
    scope.close()
    with pytest.raises(ScopeError, match="closed"):
        scope[Config]

    wired.close()
    with pytest.raises(ResolutionError, match="closed"):
        wired[Config]


def test_subclasses_resolve_by_subscript_and_may_redefine_it() -> None:
    registry = Registry()

    class AppContainer(Container):
        pass

    class Logged(Container):
        def __getitem__(self, type_: object) -> object:
            return ("logged", type_)

    container = AppContainer(registry=registry)
    container.register_class(Config, scope=Scope.SINGLETON)
    assert container[Config] is container.resolve(Config)
    assert Logged(registry=registry)[Config] == ("logged", Config)
