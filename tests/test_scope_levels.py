"""Scope levels: a container declares nested scope levels, outermost first;
a scope opened in another is of the next level, takes instances of outer
levels from the ancestor that owns them, and closes before its parent.
Context values are supplied when a scope of their level opens."""

from __future__ import annotations

import asyncio
import sys
import threading
from collections.abc import AsyncIterator, Iterator

import pytest

from dioxide import (
    CaptiveDependencyError,
    Container,
    ContainerScope,
    DioxideTypeError,
    Registry,
    Scope,
    ScopeError,
    ValidationError,
    component,
    provider,
)

JOIN_TIMEOUT = 30.0


class CurrentUser:
    def __init__(self, name: str) -> None:
        self.name = name


class Session:
    pass


class Step:
    def __init__(self, session: Session) -> None:
        self.session = session


class Greeter:
    def __init__(self, user: CurrentUser) -> None:
        self.user = user


@pytest.fixture
def container() -> Container:
    container = Container(scopes=("request", "action"), registry=Registry())
    container.register_class(Session, scope="request")
    container.register_class(Step, scope="action")
    return container


# Levels


def test_a_container_has_one_request_level_by_default() -> None:
    assert Container(registry=Registry()).scopes == ("request",)


def test_a_container_names_its_levels_outermost_first(container: Container) -> None:
    assert container.scopes == ("request", "action")
    with container.create_scope() as request, request.create_scope() as action:
        assert (request.level, action.level) == ("request", "action")
        assert action.parent is request
        assert request.parent is None


def test_an_inner_scope_takes_outer_instances_from_the_scope_that_owns_them(
    container: Container,
) -> None:
    with container.create_scope() as request:
        with request.create_scope() as first, request.create_scope() as second:
            one, two = first.resolve(Step), second.resolve(Step)

            assert one is first.resolve(Step)
            assert one is not two
            assert one.session is two.session is request.resolve(Session)


def test_each_outer_scope_has_its_own_instance(container: Container) -> None:
    with container.create_scope() as request_a, request_a.create_scope() as action_a:
        session_a = action_a.resolve(Step).session
    with container.create_scope() as request_b, request_b.create_scope() as action_b:
        session_b = action_b.resolve(Step).session

    assert session_a is not session_b


def test_scope_scoped_is_the_first_level(container: Container) -> None:
    class Cart:
        pass

    container.register_class(Cart, scope=Scope.SCOPED)

    with container.create_scope() as request, request.create_scope() as action:
        assert action.resolve(Cart) is request.resolve(Cart)


def test_decorators_take_a_level_name() -> None:
    registry = Registry()

    @component(scope="request", registry=registry)
    class Unit: ...

    @component(scope="action", registry=registry)
    class Task:
        def __init__(self, unit: Unit) -> None:
            self.unit = unit

    container = Container(scopes=("request", "action"), registry=registry)
    with container.create_scope() as request, request.create_scope() as action:
        assert action.resolve(Task).unit is request.resolve(Unit)


def test_a_scope_in_the_innermost_level_opens_another_of_that_level(
    container: Container,
) -> None:
    with container.create_scope() as request, request.create_scope() as action:
        with action.create_scope() as again:
            assert again.level == "action"
            assert again.resolve(Step) is not action.resolve(Step)
            assert again.resolve(Session) is action.resolve(Session)


def test_a_deeper_level_resolved_from_an_outer_scope_is_a_scope_error(
    container: Container,
) -> None:
    with container.create_scope() as request, pytest.raises(ScopeError) as info:
        request.resolve(Step)

    assert info.value.reason == 'Step lives in the scope level "action", deeper than this "request" scope'
    assert info.value.hint == (
        'open the "action" scope inside this one with `scope.create_scope()` and resolve Step there'
    )


def test_a_scoped_provider_resolved_from_the_container_is_a_scope_error(
    container: Container,
) -> None:
    with pytest.raises(ScopeError) as info:
        container.resolve(Step)

    assert info.value.reason == "Step is scoped, so it can only be resolved inside a scope"


def test_a_level_may_not_depend_on_a_deeper_one_at_registration(container: Container) -> None:
    class Report:
        def __init__(self, step: Step) -> None:
            self.step = step

    with pytest.raises(CaptiveDependencyError) as info:
        container.register_class(Report, scope="request")

    assert info.value.chain == [Report, Step]
    assert info.value.reason == (
        'Report (scope level "request") depends on Step of the deeper level "action": one '
        '"request" instance would keep the first "action" scope\'s Step alive in every later '
        '"action" scope'
    )
    assert info.value.hint == (
        'a provider may depend only on its own level or outer ones: move Report to level '
        '"action" (or make it transient), or Step to level "request"'
    )
    assert Report not in container


def test_a_captive_level_through_decorators_is_found_by_validate_and_resolve() -> None:
    registry = Registry()

    @component(scope="request", registry=registry)
    class Report:
        def __init__(self, task: Task) -> None:
            self.task = task

    @component(scope="action", registry=registry)
    class Task: ...

    container = Container(scopes=("request", "action"), registry=registry)
    with pytest.raises(ValidationError) as info:
        container.validate()
    (problem,) = info.value.errors
    assert isinstance(problem, CaptiveDependencyError)
    assert problem.chain == [Report, Task]

    with container.create_scope() as request, request.create_scope() as action:
        with pytest.raises(CaptiveDependencyError):
            action.resolve(Report)


def test_a_singleton_may_not_depend_on_any_level(container: Container) -> None:
    class Cache:
        def __init__(self, session: Session) -> None:
            self.session = session

    with pytest.raises(CaptiveDependencyError) as info:
        container.register_class(Cache, scope=Scope.SINGLETON)

    assert info.value.chain == [Cache, Session]


def test_an_unknown_level_is_refused_at_registration(container: Container) -> None:
    with pytest.raises(ScopeError) as info:
        container.register_class(CurrentUser, scope="job")

    assert info.value.reason == (
        "register_class(): unknown scope level 'job'; this container's levels are "
        "'request', 'action'"
    )


def test_a_decorated_level_the_container_lacks_is_reported() -> None:
    registry = Registry()

    @component(scope="job", registry=registry)
    class Job: ...

    container = Container(registry=registry)
    with container.create_scope() as scope, pytest.raises(ScopeError) as info:
        scope.resolve(Job)

    assert info.value.reason == (
        'Job lives in the scope level "job", which this container does not declare'
    )
    with pytest.raises(ValidationError) as validation:
        container.validate()
    assert "job" in str(validation.value)


@pytest.mark.parametrize(
    ("scopes", "reason"),
    [
        ("request", "Container(scopes=...) takes a sequence of level names, got 'request'"),
        ((), "Container(scopes=...) takes non-empty level names, got no level"),
        (("request", ""), "Container(scopes=...) takes non-empty level names, got ''"),
        (("singleton",), "Container(scopes=...) takes non-empty level names, got 'singleton'"),
        (("request", "request"), "Container(scopes=...) names the level 'request' twice"),
    ],
)
def test_bad_levels_are_refused(scopes: object, reason: str) -> None:
    with pytest.raises(DioxideTypeError) as info:
        Container(scopes=scopes, registry=Registry())  # type: ignore[arg-type]

    assert info.value.reason == reason


def test_graph_shows_levels(container: Container) -> None:
    container.register_context(CurrentUser, scope="request")

    graph = container.graph()

    assert 'Session["Session (scoped: request)"]' in graph
    assert 'Step["Step (scoped: action)"]' in graph
    assert 'CurrentUser["CurrentUser (context: request)"]' in graph


# Nesting and closing


def resource(events: list[str], name: str) -> object:
    def make() -> Iterator[object]:
        events.append(f"open {name}")
        yield object()
        events.append(f"close {name}")

    return make


def test_closing_a_scope_closes_its_open_children_first_newest_first() -> None:
    events: list[str] = []

    class Outer: ...

    class Inner: ...

    container = Container(scopes=("request", "action"), registry=Registry())
    container.register_factory(Outer, resource(events, "outer"), scope="request")  # type: ignore[arg-type]
    container.register_factory(Inner, resource(events, "inner"), scope="action")  # type: ignore[arg-type]
    request = container.create_scope()
    request.resolve(Outer)
    older, newer = request.create_scope(), request.create_scope()
    older.resolve(Inner)
    newer.resolve(Inner)

    request.close()

    assert events == ["open outer", "open inner", "open inner", "close inner", "close inner", "close outer"]
    assert older.closed and newer.closed


def test_finalizers_run_per_owning_scope(container: Container) -> None:
    events: list[str] = []

    class Outer: ...

    container.register_factory(Outer, resource(events, "outer"), scope="request")  # type: ignore[arg-type]
    with container.create_scope() as request:
        with request.create_scope() as action:
            action.resolve(Outer)
        assert events == ["open outer"]
    assert events == ["open outer", "close outer"]


def test_a_closed_parent_refuses_children_and_a_closed_scope_refuses_to_resolve(
    container: Container,
) -> None:
    request = container.create_scope()
    action = request.create_scope()
    request.close()

    with pytest.raises(ScopeError) as info:
        request.create_scope()
    assert info.value.reason == "cannot open a nested scope: this scope is closed"
    with pytest.raises(ScopeError):
        action.resolve(Session)


@pytest.mark.skipif(sys.version_info < (3, 11), reason="ExceptionGroup is new in 3.11")
def test_failures_of_children_and_parent_are_raised_together(container: Container) -> None:
    class Outer: ...

    class Inner: ...

    def failing(message: str) -> object:
        def make() -> Iterator[object]:
            yield object()
            raise RuntimeError(message)

        return make

    container.register_factory(Outer, failing("outer"), scope="request")  # type: ignore[arg-type]
    container.register_factory(Inner, failing("inner"), scope="action")  # type: ignore[arg-type]
    request = container.create_scope()
    request.resolve(Outer)
    request.create_scope().resolve(Inner)

    with pytest.raises(ExceptionGroup) as info:
        request.close()

    # The child's failures come as its own group, inside the parent's.
    (child, parent) = info.value.exceptions
    assert isinstance(child, ExceptionGroup) and isinstance(parent, ExceptionGroup)
    assert [str(e) for e in child.exceptions] == ["inner"]
    assert [str(e) for e in parent.exceptions] == ["outer"]


def test_nested_async_scopes() -> None:
    events: list[str] = []

    class Outer: ...

    class Inner: ...

    async def outer() -> AsyncIterator[Outer]:
        events.append("open outer")
        yield Outer()
        events.append("close outer")

    async def inner(o: Outer) -> AsyncIterator[Inner]:
        events.append("open inner")
        yield Inner()
        events.append("close inner")

    container = Container(scopes=("request", "action"), registry=Registry())
    container.register_factory(Outer, outer, scope="request")
    container.register_factory(Inner, inner, scope="action")

    async def main() -> None:
        async with container.create_scope() as request:
            async with request.create_scope() as action:
                await action.aresolve(Inner)
                assert await action.aresolve(Outer) is await request.aresolve(Outer)
            assert events == ["open outer", "open inner", "close inner"]
            # An open child is closed (awaiting its finalizers) with its
            # parent, even one nobody holds any more.
            await request.create_scope().aresolve(Inner)

    asyncio.run(main())
    assert events == [
        "open outer",
        "open inner",
        "close inner",
        "open inner",
        "close inner",
        "close outer",
    ]


# Threads


def test_one_instance_per_owning_scope_under_threads(container: Container) -> None:
    threads_count = 16
    barrier = threading.Barrier(threads_count)
    steps: list[Step] = []
    lock = threading.Lock()
    errors: list[BaseException] = []

    with container.create_scope() as request:

        def work() -> None:
            try:
                with request.create_scope() as action:
                    barrier.wait()
                    step = action.resolve(Step)
                    assert step is action.resolve(Step)
                    with lock:
                        steps.append(step)
            except BaseException as error:  # noqa: BLE001 - reported below
                errors.append(error)

        threads = [threading.Thread(target=work) for _ in range(threads_count)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(JOIN_TIMEOUT)
            assert not thread.is_alive()
        session = request.resolve(Session)

    assert errors == []
    assert len({id(s) for s in steps}) == threads_count
    assert all(s.session is session for s in steps)


def test_one_action_scope_shared_by_threads_builds_once(container: Container) -> None:
    threads_count = 16
    barrier = threading.Barrier(threads_count)
    built: list[Step] = []
    with container.create_scope() as request, request.create_scope() as action:

        def work() -> None:
            barrier.wait()
            built.append(action.resolve(Step))

        threads = [threading.Thread(target=work) for _ in range(threads_count)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(JOIN_TIMEOUT)
            assert not thread.is_alive()

    assert len(built) == threads_count
    assert all(step is built[0] for step in built)


# Context values


def test_a_context_value_is_injected_by_type(container: Container) -> None:
    container.register_context(CurrentUser, scope="request")
    container.register_class(Greeter, scope="action")
    alice = CurrentUser("alice")

    with container.create_scope(context={CurrentUser: alice}) as request:
        with request.create_scope() as action:
            assert action.resolve(Greeter).user is alice
            assert request.resolve(CurrentUser) is alice
    container.validate()


def test_each_scope_has_its_own_context_value(container: Container) -> None:
    container.register_context(CurrentUser)  # the first level by default
    alice, bob = CurrentUser("alice"), CurrentUser("bob")

    with container.create_scope(context={CurrentUser: alice}) as first:
        with container.create_scope(context={CurrentUser: bob}) as second:
            assert first.resolve(CurrentUser) is alice
            assert second.resolve(CurrentUser) is bob


def test_a_deeper_context_value_is_supplied_by_the_scope_that_opens_it(
    container: Container,
) -> None:
    container.register_context(CurrentUser, scope="action")
    container.register_class(Greeter, scope="action")
    alice = CurrentUser("alice")

    with container.create_scope() as request:
        with request.create_scope(context={CurrentUser: alice}) as action:
            assert action.resolve(Greeter).user is alice


def test_a_scope_opened_without_its_context_value_says_which(container: Container) -> None:
    container.register_context(CurrentUser, scope="request")
    container.register_class(Greeter, scope="action")

    with container.create_scope() as request, request.create_scope() as action:
        with pytest.raises(ScopeError) as info:
            action.resolve(Greeter)

    assert info.value.reason == (
        'CurrentUser is a context value of the "request" scope level, and this "request" '
        "scope was opened without it"
    )
    assert info.value.chain == [Greeter, CurrentUser]
    assert info.value.hint == (
        "supply it when opening the scope: `create_scope(context={CurrentUser: ...})`"
    )


def test_context_for_an_undeclared_type_is_refused(container: Container) -> None:
    with pytest.raises(DioxideTypeError) as info:
        container.create_scope(context={CurrentUser: CurrentUser("alice")})

    assert info.value.reason == "CurrentUser is not declared as a context value"
    assert info.value.hint == (
        "declare it first: `container.register_context(CurrentUser, scope=\"request\")`"
    )


def test_context_for_another_level_is_refused(container: Container) -> None:
    container.register_context(CurrentUser, scope="action")

    with pytest.raises(ScopeError) as info:
        container.create_scope(context={CurrentUser: CurrentUser("alice")})

    assert info.value.reason == (
        'CurrentUser is a context value of the "action" scope level, not of this "request" scope'
    )


def test_a_context_value_of_the_wrong_type_is_refused(container: Container) -> None:
    container.register_context(CurrentUser)

    with pytest.raises(DioxideTypeError) as info:
        container.create_scope(context={CurrentUser: "alice"})

    assert info.value.reason == (
        "context value for CurrentUser is an instance of str, not of CurrentUser"
    )


def test_a_singleton_may_not_depend_on_a_context_value(container: Container) -> None:
    container.register_context(CurrentUser)

    with pytest.raises(CaptiveDependencyError):
        container.register_class(Greeter, scope=Scope.SINGLETON)


def test_a_context_value_cannot_be_a_singleton(container: Container) -> None:
    with pytest.raises(DioxideTypeError):
        container.register_context(CurrentUser, scope=Scope.SINGLETON)


def test_validate_lists_what_needs_a_missing_context_type() -> None:
    container = Container(registry=Registry())
    container.register_class(Greeter, scope=Scope.SCOPED)

    with pytest.raises(ValidationError) as info:
        container.validate()

    assert "CurrentUser" in str(info.value)
    assert "Greeter" in str(info.value)


# Overrides across levels


def test_an_override_is_seen_by_every_level_and_restored(container: Container) -> None:
    class Audit:
        def __init__(self, session: Session, step: Step) -> None:
            self.session = session
            self.step = step

    container.register_class(Audit, scope="action")
    fake = Session()
    with container.create_scope() as request, request.create_scope() as action:
        real = request.resolve(Session)
        with container.override(Session, fake):
            audit = action.resolve(Audit)
            assert audit.session is audit.step.session is fake
            assert request.resolve(Session) is fake
        assert request.resolve(Session) is real


def test_a_class_override_keeps_the_level_it_replaces(container: Container) -> None:
    class FakeSession(Session):
        pass

    with container.create_scope() as request, request.create_scope() as action:
        with container.override(Session, FakeSession):
            inner = action.resolve(Step).session
            assert isinstance(inner, FakeSession)
            assert inner is request.resolve(Session)
            with request.create_scope() as other:
                assert other.resolve(Step).session is inner


def test_overriding_a_context_value(container: Container) -> None:
    container.register_context(CurrentUser)
    fake = CurrentUser("fake")

    with container.create_scope(context={CurrentUser: CurrentUser("alice")}) as request:
        with container.override(CurrentUser, fake):
            assert request.resolve(CurrentUser) is fake


def test_provider_functions_take_a_level() -> None:
    registry = Registry()

    @provider(scope="action", registry=registry)
    def step() -> Step:
        return Step(Session())

    container = Container(scopes=("request", "action"), registry=registry)
    with container.create_scope() as request, request.create_scope() as action:
        assert action.resolve(Step) is action.resolve(Step)
        assert isinstance(request, ContainerScope)


@pytest.mark.parametrize("context", [[("user", 1)], 42, "alice"])
def test_context_that_is_not_a_mapping_is_refused_and_opens_nothing(
    container: Container, context: object
) -> None:
    container.register_context(CurrentUser, scope="request")
    with container.create_scope() as request:
        for opener, name in ((container, "container"), (request, "scope")):
            with pytest.raises(DioxideTypeError) as info:
                opener.create_scope(context=context)  # type: ignore[arg-type]
            assert isinstance(info.value, TypeError)
            assert info.value.reason.startswith(
                "create_scope(context=...) takes a mapping of types to values, got "
            )
            assert info.value.hint == f"e.g. {name}.create_scope(context={{CurrentUser: user}})"
        # Nothing was opened: the request scope still opens its children.
        with request.create_scope() as action:
            assert action.parent is request


def test_any_mapping_serves_as_context_and_is_copied(container: Container) -> None:
    import types

    container.register_context(CurrentUser, scope="request")
    alice, bob = CurrentUser("alice"), CurrentUser("bob")
    given = {CurrentUser: alice}
    with container.create_scope(context=types.MappingProxyType(given)) as request:
        given[CurrentUser] = bob  # after opening: the scope kept its own copy
        assert request.resolve(CurrentUser) is alice


class RequestScope(ContainerScope):
    """A scope class of the application's own, made by calling it."""


@pytest.mark.parametrize("how", ["create_scope", "calling a subclass"])
def test_a_scope_never_closed_by_its_user_is_closed_with_its_container(how: str) -> None:
    closed: list[str] = []
    registry = Registry()

    @provider(scope="request", registry=registry)
    def session() -> Iterator[Session]:
        yield Session()
        closed.append("session")

    container = Container(registry=registry)
    if how == "create_scope":
        scope = container.create_scope()
        assert type(scope) is ContainerScope
    else:
        scope = RequestScope(container)
    scope.resolve(Session)
    container.close()
    assert closed == ["session"]
    assert scope.closed
