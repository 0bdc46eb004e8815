"""``aresolve`` and ``aclose``: lifetimes, threads and event loops.

Each test registers its own classes on its own ``Container()``. Threads are
lined up with ``threading.Barrier``/``threading.Event``, never with sleeps.
"""

from __future__ import annotations

import asyncio
import sys
import threading
from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest

from dioxide import Container, Scope
from dioxide.exceptions import CircularDependencyError, ResolutionError, ScopeError

#: Finalizer errors are raised as an ``ExceptionGroup`` from Python 3.11.
groups = pytest.mark.skipif(sys.version_info < (3, 11), reason="ExceptionGroup is new in 3.11")

THREADS = 8


def in_threads(count: int, work: Any) -> list[Any]:
    """Run ``work()`` in ``count`` threads released together; their results
    (or exceptions) in thread order."""
    start = threading.Barrier(count)
    results: list[Any] = [None] * count

    def thread(slot: int) -> None:
        start.wait()
        try:
            results[slot] = work()
        except BaseException as error:  # noqa: BLE001 - reported to the test
            results[slot] = error

    threads = [threading.Thread(target=thread, args=(slot,)) for slot in range(count)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results


class Arrivals:
    """Counts threads that reached a point; ``all_here`` is set by the last."""

    def __init__(self, expected: int) -> None:
        self.expected = expected
        self.count = 0
        self.lock = threading.Lock()
        self.all_here = threading.Event()

    def arrive(self) -> None:
        with self.lock:
            self.count += 1
            if self.count == self.expected:
                self.all_here.set()


# 1. An async transient is built once per injection, like a sync transient


def injection_counts(factory_is_async: bool) -> tuple[int, bool]:
    """How often one resolve of ``A(x: T, y: U)``, ``U(t: T)`` calls T's
    transient factory, and whether A.x and U.t are one object."""
    calls: list[object] = []

    class T: ...

    class U:
        def __init__(self, t: T) -> None:
            self.t = t

    class A:
        def __init__(self, x: T, y: U) -> None:
            self.x, self.y = x, y

    def make_t() -> T:
        calls.append(T())
        return T()

    async def make_t_async() -> T:
        return make_t()

    container = Container()
    container.register_factory(T, make_t_async if factory_is_async else make_t)
    container.register_class(U)
    container.register_class(A)
    if factory_is_async:
        a = asyncio.run(container.aresolve(A))
    else:
        a = container.resolve(A)
    return len(calls), a.x is a.y.t


def test_an_async_transient_is_built_once_per_injection_like_a_sync_transient() -> None:
    assert injection_counts(factory_is_async=False) == (2, False)

    assert injection_counts(factory_is_async=True) == (2, False)


def test_an_async_transient_is_built_again_for_every_aresolve() -> None:
    class Token: ...

    async def token() -> Token:
        return Token()

    container = Container()
    container.register_factory(Token, token)

    async def main() -> None:
        assert await container.aresolve(Token) is not await container.aresolve(Token)

    asyncio.run(main())


# 2. An async singleton is built once, whatever the threads and event loops


def test_an_async_singleton_is_built_once_by_threads_each_running_its_own_loop() -> None:
    class Pool: ...

    built: list[Pool] = []
    arrivals = Arrivals(THREADS)

    async def pool() -> Pool:
        built.append(Pool())
        # Every thread is inside aresolve before this build can finish.
        await asyncio.to_thread(arrivals.all_here.wait)
        for _ in range(5):
            await asyncio.sleep(0)
        return built[-1]

    container = Container()
    container.register_factory(Pool, pool, scope=Scope.SINGLETON)

    async def resolve() -> Pool:
        arrivals.arrive()
        return await container.aresolve(Pool)

    pools = in_threads(THREADS, lambda: asyncio.run(resolve()))

    assert len(built) == 1
    assert all(p is built[0] for p in pools)


def test_a_failed_build_in_one_thread_is_retried_by_the_next_caller() -> None:
    class Pool: ...

    attempts: list[int] = []
    arrivals = Arrivals(THREADS)

    async def pool() -> Pool:
        attempts.append(len(attempts))
        if len(attempts) == 1:
            await asyncio.to_thread(arrivals.all_here.wait)
            raise ConnectionError("database is down")
        return Pool()

    container = Container()
    container.register_factory(Pool, pool, scope=Scope.SINGLETON)

    async def resolve() -> Pool:
        arrivals.arrive()
        return await container.aresolve(Pool)

    results = in_threads(THREADS, lambda: asyncio.run(resolve()))

    failures = [r for r in results if isinstance(r, ConnectionError)]
    pools = [r for r in results if not isinstance(r, BaseException)]
    assert len(failures) == 1
    assert len(pools) == THREADS - 1
    assert all(p is pools[0] for p in pools)
    assert len(attempts) == 2


def test_an_async_singleton_is_built_once_by_many_tasks_of_one_loop() -> None:
    class Pool: ...

    built: list[Pool] = []

    async def pool() -> Pool:
        built.append(Pool())
        for _ in range(5):
            await asyncio.sleep(0)
        return built[-1]

    container = Container()
    container.register_factory(Pool, pool, scope=Scope.SINGLETON)

    async def main() -> None:
        pools = await asyncio.gather(*(container.aresolve(Pool) for _ in range(50)))
        assert len(built) == 1
        assert all(p is built[0] for p in pools)

    asyncio.run(main())


def test_cancelling_a_waiting_caller_does_not_cancel_the_build() -> None:
    class Pool: ...

    built: list[Pool] = []

    async def main() -> None:
        started, proceed = asyncio.Event(), asyncio.Event()

        async def pool() -> Pool:
            built.append(Pool())
            started.set()
            await proceed.wait()
            return built[-1]

        container = Container()
        container.register_factory(Pool, pool, scope=Scope.SINGLETON)
        building = asyncio.ensure_future(container.aresolve(Pool))
        waiting = asyncio.ensure_future(container.aresolve(Pool))
        await started.wait()  # the first caller builds; the second waits for it
        waiting.cancel()
        with pytest.raises(asyncio.CancelledError):
            await waiting
        proceed.set()

        assert await building is built[0]
        assert await container.aresolve(Pool) is built[0]
        assert len(built) == 1

    asyncio.run(main())


def test_a_cancelled_build_is_taken_over_by_a_waiting_caller() -> None:
    class Pool: ...

    async def main() -> None:
        first_started = asyncio.Event()
        attempts: list[int] = []

        async def pool() -> Pool:
            attempts.append(len(attempts))
            if len(attempts) == 1:
                first_started.set()
                await asyncio.Event().wait()  # until cancelled
            return Pool()

        container = Container()
        container.register_factory(Pool, pool, scope=Scope.SINGLETON)
        building = asyncio.ensure_future(container.aresolve(Pool))
        await first_started.wait()
        # The second caller starts waiting for the first build before the
        # cancellation reaches it (tasks run in the order they were woken).
        waiting = asyncio.ensure_future(container.aresolve(Pool))
        building.cancel()

        assert isinstance(await waiting, Pool)
        assert len(attempts) == 2

    asyncio.run(main())


def test_an_async_provider_awaiting_its_own_type_is_a_circular_dependency() -> None:
    class Pool: ...

    container = Container()

    async def pool() -> Pool:
        return await container.aresolve(Pool)

    container.register_factory(Pool, pool, scope=Scope.SINGLETON)

    async def main() -> None:
        with pytest.raises(CircularDependencyError) as info:
            await container.aresolve(Pool)
        assert info.value.hint is not None
        assert "inject what it needs" in info.value.hint

    asyncio.run(main())


# 3. Async generator providers are finalized by the container, not the loop


def test_an_async_generator_singleton_outlives_the_event_loop_that_built_it() -> None:
    events: list[str] = []

    class Connection:
        open = True

    async def connection() -> AsyncIterator[Connection]:
        resource = Connection()
        events.append("open")
        yield resource
        resource.open = False
        events.append("close")

    container = Container()
    container.register_factory(Connection, connection, scope=Scope.SINGLETON)

    built = asyncio.run(container.aresolve(Connection))

    assert events == ["open"]
    assert built.open
    assert asyncio.run(container.aresolve(Connection)) is built

    asyncio.run(container.aclose())

    assert events == ["open", "close"]
    assert not built.open


def test_an_async_generator_with_try_finally_is_finalized_by_aclose_only() -> None:
    events: list[str] = []

    class Connection: ...

    async def connection() -> AsyncIterator[Connection]:
        try:
            yield Connection()
        finally:
            await asyncio.sleep(0)
            events.append("close")

    container = Container()
    container.register_factory(Connection, connection, scope=Scope.SINGLETON)

    asyncio.run(container.aresolve(Connection))
    assert events == []

    asyncio.run(container.aclose())
    assert events == ["close"]


def test_aresolve_leaves_the_loops_async_generator_hooks_in_place() -> None:
    class Connection: ...

    async def connection() -> AsyncIterator[Connection]:
        yield Connection()

    container = Container()
    container.register_factory(Connection, connection, scope=Scope.SINGLETON)
    closed_by_the_loop: list[str] = []

    async def users_own() -> AsyncIterator[int]:
        try:
            yield 1
        finally:
            closed_by_the_loop.append("users_own")

    async def main() -> None:
        hooks = sys.get_asyncgen_hooks()
        await container.aresolve(Connection)
        assert sys.get_asyncgen_hooks() == hooks
        # An async generator of the application still belongs to the loop.
        await users_own().__anext__()

    asyncio.run(main())
    assert closed_by_the_loop == ["users_own"]
    asyncio.run(container.aclose())


def test_an_async_generator_in_a_scope_is_finalized_when_the_scope_closes() -> None:
    events: list[str] = []

    class Session: ...

    async def session() -> AsyncIterator[Session]:
        yield Session()
        events.append("close")

    container = Container()
    container.register_factory(Session, session, scope=Scope.SCOPED)

    async def main() -> None:
        async with container.create_scope() as scope:
            await scope.aresolve(Session)
            assert events == []
        assert events == ["close"]

    asyncio.run(main())


@groups
def test_sync_close_refuses_an_async_generator_and_still_runs_the_others() -> None:
    events: list[str] = []

    class Connection: ...

    class Cache: ...

    async def connection() -> AsyncIterator[Connection]:
        yield Connection()
        events.append("close connection")  # pragma: no cover - needs aclose

    def cache() -> Iterator[Cache]:
        yield Cache()
        events.append("close cache")

    container = Container()
    container.register_factory(Connection, connection, scope=Scope.SINGLETON)
    container.register_factory(Cache, cache, scope=Scope.SINGLETON)
    asyncio.run(container.aresolve(Connection))
    container.resolve(Cache)

    with pytest.raises(ExceptionGroup) as info:
        container.close()

    (error,) = info.value.exceptions
    assert isinstance(error, ResolutionError)
    assert error.hint is not None
    assert "aclose()" in error.hint
    assert events == ["close cache"]


# 4. Refusals come before anything is built


def test_aresolve_outside_a_scope_refuses_before_building_an_async_singleton() -> None:
    built: list[str] = []

    class Pool: ...

    class Session: ...

    class Handler:
        def __init__(self, pool: Pool, session: Session) -> None: ...

    async def pool() -> Pool:
        built.append("pool")
        return Pool()

    async def session() -> Session:
        built.append("session")
        return Session()

    container = Container()
    container.register_factory(Pool, pool, scope=Scope.SINGLETON)
    container.register_factory(Session, session, scope=Scope.SCOPED)
    container.register_class(Handler)

    async def main() -> None:
        with pytest.raises(ScopeError) as info:
            await container.aresolve(Handler)
        assert info.value.reason == "Session is scoped, so it can only be resolved inside a scope"
        assert info.value.hint is not None
        assert "async with container.create_scope()" in info.value.hint

    asyncio.run(main())
    assert built == []


def test_aresolve_outside_a_scope_refuses_before_building_when_the_scoped_type_is_sync() -> None:
    built: list[str] = []

    class Pool: ...

    class Session:
        def __init__(self) -> None:
            built.append("session")  # pragma: no cover - refused

    class Handler:
        def __init__(self, pool: Pool, session: Session) -> None: ...

    async def pool() -> Pool:
        built.append("pool")
        return Pool()

    container = Container()
    container.register_factory(Pool, pool, scope=Scope.SINGLETON)
    container.register_class(Session, scope=Scope.SCOPED)
    container.register_class(Handler)

    async def main() -> None:
        with pytest.raises(ScopeError):
            await container.aresolve(Handler)

    asyncio.run(main())
    assert built == []


def test_the_same_chain_resolves_inside_a_scope() -> None:
    class Pool: ...

    class Session: ...

    class Handler:
        def __init__(self, pool: Pool, session: Session) -> None:
            self.pool, self.session = pool, session

    async def pool() -> Pool:
        return Pool()

    container = Container()
    container.register_factory(Pool, pool, scope=Scope.SINGLETON)
    container.register_class(Session, scope=Scope.SCOPED)
    container.register_class(Handler)

    async def main() -> None:
        async with container.create_scope() as scope:
            handler = await scope.aresolve(Handler)
            assert handler.pool is await container.aresolve(Pool)
            assert handler.session is scope.resolve(Session)

    asyncio.run(main())
