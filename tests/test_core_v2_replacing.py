"""Core v2: replacing a provider is consistent.

Whatever replaces a provider (``register_class`` over a decorated class, a
later decoration whose profile takes over an interface, an ``override``
block), every instance resolved afterwards agrees on it: dependants built
with the old provider are rebuilt, and one scope holds one instance of a
scoped type.
"""

from __future__ import annotations


from dioxide import Container, Registry, Scope, component, singleton


def test_register_class_over_a_decorated_singleton_rebuilds_its_singleton_dependants() -> None:
    registry = Registry()
    built: list[str] = []

    @singleton(registry=registry)
    class Repo:
        def __init__(self) -> None:
            built.append(type(self).__name__)

    class OtherRepo(Repo): ...

    @singleton(registry=registry)
    class Service:
        def __init__(self, repo: Repo) -> None:
            self.repo = repo
            built.append("Service")

    container = Container(registry=registry)
    before = container.resolve(Service)

    container.register_class(Repo, OtherRepo, scope=Scope.SINGLETON)
    after = container.resolve(Service)

    assert isinstance(after.repo, OtherRepo)
    assert after is not before
    assert after.repo is container.resolve(Repo)
    assert built == ["Repo", "Service", "OtherRepo", "Service"]


def test_register_class_rebuilds_singletons_that_depend_on_the_replaced_one_indirectly() -> None:
    registry = Registry()

    @singleton(registry=registry)
    class Repo: ...

    class OtherRepo(Repo): ...

    @singleton(registry=registry)
    class Cache:
        def __init__(self, repo: Repo) -> None:
            self.repo = repo

    @singleton(registry=registry)
    class Service:
        def __init__(self, cache: Cache) -> None:
            self.cache = cache

    container = Container(registry=registry)
    container.resolve(Service)

    container.register_class(Repo, OtherRepo, scope=Scope.SINGLETON)

    assert isinstance(container.resolve(Service).cache.repo, OtherRepo)


def test_register_class_leaves_unrelated_singletons_alone() -> None:
    registry = Registry()

    @singleton(registry=registry)
    class Repo: ...

    class OtherRepo(Repo): ...

    @singleton(registry=registry)
    class Clock: ...

    container = Container(registry=registry)
    clock = container.resolve(Clock)

    container.register_class(Repo, OtherRepo, scope=Scope.SINGLETON)

    assert container.resolve(Clock) is clock


class Port: ...


def test_a_late_profile_decoration_takes_over_an_interface_and_rebuilds_its_dependants() -> None:
    registry = Registry()

    @component(provides=Port, registry=registry)
    class A(Port): ...

    @singleton(registry=registry)
    class Dependant:
        def __init__(self, port: Port) -> None:
            self.port = port

    container = Container(registry=registry, profile="test")
    assert isinstance(container.resolve(Port), A)
    assert isinstance(container.resolve(Dependant).port, A)

    @component(provides=Port, profile="test", registry=registry)
    class B(Port): ...

    assert isinstance(container.resolve(Port), B)
    assert isinstance(container.resolve(Dependant).port, B)


def test_a_late_profile_decoration_does_not_reach_a_container_of_another_profile() -> None:
    registry = Registry()

    @component(provides=Port, registry=registry)
    class A(Port): ...

    container = Container(registry=registry, profile="prod")
    assert isinstance(container.resolve(Port), A)

    @component(provides=Port, profile="test", registry=registry)
    class B(Port): ...

    assert isinstance(container.resolve(Port), A)


def scoped_port_registry() -> tuple[Registry, type[Port], type]:
    """A scoped ``Port`` (``Impl``) and a scoped ``User`` of it."""
    registry = Registry()

    @component(provides=Port, scope=Scope.SCOPED, registry=registry)
    class Impl(Port): ...

    @component(scope=Scope.SCOPED, registry=registry)
    class User:
        def __init__(self, port: Port) -> None:
            self.port = port

    return registry, Impl, User


class Fake(Port): ...


def test_an_override_entered_in_an_open_scope_gives_one_instance_per_scope() -> None:
    registry, _, user = scoped_port_registry()
    container = Container(registry=registry)

    with container.create_scope() as scope:
        with container.override(Port, Fake, scope=Scope.SCOPED):
            port = scope.resolve(Port)
            assert isinstance(port, Fake)
            assert scope.resolve(user).port is port
            assert scope.resolve(Port) is port


def test_an_override_entered_before_scopes_open_gives_each_scope_its_own_instance() -> None:
    registry, _, user = scoped_port_registry()
    container = Container(registry=registry)

    with container.override(Port, Fake, scope=Scope.SCOPED):
        with container.create_scope() as first, container.create_scope() as second:
            assert first.resolve(user).port is first.resolve(Port)
            assert second.resolve(user).port is second.resolve(Port)
            assert first.resolve(Port) is not second.resolve(Port)


def test_an_override_entered_in_an_open_scope_rebuilds_scoped_dependants_built_before() -> None:
    registry, _, user = scoped_port_registry()
    container = Container(registry=registry)

    with container.create_scope() as scope:
        scope.resolve(user)
        with container.override(Port, Fake, scope=Scope.SCOPED):
            port = scope.resolve(Port)
            assert isinstance(port, Fake)
            assert scope.resolve(user).port is port


def test_scoped_dependants_built_during_an_override_do_not_outlive_it() -> None:
    registry, impl, user = scoped_port_registry()
    container = Container(registry=registry)

    with container.create_scope() as scope:
        with container.override(Port, Fake, scope=Scope.SCOPED):
            scope.resolve(user)
        port = scope.resolve(Port)
        assert isinstance(port, impl)
        assert scope.resolve(user).port is port


def test_singleton_dependants_built_during_an_override_do_not_outlive_it() -> None:
    registry = Registry()

    @singleton(registry=registry)
    class Repo: ...

    class OtherRepo(Repo): ...

    @singleton(registry=registry)
    class Service:
        def __init__(self, repo: Repo) -> None:
            self.repo = repo

    container = Container(registry=registry)
    before = container.resolve(Service)
    with container.override(Repo, OtherRepo, scope=Scope.SINGLETON):
        inside = container.resolve(Service)
        assert isinstance(inside.repo, OtherRepo)
        assert inside.repo is container.resolve(Repo)

    assert container.resolve(Service) is before
    assert type(container.resolve(Service).repo) is Repo


def test_register_class_in_an_open_scope_rebuilds_scoped_dependants_built_before() -> None:
    registry, _, user = scoped_port_registry()
    container = Container(registry=registry)

    with container.create_scope() as scope:
        scope.resolve(user)
        container.register_class(Port, Fake, scope=Scope.SCOPED)
        port = scope.resolve(Port)
        assert isinstance(port, Fake)
        assert scope.resolve(user).port is port
