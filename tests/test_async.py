"""``aresolve``: async provider functions, async generator finalizers, and
concurrent resolution. Each test drives its own event loop with ``asyncio.run``."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import AsyncIterator, Callable, Coroutine, Iterator
from typing import Any

import pytest

from dioxide import Container, ResolutionError, Scope, ScopeError, provider

Events = list[str]

#: Finalizer errors are raised as an ``ExceptionGroup`` from Python 3.11.
groups = pytest.mark.skipif(sys.version_info < (3, 11), reason="ExceptionGroup is new in 3.11")


class Pool: ...


class Session:
    def __init__(self, pool: Pool) -> None:
        self.pool = pool


class Repository:
    def __init__(self, session: Session) -> None:
        self.session = session


def async_resource(
    events: Events, name: str, *, fails: bool = False
) -> Callable[[], AsyncIterator[object]]:
    """An async generator provider that records opening, closing and rolling back."""

    async def open_resource() -> AsyncIterator[object]:
        events.append(f"open {name}")
        try:
            yield object()
        except Exception as error:
            events.append(f"rollback {name}: {error!r}")
            raise
        await asyncio.sleep(0)
        events.append(f"close {name}")
        if fails:
            raise ValueError(f"{name} failed to close")

    return open_resource


def sync_resource(events: Events, name: str) -> Callable[[], Iterator[object]]:
    def open_resource() -> Iterator[object]:
        events.append(f"open {name}")
        yield object()
        events.append(f"close {name}")

    return open_resource


class First: ...


class Second: ...


class Third: ...


@pytest.fixture
def events() -> Events:
    return []


def run(main: Callable[[], Coroutine[Any, Any, None]]) -> None:
    asyncio.run(main())


# Async providers


def test_aresolve_awaits_an_async_provider_function(container: Container) -> None:
    async def pool() -> Pool:
        await asyncio.sleep(0)
        return Pool()

    container.register_factory(Pool, pool, scope=Scope.SINGLETON)

    async def main() -> None:
        first = await container.aresolve(Pool)
        assert isinstance(first, Pool)
        assert await container.aresolve(Pool) is first

    run(main)


def test_async_provider_parameters_are_injected(container: Container) -> None:
    async def session(pool: Pool) -> Session:
        return Session(pool)

    container.register_class(Pool, scope=Scope.SINGLETON)
    container.register_factory(Session, session)

    async def main() -> None:
        assert (await container.aresolve(Session)).pool is container.resolve(Pool)

    run(main)


def test_sync_classes_can_depend_on_async_providers(container: Container) -> None:
    async def session(pool: Pool) -> Session:
        return Session(pool)

    container.register_class(Pool, scope=Scope.SINGLETON)
    container.register_factory(Session, session)
    container.register_class(Repository)

    async def main() -> None:
        repository = await container.aresolve(Repository)
        assert repository.session.pool is container.resolve(Pool)

    run(main)


def test_aresolve_resolves_plain_sync_types_too(container: Container) -> None:
    container.register_class(Pool, scope=Scope.SINGLETON)

    async def main() -> None:
        assert await container.aresolve(Pool) is container.resolve(Pool)

    run(main)


def test_sync_resolve_returns_a_singleton_that_aresolve_built(container: Container) -> None:
    async def pool() -> Pool:
        return Pool()

    container.register_factory(Pool, pool, scope=Scope.SINGLETON)

    async def main() -> None:
        built = await container.aresolve(Pool)
        assert container.resolve(Pool) is built

    with pytest.raises(ResolutionError):
        container.resolve(Pool)
    run(main)


# The sync resolve of an async provider


def test_sync_resolve_of_an_async_provider_says_to_use_aresolve(container: Container) -> None:
    async def pool() -> Pool:
        return Pool()  # pragma: no cover - never awaited

    container.register_factory(Pool, pool)

    with pytest.raises(ResolutionError) as info:
        container.resolve(Pool)

    assert info.value.reason == (
        "Pool has an async provider, so it cannot be built by the synchronous resolve()"
    )
    assert info.value.hint is not None
    assert "await container.aresolve(" in info.value.hint


def test_sync_resolve_of_a_decorated_async_function_names_the_function(
    container: Container,
) -> None:
    class Clock: ...

    @provider
    async def clock() -> Clock:
        return Clock()  # pragma: no cover - never awaited

    with pytest.raises(ResolutionError) as info:
        container.resolve(Clock)

    assert info.value.reason == (
        "clock() is an async provider, so it cannot be built by the synchronous resolve()"
    )
    assert info.value.chain == [Clock, clock]


def test_sync_resolve_names_the_chain_to_the_async_provider(container: Container) -> None:
    async def session(pool: Pool) -> Session:
        return Session(pool)  # pragma: no cover - never awaited

    container.register_class(Pool)
    container.register_factory(Session, session)
    container.register_class(Repository)

    with pytest.raises(ResolutionError) as info:
        container.resolve(Repository)

    assert info.value.chain == [Repository, Session]
    assert "chain: Repository -> Session" in str(info.value)


def test_sync_resolve_of_an_async_generator_provider_says_to_use_aresolve(
    container: Container, events: Events
) -> None:
    container.register_factory(First, async_resource(events, "first"))

    with pytest.raises(ResolutionError) as info:
        container.resolve(First)

    assert info.value.hint is not None
    assert "aresolve" in info.value.hint
    assert events == []


# Async finalizers


def test_async_generator_is_finalized_by_aclose(container: Container, events: Events) -> None:
    container.register_factory(First, async_resource(events, "first"), scope=Scope.SINGLETON)

    async def main() -> None:
        await container.aresolve(First)
        assert events == ["open first"]
        await container.aclose()

    run(main)
    assert events == ["open first", "close first"]


def test_async_with_container_runs_async_finalizers(events: Events) -> None:
    async def main() -> None:
        async with Container() as container:
            container.register_factory(
                First, async_resource(events, "first"), scope=Scope.SINGLETON
            )
            await container.aresolve(First)

    run(main)
    assert events == ["open first", "close first"]


def test_async_scope_shares_and_then_finalizes_its_instance(
    container: Container, events: Events
) -> None:
    container.register_factory(First, async_resource(events, "first"), scope=Scope.SCOPED)

    async def main() -> None:
        async with container.create_scope() as scope:
            assert await scope.aresolve(First) is await scope.aresolve(First)
            events.append("work")
        async with container.create_scope() as scope:
            await scope.aresolve(First)

    run(main)
    assert events == ["open first", "work", "close first", "open first", "close first"]


def test_sync_and_async_finalizers_run_in_one_reverse_order(
    container: Container, events: Events
) -> None:
    container.register_factory(First, async_resource(events, "first"), scope=Scope.SINGLETON)
    container.register_factory(Second, sync_resource(events, "second"), scope=Scope.SINGLETON)
    container.register_factory(Third, async_resource(events, "third"), scope=Scope.SINGLETON)

    async def main() -> None:
        for type_ in (First, Second, Third):
            await container.aresolve(type_)
        await container.aclose()

    run(main)
    assert events[3:] == ["close third", "close second", "close first"]


@groups
def test_every_async_finalizer_runs_and_errors_are_grouped(
    container: Container, events: Events
) -> None:
    container.register_factory(
        First, async_resource(events, "first", fails=True), scope=Scope.SINGLETON
    )
    container.register_factory(Second, async_resource(events, "second"), scope=Scope.SINGLETON)
    container.register_factory(
        Third, async_resource(events, "third", fails=True), scope=Scope.SINGLETON
    )

    async def main() -> None:
        for type_ in (First, Second, Third):
            await container.aresolve(type_)
        with pytest.raises(ExceptionGroup) as info:
            await container.aclose()
        assert [str(e) for e in info.value.exceptions] == [
            "third failed to close",
            "first failed to close",
        ]
        assert info.value.exceptions[0].__notes__ == ["dioxide: raised while finalizing Third"]

    run(main)
    assert events[3:] == ["close third", "close second", "close first"]


def test_exception_escaping_an_async_scope_is_thrown_into_async_generators(
    container: Container, events: Events
) -> None:
    container.register_factory(First, async_resource(events, "first"), scope=Scope.SCOPED)

    async def main() -> None:
        with pytest.raises(KeyError):
            async with container.create_scope() as scope:
                await scope.aresolve(First)
                raise KeyError("request failed")

    run(main)
    assert events == ["open first", "rollback first: KeyError('request failed')"]


def test_async_generator_that_yields_nothing_is_a_resolution_error(
    container: Container,
) -> None:
    async def empty() -> AsyncIterator[First]:
        return
        yield  # pragma: no cover - makes this an async generator

    container.register_factory(First, empty)

    async def main() -> None:
        with pytest.raises(ResolutionError) as info:
            await container.aresolve(First)
        assert info.value.reason == (
            "the async generator provider of First returned without yielding an instance"
        )

    run(main)


@groups
def test_sync_close_cannot_run_an_async_finalizer(container: Container, events: Events) -> None:
    container.register_factory(First, async_resource(events, "first"), scope=Scope.SINGLETON)

    async def main() -> None:
        await container.aresolve(First)

    run(main)

    with pytest.raises(ExceptionGroup) as info:
        container.close()

    (error,) = info.value.exceptions
    assert isinstance(error, ResolutionError)
    assert error.reason == (
        "First has an async finalizer, which a synchronous close() cannot run"
    )
    assert error.hint == "close with `await container.aclose()` or `async with`"


def test_async_transient_held_by_an_async_singleton_is_finalized_with_the_container(
    container: Container, events: Events
) -> None:
    async def client(token: First) -> Second:
        return Second()

    container.register_factory(First, async_resource(events, "token"))
    container.register_factory(Second, client, scope=Scope.SINGLETON)

    async def main() -> None:
        async with container.create_scope() as scope:
            await scope.aresolve(Second)
        assert events == ["open token"]
        await container.aclose()

    run(main)
    assert events == ["open token", "close token"]


def test_async_transient_held_by_a_sync_singleton_is_finalized_with_the_container(
    container: Container, events: Events
) -> None:
    class Repository:
        def __init__(self, connection: First) -> None:
            self.connection = connection

    container.register_factory(First, async_resource(events, "connection"))
    container.register_class(Repository, scope=Scope.SINGLETON)

    async def main() -> None:
        async with container.create_scope() as scope:
            await scope.aresolve(Repository)
        assert events == ["open connection"]
        await container.aclose()

    run(main)
    assert events == ["open connection", "close connection"]


def test_async_transient_under_a_built_singleton_is_not_built_again(
    container: Container, events: Events
) -> None:
    async def client(token: First) -> Second:
        return Second()

    container.register_factory(First, async_resource(events, "token"))
    container.register_factory(Second, client, scope=Scope.SINGLETON)

    async def main() -> None:
        await container.aresolve(Second)
        await container.aresolve(Second)
        await container.aclose()

    run(main)
    assert events == ["open token", "close token"]


# Scopes and aresolve


def test_aresolve_of_a_scoped_async_provider_outside_a_scope_is_a_scope_error(
    container: Container, events: Events
) -> None:
    container.register_factory(First, async_resource(events, "first"), scope=Scope.SCOPED)

    async def main() -> None:
        with pytest.raises(ScopeError) as info:
            await container.aresolve(First)
        assert info.value.reason == "First is scoped, so it can only be resolved inside a scope"
        assert info.value.hint is not None
        assert "async with container.create_scope()" in info.value.hint

    run(main)
    assert events == []


def test_aresolve_on_a_closed_scope_builds_nothing(container: Container, events: Events) -> None:
    container.register_factory(First, async_resource(events, "first"), scope=Scope.SCOPED)

    async def main() -> None:
        async with container.create_scope() as scope:
            pass
        with pytest.raises(ScopeError) as info:
            await scope.aresolve(First)
        assert info.value.reason == "this scope is closed"

    run(main)
    assert events == []


def test_async_generator_finished_after_its_scope_closed_is_finalized_at_once(
    container: Container, events: Events
) -> None:
    async def main() -> None:
        started, proceed = asyncio.Event(), asyncio.Event()

        async def slow() -> AsyncIterator[First]:
            started.set()
            await proceed.wait()
            yield First()
            events.append("closed")

        container.register_factory(First, slow, scope=Scope.SCOPED)
        scope = container.create_scope()
        pending = asyncio.ensure_future(scope.aresolve(First))
        await started.wait()
        await scope.aclose()
        proceed.set()

        with pytest.raises(ScopeError):
            await pending
        assert events == ["closed"]

    run(main)


# Concurrency


def test_concurrent_aresolve_builds_a_singleton_once(container: Container) -> None:
    built: list[Pool] = []

    async def pool() -> Pool:
        await asyncio.sleep(0.01)
        built.append(Pool())
        return built[-1]

    container.register_factory(Pool, pool, scope=Scope.SINGLETON)

    async def main() -> None:
        pools = await asyncio.gather(*(container.aresolve(Pool) for _ in range(100)))
        assert len(built) == 1
        assert all(p is built[0] for p in pools)

    run(main)


def test_concurrent_aresolve_builds_a_scoped_instance_once_per_scope(
    container: Container,
) -> None:
    built: list[Session] = []

    async def session(pool: Pool) -> Session:
        await asyncio.sleep(0.01)
        built.append(Session(pool))
        return built[-1]

    container.register_class(Pool, scope=Scope.SINGLETON)
    container.register_factory(Session, session, scope=Scope.SCOPED)

    async def main() -> None:
        async with container.create_scope() as first, container.create_scope() as second:
            await asyncio.gather(
                *(scope.aresolve(Session) for scope in (first, second) for _ in range(50))
            )
        assert len(built) == 2

    run(main)


def test_failed_async_construction_is_retried_by_the_next_aresolve(container: Container) -> None:
    attempts: list[int] = []

    async def pool() -> Pool:
        attempts.append(len(attempts))
        await asyncio.sleep(0)
        if len(attempts) == 1:
            raise ConnectionError("database is down")
        return Pool()

    container.register_factory(Pool, pool, scope=Scope.SINGLETON)

    async def main() -> None:
        results = await asyncio.gather(
            *(container.aresolve(Pool) for _ in range(3)), return_exceptions=True
        )
        assert isinstance(results[0], ConnectionError)
        assert results[1] is results[2]
        assert isinstance(results[1], Pool)

    run(main)
    assert len(attempts) == 2


def test_container_keeps_working_in_a_later_event_loop(container: Container) -> None:
    attempts: list[int] = []

    async def pool() -> Pool:
        attempts.append(len(attempts))
        await asyncio.sleep(0)
        if len(attempts) <= 2:
            raise ConnectionError("database is down")
        return Pool()

    container.register_factory(Pool, pool, scope=Scope.SINGLETON)

    async def first_loop() -> None:
        results = await asyncio.gather(
            *(container.aresolve(Pool) for _ in range(2)), return_exceptions=True
        )
        assert all(isinstance(r, ConnectionError) for r in results)

    async def second_loop() -> None:
        pools = await asyncio.gather(*(container.aresolve(Pool) for _ in range(2)))
        assert pools[0] is pools[1]

    run(first_loop)
    run(second_loop)
