"""Every container and scope class owns its ``resolve``.

CPython takes its specialized path for a C method call only when the
instance's type is exactly the method's owner, so ``Container``,
``ContainerScope`` and each subclass get a ``resolve`` owned by that class
(its speed is measured by ``make bench-instructions``, S1). These tests pin
what a user relies on: the same answers through every class, and a
subclass's own ``resolve`` left alone.
"""

from __future__ import annotations

from typing import Any

from dioxide import Container, ContainerScope, Registry, Scope


class Config: ...


def owner_of_resolve(cls: type) -> Any:
    return cls.__dict__["resolve"].__objclass__


def test_container_and_scope_classes_own_their_resolve() -> None:
    assert owner_of_resolve(Container) is Container
    assert owner_of_resolve(ContainerScope) is ContainerScope


def test_each_subclass_owns_its_resolve_and_resolves_the_same() -> None:
    class AppContainer(Container):
        pass

    class TestContainer(AppContainer):
        pass

    assert owner_of_resolve(AppContainer) is AppContainer
    assert owner_of_resolve(TestContainer) is TestContainer
    container = TestContainer(registry=Registry())
    container.register_class(Config, scope=Scope.SINGLETON)
    assert container.resolve(Config) is container.resolve(Config)
    assert isinstance(container.resolve(Config), Config)


def test_a_subclass_that_defines_resolve_keeps_it_and_passes_it_on() -> None:
    calls: list[type] = []

    class Audited(Container):
        def resolve(self, type_: Any, /) -> Any:
            calls.append(type_)
            return super().resolve(type_)

    class Child(Audited):
        pass

    container = Child(registry=Registry())
    container.register_class(Config, scope=Scope.SINGLETON)
    first = container.resolve(Config)

    assert "resolve" not in Child.__dict__
    assert calls == [Config]
    assert container.resolve(Config) is first
    assert calls == [Config, Config]


def test_scope_subclasses_own_their_resolve() -> None:
    class RequestScope(ContainerScope):
        pass

    assert owner_of_resolve(RequestScope) is RequestScope
    container = Container(registry=Registry())
    container.register_class(Config, scope=Scope.SCOPED)
    with RequestScope(container) as scope:
        assert scope.resolve(Config) is scope.resolve(Config)
