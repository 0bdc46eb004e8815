"""Core v2: closing is ordered and complete.

``container.close()`` (and ``await container.aclose()``) first closes the
scopes still open on it, newest first, then finalizes the container's own
singletons, newest first; every scope it closed reports ``closed``. A close
that races a provider still building a resource either refuses that build
with a dioxide error or finalizes the resource: its cleanup runs exactly once.
"""

from __future__ import annotations

import asyncio
import itertools
import threading
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any, Union

import pytest

from dioxide import Container, ContainerScope, DioxideError, Registry, Scope

#: Generous: a join that times out means a hang, which fails the test.
JOIN_TIMEOUT = 30.0
ROUNDS = 20

Events = list[str]


class First: ...


class Second: ...


class Session: ...


def singleton_resource(events: Events, name: str) -> Callable[[], Iterator[Any]]:
    def open_resource() -> Iterator[Any]:
        events.append(f"open {name}")
        yield object()
        events.append(f"close {name}")

    return open_resource


def scoped_sessions(events: Events) -> Callable[[], Iterator[Session]]:
    """A scoped generator provider numbering its sessions in build order."""
    numbers = itertools.count(1)

    def open_session() -> Iterator[Session]:
        number = next(numbers)
        events.append(f"open session {number}")
        yield Session()
        events.append(f"close session {number}")

    return open_session


def async_scoped_sessions(events: Events) -> Callable[[], AsyncIterator[Session]]:
    numbers = itertools.count(1)

    async def open_session() -> AsyncIterator[Session]:
        number = next(numbers)
        events.append(f"open session {number}")
        yield Session()
        events.append(f"close session {number}")

    return open_session


def async_singleton_resource(events: Events, name: str) -> Callable[[], AsyncIterator[Any]]:
    async def open_resource() -> AsyncIterator[Any]:
        events.append(f"open {name}")
        yield object()
        events.append(f"close {name}")

    return open_resource


def wired_container(events: Events) -> Container:
    container = Container(registry=Registry())
    container.register_factory(First, singleton_resource(events, "first"), scope=Scope.SINGLETON)
    container.register_factory(
        Second, singleton_resource(events, "second"), scope=Scope.SINGLETON
    )
    container.register_factory(Session, scoped_sessions(events), scope=Scope.SCOPED)
    return container


# Ordered


def test_close_closes_open_scopes_newest_first_then_the_singletons() -> None:
    events: Events = []
    container = wired_container(events)
    container.resolve(First)
    older = container.create_scope()
    older.resolve(Session)
    container.resolve(Second)
    newer = container.create_scope()
    newer.resolve(Session)

    container.close()

    assert events[4:] == [
        "close session 2",
        "close session 1",
        "close second",
        "close first",
    ]


def test_close_marks_the_scopes_it_closed_as_closed() -> None:
    events: Events = []
    container = wired_container(events)
    older = container.create_scope()
    older.resolve(Session)
    newer = container.create_scope()
    newer.resolve(Session)

    container.close()

    assert older.closed
    assert newer.closed
    assert container.closed


def test_close_closes_a_nested_scope_before_its_parent() -> None:
    events: Events = []
    container = wired_container(events)
    parent = container.create_scope()
    parent.resolve(Session)
    child = parent.create_scope()
    child.resolve(Session)

    container.close()

    assert events == [
        "open session 1",
        "open session 2",
        "close session 2",
        "close session 1",
    ]
    assert parent.closed and child.closed


def test_close_leaves_a_scope_closed_earlier_alone() -> None:
    events: Events = []
    container = wired_container(events)
    closed_early = container.create_scope()
    closed_early.resolve(Session)
    still_open = container.create_scope()
    still_open.resolve(Session)
    closed_early.close()

    container.close()

    assert events == [
        "open session 1",
        "open session 2",
        "close session 1",
        "close session 2",
    ]


def test_aclose_closes_open_scopes_newest_first_then_the_singletons() -> None:
    events: Events = []

    async def scenario() -> tuple[ContainerScope, ContainerScope]:
        container = Container(registry=Registry())
        container.register_factory(
            First, async_singleton_resource(events, "first"), scope=Scope.SINGLETON
        )
        container.register_factory(
            Second, singleton_resource(events, "second"), scope=Scope.SINGLETON
        )
        container.register_factory(Session, async_scoped_sessions(events), scope=Scope.SCOPED)
        await container.aresolve(First)
        older = container.create_scope()
        await older.aresolve(Session)
        await container.aresolve(Second)
        newer = container.create_scope()
        await newer.aresolve(Session)
        await container.aclose()
        assert container.closed
        return older, newer

    older, newer = asyncio.run(scenario())

    assert events[4:] == [
        "close session 2",
        "close session 1",
        "close second",
        "close first",
    ]
    assert older.closed
    assert newer.closed


def test_aclose_with_sync_generators_keeps_the_same_order() -> None:
    events: Events = []
    container = wired_container(events)

    async def scenario() -> None:
        await container.aresolve(First)
        older = container.create_scope()
        await older.aresolve(Session)
        await container.aresolve(Second)
        newer = container.create_scope()
        await newer.aresolve(Session)
        await container.aclose()

    asyncio.run(scenario())

    assert events[4:] == [
        "close session 2",
        "close session 1",
        "close second",
        "close first",
    ]


# Complete, while another thread is building


class Resource: ...


class RacingBuild:
    """A generator provider that blocks, once entered, until released."""

    def __init__(self) -> None:
        self.entered = threading.Event()
        self.release = threading.Event()
        self.events: Events = []

    def __call__(self) -> Iterator[Resource]:
        self.entered.set()
        assert self.release.wait(JOIN_TIMEOUT)
        self.events.append("open")
        yield Resource()
        self.events.append("close")


def race_close_against_build(
    build_in: Union[Container, ContainerScope],
    close: Callable[[], None],
    racing: RacingBuild,
    release_before_close: bool,
) -> dict[str, BaseException]:
    """``build_in.resolve(Resource)`` in one thread, blocked inside the
    provider; ``close()`` in another; the provider is released before or
    after the closer starts. Returns the exceptions each side raised."""
    raised: dict[str, BaseException] = {}

    def build() -> None:
        try:
            build_in.resolve(Resource)
        except BaseException as error:  # noqa: BLE001 - reported to the test
            raised["build"] = error

    def closer() -> None:
        try:
            close()
        except BaseException as error:  # noqa: BLE001 - reported to the test
            raised["close"] = error

    builder = threading.Thread(target=build)
    builder.start()
    assert racing.entered.wait(JOIN_TIMEOUT)
    closing = threading.Thread(target=closer)
    if release_before_close:
        racing.release.set()
        closing.start()
    else:
        closing.start()
        racing.release.set()
    builder.join(JOIN_TIMEOUT)
    closing.join(JOIN_TIMEOUT)
    assert not builder.is_alive(), "resolve() hung while its owner closed"
    assert not closing.is_alive(), "close() hung while a provider was building"
    return raised


def assert_refused_or_finalized(racing: Any, raised: dict[str, BaseException]) -> None:
    assert "close" not in raised, f"close() raised {raised['close']!r}"
    build_error = raised.get("build")
    assert build_error is None or isinstance(build_error, DioxideError), repr(build_error)
    assert racing.events == ["open", "close"]


@pytest.mark.parametrize("release_before_close", [True, False])
def test_closing_a_scope_while_its_resource_is_built_finalizes_it_exactly_once(
    release_before_close: bool,
) -> None:
    for _ in range(ROUNDS):
        racing = RacingBuild()
        container = Container(registry=Registry())
        container.register_factory(Resource, racing, scope=Scope.SCOPED)
        scope = container.create_scope()

        raised = race_close_against_build(scope, scope.close, racing, release_before_close)
        container.close()

        assert scope.closed
        assert_refused_or_finalized(racing, raised)


@pytest.mark.parametrize("release_before_close", [True, False])
def test_closing_the_container_while_a_singleton_is_built_finalizes_it_exactly_once(
    release_before_close: bool,
) -> None:
    for _ in range(ROUNDS):
        racing = RacingBuild()
        container = Container(registry=Registry())
        container.register_factory(Resource, racing, scope=Scope.SINGLETON)

        raised = race_close_against_build(
            container, container.close, racing, release_before_close
        )

        assert container.closed
        assert_refused_or_finalized(racing, raised)


@pytest.mark.parametrize("release_before_close", [True, False])
def test_closing_the_container_while_a_scope_builds_finalizes_the_resource_exactly_once(
    release_before_close: bool,
) -> None:
    for _ in range(ROUNDS):
        racing = RacingBuild()
        container = Container(registry=Registry())
        container.register_factory(Resource, racing, scope=Scope.SCOPED)
        scope = container.create_scope()

        raised = race_close_against_build(
            scope, container.close, racing, release_before_close
        )

        assert scope.closed
        assert container.closed
        assert_refused_or_finalized(racing, raised)


class AsyncRacingBuild:
    """An async generator provider that blocks its thread's event loop, once
    entered, until released (the loop has nothing else to run)."""

    def __init__(self) -> None:
        self.entered = threading.Event()
        self.release = threading.Event()
        self.events: Events = []

    async def __call__(self) -> AsyncIterator[Resource]:
        self.entered.set()
        assert self.release.wait(JOIN_TIMEOUT)
        self.events.append("open")
        yield Resource()
        self.events.append("close")


def race_aclose_against_abuild(
    owner: Union[Container, ContainerScope], racing: AsyncRacingBuild, release_before_close: bool
) -> dict[str, BaseException]:
    """``aresolve(Resource)`` under one thread's event loop, blocked inside
    the provider; ``aclose()`` under another's."""
    raised: dict[str, BaseException] = {}

    def build() -> None:
        try:
            asyncio.run(owner.aresolve(Resource))
        except BaseException as error:  # noqa: BLE001 - reported to the test
            raised["build"] = error

    def closer() -> None:
        try:
            asyncio.run(owner.aclose())
        except BaseException as error:  # noqa: BLE001 - reported to the test
            raised["close"] = error

    builder = threading.Thread(target=build)
    builder.start()
    assert racing.entered.wait(JOIN_TIMEOUT)
    closing = threading.Thread(target=closer)
    if release_before_close:
        racing.release.set()
        closing.start()
    else:
        closing.start()
        racing.release.set()
    builder.join(JOIN_TIMEOUT)
    closing.join(JOIN_TIMEOUT)
    assert not builder.is_alive(), "aresolve() hung while its owner closed"
    assert not closing.is_alive(), "aclose() hung while a provider was building"
    return raised


@pytest.mark.parametrize("lifetime", [Scope.SCOPED, Scope.SINGLETON])
@pytest.mark.parametrize("release_before_close", [True, False])
def test_aclose_while_an_async_resource_is_built_finalizes_it_exactly_once(
    lifetime: Scope, release_before_close: bool
) -> None:
    for _ in range(ROUNDS):
        racing = AsyncRacingBuild()
        container = Container(registry=Registry())
        container.register_factory(Resource, racing, scope=lifetime)
        owner: Union[Container, ContainerScope] = (
            container.create_scope() if lifetime is Scope.SCOPED else container
        )

        raised = race_aclose_against_abuild(owner, racing, release_before_close)
        asyncio.run(container.aclose())

        assert owner.closed
        assert_refused_or_finalized(racing, raised)
