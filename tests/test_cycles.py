"""Cycles are refused by the decorator that closes them, and nothing changes."""

from __future__ import annotations

import pytest

from dioxide import CircularDependencyError, Container, component

from dioxide import DependencyNotRegisteredError


def names(types: list[type]) -> list[str]:
    return [t.__name__ for t in types]


def test_self_dependency_is_refused() -> None:
    with pytest.raises(CircularDependencyError) as info:

        @component
        class Narcissus:
            def __init__(self, me: Narcissus) -> None: ...

    assert names(info.value.cycle) == ["Narcissus", "Narcissus"]
    assert "depends on itself" in str(info.value)
    assert "hint:" in str(info.value)


def test_cycle_of_two_is_refused_at_the_decorator_that_closes_it() -> None:
    @component
    class Chicken:
        def __init__(self, egg: Egg) -> None: ...

    with pytest.raises(CircularDependencyError) as info:

        @component
        class Egg:
            def __init__(self, chicken: Chicken) -> None: ...

    assert names(info.value.cycle) == ["Egg", "Chicken", "Egg"]
    assert "circular dependency: Egg -> Chicken -> Egg" in str(info.value)
    assert isinstance(info.value, ValueError)


def test_cycle_of_four_names_the_whole_cycle_in_order() -> None:
    @component
    class A:
        def __init__(self, b: B) -> None: ...

    @component
    class B:
        def __init__(self, c: C) -> None: ...

    @component
    class C:
        def __init__(self, d: D) -> None: ...

    with pytest.raises(CircularDependencyError) as info:

        @component
        class D:
            def __init__(self, a: A) -> None: ...

    assert names(info.value.cycle) == ["D", "A", "B", "C", "D"]
    assert "D -> A -> B -> C -> D" in str(info.value)


def test_refused_registration_leaves_the_registry_unchanged() -> None:
    before = len(Container())

    @component
    class Ping:
        def __init__(self, pong: Pong) -> None: ...

    with pytest.raises(CircularDependencyError):

        @component
        class Pong:
            def __init__(self, ping: Ping) -> None: ...

    container = Container()
    # Ping stays registered but still waiting for "Pong"; nothing else was added.
    assert len(container) == before + 1
    assert Ping in container
    with pytest.raises(DependencyNotRegisteredError, match="'Pong'"):
        container.resolve(Ping)


def test_cycle_through_explicit_registrations_is_refused(container: Container) -> None:
    class Left:
        def __init__(self, right: Right) -> None: ...

    class Right:
        def __init__(self, left: Left) -> None: ...

    container.register_class(Left)
    with pytest.raises(CircularDependencyError) as info:
        container.register_class(Right)

    assert names(info.value.cycle) == ["Right", "Left", "Right"]
    assert Right not in container
    assert Left in container
