"""``Lazy[T]``: deferred, scope-aware dependencies that never close a cycle."""

from __future__ import annotations

import asyncio
import threading
from typing import Annotated

import pytest

from dioxide import (
    CaptiveDependencyError,
    CircularDependencyError,
    Container,
    DependencyNotRegisteredError,
    DioxideError,
    DioxideTypeError,
    Lazy,
    Named,
    Registry,
    Scope,
    ScopeError,
    ValidationError,
    component,
    provider,
    singleton,
)


def test_a_lazy_self_reference_registers_and_resolves_on_get(registry: Registry) -> None:
    built: list[Node] = []

    @component(registry=registry)
    class Node:
        def __init__(self, parent: Lazy[Node]) -> None:
            self.parent = parent
            built.append(self)

    container = Container(registry=registry)
    node = container.resolve(Node)
    assert built == [node]  # the parent is not built with its holder
    parent = node.parent.get()
    assert isinstance(parent, Node) and parent is not node
    container.validate()


def test_get_on_a_transient_builds_a_new_instance_each_call(registry: Registry) -> None:
    class Part:
        pass

    @component(registry=registry)
    class Holder:
        def __init__(self, part: Lazy[Part]) -> None:
            self.part = part

    container = Container(registry=registry)
    container.register_class(Part)
    holder = container.resolve(Holder)
    assert holder.part.get() is not holder.part.get()
    assert holder.part.type is Part


def test_get_on_a_singleton_returns_the_singleton(registry: Registry) -> None:
    @singleton(registry=registry)
    class First:
        def __init__(self, second: Lazy[Second]) -> None:
            self.second = second

    @singleton(registry=registry)
    class Second:
        def __init__(self, first: First) -> None:
            self.first = first

    container = Container(registry=registry)
    second = container.resolve(Second)
    assert second.first.second.get() is second
    assert container.resolve(First).second.get() is second
    container.validate()


def test_mutual_lazy_references_register(registry: Registry) -> None:
    @component(registry=registry)
    class Left:
        def __init__(self, right: Lazy[Right]) -> None:
            self.right = right

    @component(registry=registry)
    class Right:
        def __init__(self, left: Lazy[Left]) -> None:
            self.left = left

    container = Container(registry=registry)
    assert isinstance(container.resolve(Left).right.get().left.get(), Left)
    container.validate()


def test_a_plain_edge_closing_the_loop_is_still_a_cycle(registry: Registry) -> None:
    @component(registry=registry)
    class Left:
        def __init__(self, right: Lazy[Right]) -> None:
            self.right = right

    @component(registry=registry)
    class Right:
        def __init__(self, left: Left) -> None:
            self.left = left

    container = Container(registry=registry)
    assert isinstance(container.resolve(Right).left.right.get(), Right)

    class Loop:
        def __init__(self, again: Loop2) -> None: ...

    class Loop2:
        def __init__(self, lazy: Lazy[Loop], back: Loop) -> None: ...

    container.register_class(Loop)
    with pytest.raises(CircularDependencyError):
        container.register_class(Loop2)


def test_get_resolves_in_the_scope_that_built_the_holder(registry: Registry) -> None:
    @component(scope=Scope.SCOPED, registry=registry)
    class Session:
        pass

    @component(registry=registry)
    class Handler:
        def __init__(self, session: Lazy[Session]) -> None:
            self.session = session

    container = Container(registry=registry)
    with container.create_scope() as first, container.create_scope() as second:
        handler = first.resolve(Handler)
        assert handler.session.get() is first.resolve(Session)
        assert handler.session.get() is not second.resolve(Session)


def test_get_after_the_scope_closed_is_a_scope_error(registry: Registry) -> None:
    @component(scope=Scope.SCOPED, registry=registry)
    class Session:
        pass

    @component(registry=registry)
    class Handler:
        def __init__(self, session: Lazy[Session]) -> None:
            self.session = session

    container = Container(registry=registry)
    with container.create_scope() as scope:
        handler = scope.resolve(Handler)
    with pytest.raises(
        ScopeError, match="the handle for Session cannot resolve: the scope that built its holder"
    ) as caught:
        handler.session.get()
    assert caught.value.chain == [Session]


def test_a_singleton_holding_a_lazy_scoped_provider_is_captive(registry: Registry) -> None:
    class Session:
        pass

    class Cache:
        def __init__(self, session: Lazy[Session]) -> None: ...

    container = Container(registry=registry)
    container.register_class(Session, scope=Scope.SCOPED)
    with pytest.raises(CaptiveDependencyError):
        container.register_class(Cache, scope=Scope.SINGLETON)


def test_a_lazy_target_must_be_registered(registry: Registry) -> None:
    class Missing:
        pass

    @component(registry=registry)
    class Holder:
        def __init__(self, missing: Lazy[Missing]) -> None: ...

    container = Container(registry=registry)
    with pytest.raises(DependencyNotRegisteredError) as caught:
        container.resolve(Holder)
    assert caught.value.chain == [Holder, Missing]
    with pytest.raises(ValidationError, match="Missing"):
        container.validate()


def test_a_lazy_named_implementation(registry: Registry) -> None:
    class Cache:
        pass

    @component(provides=Cache, name="local", registry=registry)
    class Local(Cache):
        pass

    @component(registry=registry)
    class Holder:
        def __init__(self, cache: Lazy[Annotated[Cache, Named("local")]]) -> None:
            self.cache = cache

    container = Container(registry=registry)
    assert isinstance(container.resolve(Holder).cache.get(), Local)


def test_aget_awaits_an_async_provider(registry: Registry) -> None:
    class Client:
        pass

    @provider(scope=Scope.SCOPED, registry=registry)
    async def client() -> Client:
        return Client()

    @component(registry=registry)
    class Holder:
        def __init__(self, client: Lazy[Client]) -> None:
            self.client = client

    container = Container(registry=registry)

    async def main() -> None:
        async with container.create_scope() as scope:
            holder = scope.resolve(Holder)  # nothing async is built with it
            with pytest.raises(DioxideError, match="synchronous resolve"):
                holder.client.get()
            assert await holder.client.aget() is await scope.aresolve(Client)

    asyncio.run(main())


def test_lazy_is_not_constructed_by_hand() -> None:
    with pytest.raises(DioxideTypeError, match="made by dioxide"):
        Lazy()


def test_lazy_of_a_value_is_refused(registry: Registry) -> None:
    class Holder:
        def __init__(self, name: Lazy[str]) -> None: ...

    container = Container(registry=registry)
    with pytest.raises(DioxideTypeError, match=r"Lazy\[...\] takes a class"):
        container.register_class(Holder)


def test_threads_share_one_singleton_through_lazy(registry: Registry) -> None:
    threads = 16
    barrier = threading.Barrier(threads)

    @singleton(registry=registry)
    class Shared:
        pass

    @component(registry=registry)
    class Holder:
        def __init__(self, shared: Lazy[Shared]) -> None:
            self.shared = shared

    container = Container(registry=registry)
    holder = container.resolve(Holder)
    seen: list[Shared] = []
    lock = threading.Lock()

    def worker() -> None:
        barrier.wait()
        value = holder.shared.get()
        with lock:
            seen.append(value)

    workers = [threading.Thread(target=worker) for _ in range(threads)]
    for thread in workers:
        thread.start()
    for thread in workers:
        thread.join()
    assert len(seen) == threads
    assert len({id(s) for s in seen}) == 1
