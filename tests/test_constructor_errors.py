"""Exceptions raised by user constructors propagate as themselves."""

from __future__ import annotations

import traceback

import pytest

from dioxide import Container, component, singleton


class ConnectionRefused(Exception):
    pass


def test_constructor_exception_keeps_its_type_and_gains_the_chain(container: Container) -> None:
    @component
    class Database:
        def __init__(self) -> None:
            raise ConnectionRefused("db is down")

    @component
    class Service:
        def __init__(self, db: Database) -> None: ...

    with pytest.raises(ConnectionRefused, match="db is down") as info:
        container.resolve(Service)

    assert info.value.__notes__ == ["dioxide: raised while building Service -> Database"]
    frames = traceback.extract_tb(info.value.__traceback__)
    assert frames[-1].name == "__init__", "the traceback still ends in the constructor"


def test_failed_singleton_is_not_cached_and_the_next_resolve_retries(
    container: Container,
) -> None:
    attempts: list[int] = []

    @singleton
    class Flaky:
        def __init__(self) -> None:
            attempts.append(1)
            if len(attempts) == 1:
                raise ConnectionRefused("first try fails")

    with pytest.raises(ConnectionRefused):
        container.resolve(Flaky)

    flaky = container.resolve(Flaky)
    assert container.resolve(Flaky) is flaky
    assert len(attempts) == 2


def test_failure_deep_in_a_chain_leaves_earlier_singletons_usable(container: Container) -> None:
    @singleton
    class Pool: ...

    @component
    class Broken:
        def __init__(self, pool: Pool) -> None:
            raise ConnectionRefused("broken")

    @component
    class Top:
        def __init__(self, pool: Pool, broken: Broken) -> None: ...

    with pytest.raises(ConnectionRefused):
        container.resolve(Top)

    assert container.resolve(Pool) is container.resolve(Pool)
