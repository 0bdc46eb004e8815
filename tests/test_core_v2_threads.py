"""Core v2: resolving and closing from several threads cannot deadlock, and
a Ctrl-C reaches a thread waiting for another thread's build.

Threads are started together with a ``Barrier`` and synchronised with
``Event``s; a join that times out is a hang, and fails the test.
"""

from __future__ import annotations

import _thread
import asyncio
import signal
import threading
from collections.abc import AsyncIterator, Iterator

import pytest

from dioxide import (
    Container,
    ContainerScope,
    DioxideError,
    Registry,
    ResolutionError,
    Scope,
    ScopeError,
    component,
    provider,
    singleton,
)

#: Generous: a join that times out means a hang, which fails the test.
JOIN_TIMEOUT = 30.0
ROUNDS = 200


class Pool:
    """A resource whose generator provider counts openings and closings."""


class Counts:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.opened = 0
        self.closed = 0


def wired_registry(counts: Counts) -> tuple[Registry, type]:
    registry = Registry()

    @provider(scope=Scope.SINGLETON, registry=registry)
    def pool() -> Iterator[Pool]:
        with counts.lock:
            counts.opened += 1
        yield Pool()
        with counts.lock:
            counts.closed += 1

    @singleton(registry=registry)
    class Config: ...

    @component(registry=registry)
    class Service:
        def __init__(self, pool: Pool, config: Config) -> None:
            self.pool = pool

    return registry, Service


def resolve_until_closed(
    resolve: object, requested: type, start: threading.Barrier, failures: list[BaseException]
) -> None:
    """Resolve in a loop until the owner closes; any error but a dioxide one
    is a failure."""
    assert callable(resolve)
    start.wait(JOIN_TIMEOUT)
    while True:
        try:
            resolve(requested)
        except DioxideError:
            return
        except BaseException as error:  # noqa: BLE001 - reported to the test
            failures.append(error)
            return


def close_after_start(close: object, start: threading.Barrier, failures: list[BaseException]) -> None:
    assert callable(close)
    start.wait(JOIN_TIMEOUT)
    try:
        close()
    except BaseException as error:  # noqa: BLE001 - reported to the test
        failures.append(error)


def run_pair(resolver: threading.Thread, closer: threading.Thread) -> None:
    resolver.start()
    closer.start()
    resolver.join(JOIN_TIMEOUT)
    closer.join(JOIN_TIMEOUT)
    assert not resolver.is_alive(), "resolve() deadlocked against close()"
    assert not closer.is_alive(), "close() deadlocked against resolve()"


# No deadlock


def test_resolving_in_a_loop_while_another_thread_closes_never_deadlocks() -> None:
    for _ in range(ROUNDS):
        counts = Counts()
        registry, service = wired_registry(counts)
        container = Container(registry=registry)
        start = threading.Barrier(2)
        failures: list[BaseException] = []
        resolver = threading.Thread(
            target=resolve_until_closed, args=(container.resolve, service, start, failures)
        )
        closer = threading.Thread(target=close_after_start, args=(container.close, start, failures))

        run_pair(resolver, closer)

        assert failures == []
        assert container.closed
        assert counts.closed == counts.opened <= 1


def scoped_registry(counts: Counts) -> Registry:
    registry = Registry()

    @provider(scope=Scope.SCOPED, registry=registry)
    def session() -> Iterator[Pool]:
        with counts.lock:
            counts.opened += 1
        yield Pool()
        with counts.lock:
            counts.closed += 1

    return registry


def test_resolving_in_a_scope_while_another_thread_closes_the_container_never_deadlocks() -> None:
    for _ in range(ROUNDS):
        counts = Counts()
        registry = scoped_registry(counts)
        container = Container(registry=registry)
        scope = container.create_scope()
        start = threading.Barrier(2)
        failures: list[BaseException] = []
        resolver = threading.Thread(
            target=resolve_until_closed, args=(scope.resolve, Pool, start, failures)
        )
        closer = threading.Thread(target=close_after_start, args=(container.close, start, failures))

        run_pair(resolver, closer)

        assert failures == []
        assert scope.closed
        assert counts.closed == counts.opened <= 1


def async_pool_container(counts: Counts) -> Container:
    async def pool() -> AsyncIterator[Pool]:
        with counts.lock:
            counts.opened += 1
        yield Pool()
        with counts.lock:
            counts.closed += 1

    container = Container(registry=Registry())
    container.register_factory(Pool, pool, scope=Scope.SINGLETON)
    return container


def aresolve_until_closed(
    container: Container, start: threading.Barrier, failures: list[BaseException]
) -> None:
    async def loop() -> None:
        while True:
            await container.aresolve(Pool)

    start.wait(JOIN_TIMEOUT)
    try:
        asyncio.run(loop())
    except DioxideError:
        return
    except BaseException as error:  # noqa: BLE001 - reported to the test
        failures.append(error)


def test_aresolving_in_a_loop_while_another_thread_acloses_never_deadlocks() -> None:
    for _ in range(ROUNDS):
        counts = Counts()
        container = async_pool_container(counts)
        start = threading.Barrier(2)
        failures: list[BaseException] = []

        resolver = threading.Thread(
            target=aresolve_until_closed, args=(container, start, failures)
        )
        closer = threading.Thread(
            target=close_after_start,
            args=(lambda c=container: asyncio.run(c.aclose()), start, failures),
        )

        run_pair(resolver, closer)

        assert failures == []
        assert container.closed
        # Every resource opened was finalized (an aresolve already under way
        # when aclose began may open one more, finalized at once).
        assert counts.closed == counts.opened


def test_resolve_on_a_closed_container_raises_resolution_error_without_waiting() -> None:
    counts = Counts()
    registry, service = wired_registry(counts)
    container = Container(registry=registry)
    container.resolve(service)
    container.close()
    raised: list[BaseException] = []

    def resolve_once() -> None:
        try:
            container.resolve(service)
        except BaseException as error:  # noqa: BLE001 - reported to the test
            raised.append(error)

    resolver = threading.Thread(target=resolve_once)
    resolver.start()
    resolver.join(JOIN_TIMEOUT)

    assert not resolver.is_alive(), "resolve() on a closed container hung"
    assert len(raised) == 1
    assert isinstance(raised[0], ResolutionError)
    assert raised[0].hint
    assert counts.opened == counts.closed == 1


def test_resolve_on_a_closed_scope_raises_scope_error() -> None:
    registry = Registry()

    @component(scope=Scope.SCOPED, registry=registry)
    class Session: ...

    container = Container(registry=registry)
    with container.create_scope() as scope:
        scope.resolve(Session)

    with pytest.raises(ScopeError) as info:
        scope.resolve(Session)
    assert info.value.hint


# Interrupts


def test_ctrl_c_reaches_the_main_thread_waiting_for_another_threads_singleton() -> None:
    assert threading.current_thread() is threading.main_thread()
    registry = Registry()
    building = threading.Event()
    release = threading.Event()

    @singleton(registry=registry)
    class Slow:
        def __init__(self) -> None:
            building.set()
            assert release.wait(JOIN_TIMEOUT)

    container = Container(registry=registry)
    built: list[object] = []
    builder = threading.Thread(target=lambda: built.append(container.resolve(Slow)))
    main_resolving = threading.Event()
    caught = threading.Event()

    # A signal handler runs wherever the main thread is when it checks for
    # signals; one that lands inside a finalizer (`__del__` of an earlier
    # test's garbage) has its `KeyboardInterrupt` ignored there. So Ctrl-C
    # is pressed again until the resolve has raised it, and the handler
    # raises only until then.
    def on_interrupt(signum: int, frame: object) -> None:
        if not caught.is_set():
            raise KeyboardInterrupt

    def interrupt_until_caught() -> None:
        assert building.wait(JOIN_TIMEOUT)
        assert main_resolving.wait(JOIN_TIMEOUT)
        # Lands while the main thread waits in resolve(), or just before it.
        for _ in range(int(JOIN_TIMEOUT / 0.05)):
            _thread.interrupt_main()
            if caught.wait(0.05):
                return

    previous = signal.signal(signal.SIGINT, on_interrupt)
    interrupter = threading.Thread(target=interrupt_until_caught)
    builder.start()
    interrupter.start()
    try:
        with pytest.raises(KeyboardInterrupt):
            try:
                assert building.wait(JOIN_TIMEOUT)
                main_resolving.set()
                container.resolve(Slow)
            except KeyboardInterrupt:
                caught.set()
                raise
    finally:
        caught.set()
        release.set()
        interrupter.join(JOIN_TIMEOUT)
        builder.join(JOIN_TIMEOUT)
        signal.signal(signal.SIGINT, previous)
    assert not builder.is_alive()
    assert len(built) == 1
    # The interrupted wait left the singleton intact for everyone else.
    assert container.resolve(Slow) is built[0]
    container.close()


class Alpha: ...


class Beta: ...


class Gamma: ...


@pytest.mark.parametrize("interrupt", [KeyboardInterrupt, SystemExit])
def test_a_finalizer_raising_an_interrupt_propagates_it_as_itself_after_the_others_ran(
    interrupt: type[BaseException],
) -> None:
    events: list[str] = []

    def alpha() -> Iterator[Alpha]:
        yield Alpha()
        events.append("close alpha")
        raise ValueError("alpha failed")

    def beta() -> Iterator[Beta]:
        yield Beta()
        events.append("close beta")
        raise interrupt()

    def gamma() -> Iterator[Gamma]:
        yield Gamma()
        events.append("close gamma")
        raise RuntimeError("gamma failed")

    container = Container(registry=Registry())
    container.register_factory(Alpha, alpha, scope=Scope.SINGLETON)
    container.register_factory(Beta, beta, scope=Scope.SINGLETON)
    container.register_factory(Gamma, gamma, scope=Scope.SINGLETON)
    container.resolve(Alpha)
    container.resolve(Beta)
    container.resolve(Gamma)

    with pytest.raises(interrupt) as info:
        container.close()

    assert type(info.value) is interrupt
    assert not isinstance(info.value, BaseExceptionGroup)
    assert events == ["close gamma", "close beta", "close alpha"]
    notes = "\n".join(getattr(info.value, "__notes__", []))
    assert "alpha failed" in notes
    assert "gamma failed" in notes
    assert container.closed


@pytest.mark.parametrize("interrupt", [KeyboardInterrupt, SystemExit])
def test_a_scope_finalizer_raising_an_interrupt_propagates_it_as_itself(
    interrupt: type[BaseException],
) -> None:
    events: list[str] = []

    def alpha() -> Iterator[Alpha]:
        yield Alpha()
        events.append("close alpha")

    def beta() -> Iterator[Beta]:
        yield Beta()
        events.append("close beta")
        raise interrupt()

    container = Container(registry=Registry())
    container.register_factory(Alpha, alpha, scope=Scope.SCOPED)
    container.register_factory(Beta, beta, scope=Scope.SCOPED)
    scope: ContainerScope = container.create_scope()
    scope.resolve(Alpha)
    scope.resolve(Beta)

    with pytest.raises(interrupt) as info:
        scope.close()

    assert type(info.value) is interrupt
    assert events == ["close beta", "close alpha"]
    assert scope.closed
    container.close()


def test_aclose_propagates_a_finalizers_interrupt_as_itself_after_the_others_ran() -> None:
    events: list[str] = []

    async def alpha() -> AsyncIterator[Alpha]:
        yield Alpha()
        events.append("close alpha")
        raise ValueError("alpha failed")

    def beta() -> Iterator[Beta]:
        yield Beta()
        events.append("close beta")
        raise KeyboardInterrupt()

    async def gamma() -> AsyncIterator[Gamma]:
        yield Gamma()
        events.append("close gamma")
        raise RuntimeError("gamma failed")

    container = Container(registry=Registry())
    container.register_factory(Alpha, alpha, scope=Scope.SINGLETON)
    container.register_factory(Beta, beta, scope=Scope.SINGLETON)
    container.register_factory(Gamma, gamma, scope=Scope.SINGLETON)

    async def scenario() -> None:
        await container.aresolve(Alpha)
        await container.aresolve(Beta)
        await container.aresolve(Gamma)
        await container.aclose()

    with pytest.raises(KeyboardInterrupt) as info:
        asyncio.run(scenario())

    assert type(info.value) is KeyboardInterrupt
    assert events == ["close gamma", "close beta", "close alpha"]
    notes = "\n".join(getattr(info.value, "__notes__", []))
    assert "alpha failed" in notes
    assert "gamma failed" in notes
    assert container.closed


def test_an_interrupt_from_an_open_scopes_finalizer_still_lets_close_finalize_singletons() -> None:
    events: list[str] = []

    def scoped() -> Iterator[Alpha]:
        yield Alpha()
        events.append("close scoped")
        raise SystemExit(3)

    def shared() -> Iterator[Beta]:
        yield Beta()
        events.append("close singleton")

    container = Container(registry=Registry())
    container.register_factory(Alpha, scoped, scope=Scope.SCOPED)
    container.register_factory(Beta, shared, scope=Scope.SINGLETON)
    container.resolve(Beta)
    scope = container.create_scope()
    scope.resolve(Alpha)

    with pytest.raises(SystemExit) as info:
        container.close()

    assert type(info.value) is SystemExit
    assert info.value.code == 3
    assert events == ["close scoped", "close singleton"]
    assert scope.closed
    assert container.closed
