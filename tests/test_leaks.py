"""Leaks: what a container held is released; heavy use leaves memory flat.

- Reference counts of registered classes, factories and instances return to
  their baseline once a container is closed and dropped, and the instances
  it built die with it (weak references).
- A reference cycle through the container (an instance that holds it) is
  collected by the garbage collector: the Rust classes implement
  ``__traverse__`` and ``__clear__``.
- A million resolves and a hundred thousand scopes leave the resident set
  size flat.
"""

from __future__ import annotations

import gc
import os
import sys
import sysconfig
import weakref
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from dioxide import Container, DependencyNotRegisteredError, Scope, singleton

RESOLVES = 1_000_000
SCOPES = 100_000
#: Growth of the resident set allowed after warming up (allocator noise).
RSS_SLACK = 2 * 1024 * 1024


def rss() -> int:
    """Resident set size in bytes, from ``/proc/self/statm``."""
    with open("/proc/self/statm") as statm:
        resident_pages = int(statm.read().split()[1])
    return resident_pages * os.sysconf("SC_PAGE_SIZE")


pytestmark = pytest.mark.skipif(not os.path.exists("/proc/self/statm"), reason="needs /proc")


def refcounts(*objects: object) -> list[int]:
    gc.collect()
    return [sys.getrefcount(obj) for obj in objects]


def collect() -> None:
    for _ in range(3):
        gc.collect()


# -- reference counts -----------------------------------------------------


class Config: ...


class Client:
    def __init__(self, config: Config) -> None:
        self.config = config


class Repository:
    def __init__(self, client: Client, config: Config) -> None:
        self.client = client
        self.config = config


class Session:
    def __init__(self, repository: Repository) -> None:
        self.repository = repository


class Connection:
    def __init__(self) -> None:
        self.open = True


def make_client(config: Config) -> Client:
    return Client(config)


def connect() -> Iterator[Connection]:
    connection = Connection()
    yield connection
    connection.open = False


def wire(container: Container, config: Config) -> None:
    container.register_instance(Config, config)
    container.register_factory(Client, make_client, scope=Scope.SINGLETON)
    container.register_class(Repository)
    container.register_class(Session, scope=Scope.SCOPED)
    container.register_factory(Connection, connect, scope=Scope.SINGLETON)


def use(container: Container) -> list[weakref.ref[Any]]:
    """Resolve everything every way; return weak references to what was built."""
    built: list[Any] = [container.resolve(Repository) for _ in range(100)]
    built.append(container.resolve(Client))
    built.append(container.resolve(Connection))
    for _ in range(100):
        with container.create_scope() as scope:
            built.append(scope.resolve(Session))
    with pytest.raises(DependencyNotRegisteredError):
        container.resolve(Container)
    return [weakref.ref(obj) for obj in built]


def test_refcounts_return_to_baseline_after_close_and_del() -> None:
    config = Config()
    watched = (Config, Client, Repository, Session, Connection, make_client, connect, config)
    baseline = refcounts(*watched)

    container = Container()
    wire(container, config)
    built = use(container)
    assert refcounts(*watched) != baseline, "the container holds its providers"
    container.close()
    del container
    collect()

    assert refcounts(*watched) == baseline
    assert [ref() for ref in built] == [None] * len(built), "instances outlive their container"


def test_a_closed_container_releases_its_instances_even_while_referenced() -> None:
    container = Container()
    wire(container, Config())
    built = use(container)

    container.close()
    collect()

    assert container.closed
    assert [ref() for ref in built] == [None] * len(built)


def test_containers_release_their_copies_of_decorated_providers() -> None:
    @singleton
    class Decorated: ...

    collect()
    baseline = refcounts(Decorated)
    for _ in range(100):
        with Container() as container:
            container.resolve(Decorated)
    del container
    collect()

    # The decorator registry keeps the class (by design); the containers
    # that copied it are gone, and so are their references.
    assert refcounts(Decorated) == baseline


def test_resolving_again_and_again_keeps_no_reference() -> None:
    class Missing: ...

    class Needy:
        def __init__(self, missing: Missing) -> None: ...

    container = Container()
    wire(container, Config())
    container.register_class(Needy)
    client = container.resolve(Client)
    scope = container.create_scope()
    watched = (Missing, Needy, Repository, Client, client)

    def resolve_all(times: int) -> None:
        for _ in range(times):
            container.resolve(Repository)
            scope.resolve(Session)
            try:
                container.resolve(Needy)
            except DependencyNotRegisteredError:
                pass
            try:
                scope.resolve(Missing)
            except DependencyNotRegisteredError:
                pass

    resolve_all(1)  # compiles the plans, which hold their types
    baseline = refcounts(*watched)
    # Nothing but resolves: a reference the core drops must be released
    # there and then, not queued for some later call.
    resolve_all(1000)

    assert refcounts(*watched) == baseline
    scope.close()
    container.close()


def test_a_failed_registration_keeps_no_reference() -> None:
    class Left:
        def __init__(self, right: Right) -> None: ...

    class Right:
        def __init__(self, left: Left) -> None: ...

    container = Container()
    container.register_class(Left)
    baseline = refcounts(Right)
    for _ in range(100):
        with pytest.raises(ValueError):
            container.register_class(Right)

    assert refcounts(Right) == baseline


# -- reference cycles through the container --------------------------------


class Holder:
    """An instance that keeps its container: container -> holder -> container."""

    def __init__(self, container: Container) -> None:
        self.container = container


def holding_container() -> Container:
    # Registered in a helper: register_class reads its caller's local names
    # (for annotations naming local classes), and on Python < 3.13 that
    # leaves a snapshot of them on the caller's frame until it returns.
    container = Container()
    container.register_instance(Container, container)
    container.register_class(Holder, scope=Scope.SINGLETON)
    return container


def test_a_cycle_through_the_container_is_collected() -> None:
    container = holding_container()
    holder = container.resolve(Holder)
    refs = [weakref.ref(container), weakref.ref(holder)]

    # __traverse__ reports what the container holds, so the collector can
    # see the cycle at all.
    assert holder in gc.get_referents(container)

    del container, holder
    collect()

    assert [ref() for ref in refs] == [None, None]


def test_a_cycle_through_the_container_is_collected_after_close() -> None:
    container = holding_container()
    container.resolve(Holder)
    container.close()
    ref = weakref.ref(container)

    del container
    collect()

    assert ref() is None


def test_a_cycle_through_a_factory_closure_is_collected() -> None:
    def build() -> tuple[weakref.ref[Any], weakref.ref[Any]]:
        container = Container()
        container.register_factory(Holder, lambda: Holder(container), scope=Scope.SINGLETON)
        holder = container.resolve(Holder)
        return weakref.ref(container), weakref.ref(holder)

    refs = build()
    collect()

    assert [ref() for ref in refs] == [None, None]


def test_a_cycle_through_a_scope_is_collected() -> None:
    class Request:
        def __init__(self) -> None:
            self.scope: Any = None

    container = Container()
    container.register_class(Request, scope=Scope.SCOPED)
    scope = container.create_scope()
    request = scope.resolve(Request)
    request.scope = scope  # scope -> request -> scope
    refs = [weakref.ref(scope), weakref.ref(request)]

    del scope, request
    collect()

    assert [ref() for ref in refs] == [None, None]
    container.close()


def test_a_cycle_through_a_finalizer_is_collected() -> None:
    def build() -> weakref.ref[Any]:
        container = Container()

        def connection() -> Iterator[Connection]:
            yield Connection()
            container.resolve(Config)  # the generator's frame holds the container

        container.register_instance(Config, Config())
        container.register_factory(Connection, connection, scope=Scope.SINGLETON)
        container.resolve(Connection)
        return weakref.ref(container)

    ref = build()
    collect()

    assert ref() is None


# -- resident memory under load ---------------------------------------------


def flat(label: str, work: Callable[[int], None], count: int, warmup: int) -> None:
    """Run ``work(count)`` after ``work(warmup)`` and check the resident set
    did not grow by more than :data:`RSS_SLACK`."""
    work(warmup)
    collect()
    before = rss()
    work(count)
    collect()
    after = rss()
    growth = after - before
    print(f"{label}: RSS {before / 2**20:.1f} MiB -> {after / 2**20:.1f} MiB ({growth / 1024:+.0f} KiB)")
    assert growth < RSS_SLACK, f"{label}: RSS grew by {growth / 2**20:.1f} MiB"


def test_a_million_resolves_leave_memory_flat() -> None:
    container = Container()
    wire(container, Config())
    client = container.resolve(Client)

    def cached(n: int) -> None:
        resolve = container.resolve
        for _ in range(n):
            resolve(Client)

    def built(n: int) -> None:
        for _ in range(n):
            container.resolve(Repository)

    flat("cached singleton resolves", cached, RESOLVES, RESOLVES // 10)
    flat("transient resolves", built, RESOLVES // 10, RESOLVES // 100)
    assert container.resolve(Client) is client
    container.close()


def test_a_hundred_thousand_scopes_leave_memory_flat() -> None:
    container = Container()
    wire(container, Config())

    def scopes(n: int) -> None:
        for _ in range(n):
            with container.create_scope() as scope:
                scope.resolve(Session)

    flat("scopes", scopes, SCOPES, SCOPES // 10)
    container.close()


def test_failures_and_short_lived_containers_leave_memory_flat() -> None:
    def failures(n: int) -> None:
        container = Container()
        for _ in range(n):
            try:
                container.resolve(Session)
            except DependencyNotRegisteredError:
                pass

    def containers(n: int) -> None:
        for _ in range(n):
            with Container() as container:
                wire(container, Config())
                container.resolve(Repository)

    flat("failed resolves", failures, SCOPES, SCOPES // 10)
    # The free-threaded build's allocator settles later (about 1.6 MiB over
    # the first 10,000 containers, then flat: measured up to 80,000).
    warmup = SCOPES // 10 if sysconfig.get_config_var("Py_GIL_DISABLED") else SCOPES // 100
    flat("containers", containers, SCOPES // 10, warmup)
