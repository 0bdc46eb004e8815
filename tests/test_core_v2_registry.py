"""Core v2: registries, bad shapes and cycle hints.

- A ``Registry`` holds what is decorated with ``registry=it``; a container
  made from it sees exactly those classes, and two registries never see
  each other's. ``len(registry)`` and ``X in registry`` describe it.
- Classes dioxide cannot build (a ``NamedTuple``, ``int``, ``object``,
  ``type``) are refused when decorated, with a hint.
- ``dir(Container())`` shows the public API only.
- A cycle's hint tells how to break it, and suggests nothing that does not
  (a default value, a factory).
"""

from __future__ import annotations

from typing import NamedTuple, Optional

import pytest

from dioxide import (
    CircularDependencyError,
    Container,
    DependencyNotRegisteredError,
    DioxideTypeError,
    Registry,
    Scope,
    component,
    provider,
    singleton,
)

# Registries


def test_a_new_registry_is_empty() -> None:
    registry = Registry()

    assert len(registry) == 0
    assert len(Container(registry=registry)) == 0


def test_a_registry_counts_and_contains_what_was_decorated_into_it() -> None:
    registry = Registry()

    @component(registry=registry)
    class A: ...

    @singleton(registry=registry)
    class B: ...

    class C: ...

    @provider(registry=registry)
    def make_c() -> C:
        return C()

    class Stranger: ...

    assert len(registry) == 3
    assert A in registry
    assert B in registry
    assert C in registry
    assert Stranger not in registry


def test_a_registry_contains_the_interfaces_its_classes_provide() -> None:
    registry = Registry()

    class Port: ...

    @component(provides=Port, registry=registry)
    class Adapter(Port): ...

    assert Port in registry
    assert Adapter in registry


def test_a_container_sees_exactly_its_registrys_classes() -> None:
    registry = Registry()

    @component(registry=registry)
    class Mine: ...

    other = Registry()

    @component(registry=other)
    class Theirs: ...

    container = Container(registry=registry)

    assert isinstance(container.resolve(Mine), Mine)
    assert len(container) == 1
    assert Theirs not in container
    with pytest.raises(DependencyNotRegisteredError) as info:
        container.resolve(Theirs)
    assert info.value.hint


def test_two_registries_do_not_see_each_others_classes() -> None:
    first, second = Registry(), Registry()

    @component(registry=first)
    class OnlyInFirst: ...

    @component(registry=second)
    class OnlyInSecond: ...

    assert OnlyInFirst in first and OnlyInFirst not in second
    assert OnlyInSecond in second and OnlyInSecond not in first
    assert len(first) == len(second) == 1


def test_the_same_class_can_be_decorated_into_two_registries_with_different_lifetimes() -> None:
    transient, shared = Registry(), Registry()

    class Clock: ...

    component(registry=transient)(Clock)
    singleton(registry=shared)(Clock)

    transient_container = Container(registry=transient)
    shared_container = Container(registry=shared)
    assert transient_container.resolve(Clock) is not transient_container.resolve(Clock)
    assert shared_container.resolve(Clock) is shared_container.resolve(Clock)


def test_a_class_decorated_later_reaches_containers_already_made_from_its_registry() -> None:
    registry = Registry()
    container = Container(registry=registry)

    @component(registry=registry)
    class Late: ...

    assert Late in container
    assert isinstance(container.resolve(Late), Late)


def test_a_tests_registry_sees_nothing_of_other_tests_classes() -> None:
    # Every other test in this module decorated its classes into registries
    # of its own; a fresh one starts empty, whatever ran before.
    registry = Registry()

    assert len(registry) == 0
    assert len(Container(registry=registry)) == 0


def test_registering_on_a_container_does_not_change_its_registry() -> None:
    registry = Registry()

    class Extra: ...

    container = Container(registry=registry)
    container.register_class(Extra, scope=Scope.SINGLETON)

    assert Extra in container
    assert Extra not in registry
    assert Extra not in Container(registry=registry)


def test_container_rejects_a_registry_that_is_not_one() -> None:
    with pytest.raises(DioxideTypeError) as info:
        Container(registry=object())  # type: ignore[arg-type]
    assert info.value.hint


def test_decorators_reject_a_registry_that_is_not_one() -> None:
    class A: ...

    with pytest.raises(DioxideTypeError) as info:
        component(registry={})(A)  # type: ignore[arg-type]
    assert info.value.hint


# Public surface


def test_dir_of_a_container_shows_no_single_underscore_names() -> None:
    names = dir(Container(registry=Registry()))

    private = [name for name in names if name.startswith("_") and not name.startswith("__")]
    assert private == []
    for public in ("resolve", "aresolve", "close", "create_scope", "register_class"):
        assert public in names


def test_dir_of_a_scope_shows_no_single_underscore_names() -> None:
    container = Container(registry=Registry())
    with container.create_scope() as scope:
        names = dir(scope)

    private = [name for name in names if name.startswith("_") and not name.startswith("__")]
    assert private == []


# Bad shapes fail at registration


class Point(NamedTuple):
    x: int
    y: int


@pytest.mark.parametrize("decorator", [component, singleton], ids=["component", "singleton"])
@pytest.mark.parametrize("target", [Point, int, object, type], ids=lambda t: t.__name__)
def test_a_class_dioxide_cannot_build_is_refused_when_decorated(
    decorator: object, target: type
) -> None:
    registry = Registry()

    with pytest.raises(DioxideTypeError) as info:
        decorator(registry=registry)(target)  # type: ignore[operator]

    assert info.value.hint
    assert target.__name__ in str(info.value)
    assert len(registry) == 0


# Cycle hints


def assert_cycle_hint_only_suggests_what_breaks_it(error: CircularDependencyError) -> None:
    assert error.hint
    hint = error.hint.lower()
    assert "default" not in hint
    assert "factory" not in hint
    assert "register_factory" not in hint
    assert "@provider" not in hint


def test_a_cycle_between_two_classes_is_refused_with_a_hint_to_remove_a_dependency() -> None:
    registry = Registry()

    @component(registry=registry)
    class X:
        def __init__(self, y: Y) -> None: ...

    class Y:
        def __init__(self, x: X) -> None: ...

    with pytest.raises(CircularDependencyError) as info:
        component(registry=registry)(Y)

    assert info.value.cycle in ([Y, X, Y], [X, Y, X])
    assert_cycle_hint_only_suggests_what_breaks_it(info.value)


def test_a_class_depending_on_itself_gets_the_same_hint() -> None:
    class Selfish:
        def __init__(self, me: Selfish) -> None: ...

    with pytest.raises(CircularDependencyError) as info:
        component(registry=Registry())(Selfish)

    assert_cycle_hint_only_suggests_what_breaks_it(info.value)


def test_a_cycle_with_a_default_value_is_still_a_cycle_and_its_hint_does_not_suggest_one() -> None:
    registry = Registry()

    @component(registry=registry)
    class X:
        def __init__(self, y: Optional[Y] = None) -> None: ...

    class Y:
        def __init__(self, x: X) -> None: ...

    with pytest.raises(CircularDependencyError) as info:
        component(registry=registry)(Y)

    assert_cycle_hint_only_suggests_what_breaks_it(info.value)


def test_a_cycle_through_a_provider_function_does_not_suggest_a_factory() -> None:
    registry = Registry()

    class Product: ...

    @component(registry=registry)
    class Consumer:
        def __init__(self, product: Product) -> None: ...

    def make_product(consumer: Consumer) -> Product:
        return Product()

    with pytest.raises(CircularDependencyError) as info:
        provider(registry=registry)(make_product)

    assert_cycle_hint_only_suggests_what_breaks_it(info.value)
    assert make_product not in registry


def test_a_cycle_registered_on_a_container_is_refused_with_the_same_hint() -> None:
    registry = Registry()

    class Y: ...

    @component(registry=registry)
    class X:
        def __init__(self, y: Y) -> None: ...

    def make_y(x: X) -> Y:
        return Y()

    container = Container(registry=registry)
    with pytest.raises(CircularDependencyError) as info:
        container.register_factory(Y, make_y)

    assert_cycle_hint_only_suggests_what_breaks_it(info.value)
    # Refused: the container is as it was.
    with pytest.raises(DependencyNotRegisteredError):
        container.resolve(X)
