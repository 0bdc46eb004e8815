"""Core v2: a refused resolve builds nothing.

When ``resolve(A)`` cannot succeed (a scoped dependency outside a scope, an
async provider under the synchronous ``resolve``, a missing provider, a
captive dependency), it is refused before any provider runs: a singleton
that ``A`` also needs is not built, a generator provider is not entered, and
that holds on every attempt, not just the first.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pytest

from dioxide import (
    CaptiveDependencyError,
    Container,
    DependencyNotRegisteredError,
    DioxideError,
    Registry,
    ResolutionError,
    Scope,
    ScopeError,
    component,
    provider,
    singleton,
)

ATTEMPTS = 3


def assert_dioxide_error(error: BaseException, kind: type[DioxideError]) -> None:
    """``error`` is a ``kind`` (a dioxide exception) that says what to do."""
    assert isinstance(error, kind)
    assert isinstance(error, DioxideError)
    assert error.hint, f"{type(error).__name__} has no hint: {error}"
    assert "hint:" in str(error)


class Built:
    """Counts constructor calls of the classes a test declares."""

    def __init__(self) -> None:
        self.calls: list[str] = []


def test_scoped_dependency_outside_a_scope_does_not_build_the_singleton_sibling() -> None:
    registry = Registry()
    built = Built()

    @singleton(registry=registry)
    class B:
        def __init__(self) -> None:
            built.calls.append("B")

    @component(scope=Scope.SCOPED, registry=registry)
    class C:
        def __init__(self) -> None:
            built.calls.append("C")

    @component(registry=registry)
    class A:
        def __init__(self, b: B, c: C) -> None:
            built.calls.append("A")

    container = Container(registry=registry)
    for _ in range(ATTEMPTS):
        with pytest.raises(ScopeError) as info:
            container.resolve(A)
        assert_dioxide_error(info.value, ScopeError)
        assert built.calls == []


def test_scoped_dependency_outside_a_scope_never_enters_a_generator_provider() -> None:
    registry = Registry()
    entered: list[str] = []

    class B: ...

    @provider(scope=Scope.SINGLETON, registry=registry)
    def make_b() -> Iterator[B]:
        entered.append("make_b")
        yield B()

    @component(scope=Scope.SCOPED, registry=registry)
    class C: ...

    @component(registry=registry)
    class A:
        def __init__(self, b: B, c: C) -> None: ...

    container = Container(registry=registry)
    for _ in range(ATTEMPTS):
        with pytest.raises(ScopeError) as info:
            container.resolve(A)
        assert_dioxide_error(info.value, ScopeError)
        assert entered == []
    container.close()
    assert entered == []


def test_scoped_dependency_outside_a_scope_is_refused_when_the_scoped_one_comes_first() -> None:
    registry = Registry()
    built = Built()

    @singleton(registry=registry)
    class B:
        def __init__(self) -> None:
            built.calls.append("B")

    @component(scope=Scope.SCOPED, registry=registry)
    class C: ...

    @component(registry=registry)
    class A:
        def __init__(self, c: C, b: B) -> None: ...

    container = Container(registry=registry)
    for _ in range(ATTEMPTS):
        with pytest.raises(ScopeError):
            container.resolve(A)
        assert built.calls == []


def test_async_provider_under_sync_resolve_does_not_build_the_singleton_sibling() -> None:
    registry = Registry()
    built = Built()

    @singleton(registry=registry)
    class B:
        def __init__(self) -> None:
            built.calls.append("B")

    class C: ...

    @component(registry=registry)
    class A:
        def __init__(self, b: B, c: C) -> None: ...

    async def make_c() -> C:
        built.calls.append("make_c")
        return C()

    container = Container(registry=registry)
    container.register_factory(C, make_c)
    for _ in range(ATTEMPTS):
        with pytest.raises(ResolutionError) as info:
            container.resolve(A)
        assert_dioxide_error(info.value, ResolutionError)
        assert built.calls == []


def test_missing_provider_does_not_build_the_singleton_sibling() -> None:
    registry = Registry()
    built = Built()

    @singleton(registry=registry)
    class B:
        def __init__(self) -> None:
            built.calls.append("B")

    class C: ...

    @component(registry=registry)
    class A:
        def __init__(self, b: B, c: C) -> None: ...

    container = Container(registry=registry)
    for _ in range(ATTEMPTS):
        with pytest.raises(DependencyNotRegisteredError) as info:
            container.resolve(A)
        assert_dioxide_error(info.value, DependencyNotRegisteredError)
        assert info.value.missing is C
        assert built.calls == []


def test_missing_provider_never_enters_a_generator_provider() -> None:
    registry = Registry()
    entered: list[str] = []

    class B: ...

    class C: ...

    @provider(scope=Scope.SINGLETON, registry=registry)
    def make_b() -> Iterator[B]:
        entered.append("make_b")
        yield B()

    @component(registry=registry)
    class A:
        def __init__(self, b: B, c: C) -> None: ...

    container = Container(registry=registry)
    for _ in range(ATTEMPTS):
        with pytest.raises(DependencyNotRegisteredError):
            container.resolve(A)
        assert entered == []


def test_captive_dependency_is_refused_at_decoration_and_builds_nothing() -> None:
    registry = Registry()
    built = Built()

    @singleton(registry=registry)
    class B:
        def __init__(self) -> None:
            built.calls.append("B")

    @component(scope=Scope.SCOPED, registry=registry)
    class C:
        def __init__(self) -> None:
            built.calls.append("C")

    class A:
        def __init__(self, b: B, c: C) -> None:
            built.calls.append("A")

    with pytest.raises(CaptiveDependencyError) as info:
        singleton(registry=registry)(A)
    assert_dioxide_error(info.value, CaptiveDependencyError)

    container = Container(registry=registry)
    with container.create_scope() as scope:
        for _ in range(ATTEMPTS):
            with pytest.raises(DioxideError):
                scope.resolve(A)
    assert built.calls == []


def test_captive_dependency_registered_on_the_container_builds_nothing() -> None:
    registry = Registry()
    built = Built()

    @singleton(registry=registry)
    class B:
        def __init__(self) -> None:
            built.calls.append("B")

    @component(scope=Scope.SCOPED, registry=registry)
    class C:
        def __init__(self) -> None:
            built.calls.append("C")

    class A:
        def __init__(self, b: B, c: C) -> None:
            built.calls.append("A")

    container = Container(registry=registry)
    # Refused when registered, or when resolved: either way nothing is built.
    try:
        container.register_class(A, scope=Scope.SINGLETON)
    except CaptiveDependencyError as error:
        assert_dioxide_error(error, CaptiveDependencyError)
    with container.create_scope() as scope:
        for _ in range(ATTEMPTS):
            with pytest.raises(DioxideError) as info:
                scope.resolve(A)
            assert info.value.hint
    assert built.calls == []


def test_sync_resolve_works_once_aresolve_built_the_async_singleton() -> None:
    registry = Registry()

    class B: ...

    @provider(scope=Scope.SINGLETON, registry=registry)
    async def make_b() -> B:
        return B()

    @component(registry=registry)
    class A:
        def __init__(self, b: B) -> None:
            self.b = b

    container = Container(registry=registry)
    with pytest.raises(ResolutionError) as info:
        container.resolve(A)
    assert_dioxide_error(info.value, ResolutionError)

    b = asyncio.run(container.aresolve(B))

    assert container.resolve(A).b is b
    assert container.resolve(B) is b


def test_aresolve_outside_a_scope_does_not_await_the_async_singleton_sibling() -> None:
    registry = Registry()
    built = Built()

    class B: ...

    @provider(scope=Scope.SINGLETON, registry=registry)
    async def make_b() -> B:
        built.calls.append("make_b")
        return B()

    @component(scope=Scope.SCOPED, registry=registry)
    class C: ...

    @component(registry=registry)
    class A:
        def __init__(self, b: B, c: C) -> None: ...

    container = Container(registry=registry)
    for _ in range(ATTEMPTS):
        with pytest.raises(ScopeError) as info:
            asyncio.run(container.aresolve(A))
        assert_dioxide_error(info.value, ScopeError)
        assert built.calls == []


def test_aresolve_with_a_missing_provider_does_not_await_the_async_singleton_sibling() -> None:
    registry = Registry()
    built = Built()

    class B: ...

    class C: ...

    @provider(scope=Scope.SINGLETON, registry=registry)
    async def make_b() -> B:
        built.calls.append("make_b")
        return B()

    @component(registry=registry)
    class A:
        def __init__(self, b: B, c: C) -> None: ...

    container = Container(registry=registry)
    for _ in range(ATTEMPTS):
        with pytest.raises(DependencyNotRegisteredError) as info:
            asyncio.run(container.aresolve(A))
        assert_dioxide_error(info.value, DependencyNotRegisteredError)
        assert built.calls == []


def test_async_provider_in_a_scope_does_not_enter_lifecycle_or_scoped_siblings() -> None:
    registry = Registry()
    built = Built()

    @singleton(lifecycle=True, registry=registry)
    class B:
        def __enter__(self) -> B:
            built.calls.append("enter B")
            return self

        def __exit__(self, *exc: object) -> None:
            built.calls.append("exit B")

    @component(scope=Scope.SCOPED, registry=registry)
    class D:
        def __init__(self) -> None:
            built.calls.append("D")

    class C: ...

    @component(registry=registry)
    class A:
        def __init__(self, b: B, d: D, c: C) -> None: ...

    async def make_c() -> C:
        return C()

    container = Container(registry=registry)
    container.register_factory(C, make_c, scope=Scope.SCOPED)
    with container.create_scope() as scope:
        for _ in range(ATTEMPTS):
            with pytest.raises(ResolutionError) as info:
                scope.resolve(A)
            assert_dioxide_error(info.value, ResolutionError)
    container.close()
    assert built.calls == []


def test_async_provider_deep_in_the_chain_builds_none_of_the_singletons_above_it() -> None:
    registry = Registry()
    built = Built()

    class E: ...

    @singleton(registry=registry)
    class B:
        def __init__(self) -> None:
            built.calls.append("B")

    @singleton(registry=registry)
    class Mid:
        def __init__(self, b: B, e: E) -> None:
            built.calls.append("Mid")

    @component(registry=registry)
    class Top:
        def __init__(self, mid: Mid) -> None: ...

    async def make_e() -> E:
        return E()

    container = Container(registry=registry)
    container.register_factory(E, make_e)
    for _ in range(ATTEMPTS):
        with pytest.raises(ResolutionError) as info:
            container.resolve(Top)
        assert_dioxide_error(info.value, ResolutionError)
        assert built.calls == []
