"""Finalizers: generator providers and ``lifecycle=True`` context managers are
cleaned up when their owner (container or scope) closes, newest first."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from types import TracebackType
from typing import Callable, Optional

import pytest

from dioxide import Container, DioxideTypeError, ResolutionError, Scope, singleton
from dioxide._dioxide_core import _raise_together

Events = list[str]


def resource(events: Events, name: str, *, fails: bool = False) -> Callable[[], Iterator[object]]:
    """A generator provider that records opening, closing and rolling back."""

    def open_resource() -> Iterator[object]:
        events.append(f"open {name}")
        try:
            yield object()
        except Exception as error:
            events.append(f"rollback {name}: {error!r}")
            raise
        events.append(f"close {name}")
        if fails:
            raise ValueError(f"{name} failed to close")

    return open_resource


class First: ...


class Second: ...


class Third: ...


#: Finalizer errors are raised as an ``ExceptionGroup`` from Python 3.11.
groups = pytest.mark.skipif(sys.version_info < (3, 11), reason="ExceptionGroup is new in 3.11")


@pytest.fixture
def events() -> Events:
    return []


# When finalizers run


def test_singleton_generator_is_finalized_on_close(container: Container, events: Events) -> None:
    container.register_factory(First, resource(events, "first"), scope=Scope.SINGLETON)

    container.resolve(First)
    assert events == ["open first"]

    container.close()
    assert events == ["open first", "close first"]


def test_container_used_as_context_manager_closes_on_exit(events: Events) -> None:
    with Container() as container:
        container.register_factory(First, resource(events, "first"), scope=Scope.SINGLETON)
        container.resolve(First)
        assert events == ["open first"]

    assert events == ["open first", "close first"]
    assert container.closed


def test_scoped_generator_is_finalized_when_its_scope_exits(
    container: Container, events: Events
) -> None:
    container.register_factory(First, resource(events, "first"), scope=Scope.SCOPED)

    with container.create_scope() as scope:
        scope.resolve(First)
        scope.resolve(First)
        assert events == ["open first"]

    assert events == ["open first", "close first"]


def test_each_scope_finalizes_its_own_instance(container: Container, events: Events) -> None:
    container.register_factory(First, resource(events, "first"), scope=Scope.SCOPED)

    with container.create_scope() as outer:
        outer.resolve(First)
        with outer.create_scope() as inner:
            inner.resolve(First)
        assert events == ["open first", "open first", "close first"]

    assert events == ["open first", "open first", "close first", "close first"]


def test_singleton_resolved_in_a_scope_is_finalized_by_the_container(
    container: Container, events: Events
) -> None:
    container.register_factory(First, resource(events, "first"), scope=Scope.SINGLETON)

    with container.create_scope() as scope:
        scope.resolve(First)
    assert events == ["open first"]

    container.close()
    assert events == ["open first", "close first"]


def test_every_transient_instance_is_finalized(container: Container, events: Events) -> None:
    container.register_factory(First, resource(events, "first"))

    container.resolve(First)
    container.resolve(First)
    container.close()

    assert events == ["open first", "open first", "close first", "close first"]


def test_transient_held_by_a_singleton_lives_as_long_as_the_singleton(
    container: Container, events: Events
) -> None:
    class Repository:
        def __init__(self, connection: First) -> None:
            self.connection = connection

    container.register_factory(First, resource(events, "connection"))
    container.register_class(Repository, scope=Scope.SINGLETON)

    with container.create_scope() as scope:
        scope.resolve(Repository)
    assert events == ["open connection"]

    container.close()
    assert events == ["open connection", "close connection"]


def test_closing_twice_runs_finalizers_once(container: Container, events: Events) -> None:
    container.register_factory(First, resource(events, "first"), scope=Scope.SINGLETON)
    container.resolve(First)

    container.close()
    container.close()

    assert events == ["open first", "close first"]


def test_closed_container_refuses_to_resolve(container: Container) -> None:
    container.register_class(First)
    container.close()

    with pytest.raises(ResolutionError) as info:
        container.resolve(First)

    assert info.value.reason == "this container is closed"
    assert info.value.hint is not None
    assert "Container()" in info.value.hint


# Order and errors


def test_finalizers_run_in_reverse_creation_order(container: Container, events: Events) -> None:
    container.register_factory(First, resource(events, "first"), scope=Scope.SINGLETON)
    container.register_factory(Second, resource(events, "second"), scope=Scope.SINGLETON)
    container.register_factory(Third, resource(events, "third"), scope=Scope.SINGLETON)
    container.resolve(Second)
    container.resolve(First)
    container.resolve(Third)

    container.close()

    assert events[3:] == ["close third", "close first", "close second"]


def test_dependency_is_finalized_after_its_dependant(container: Container, events: Events) -> None:
    def service(connection: First) -> Iterator[Second]:
        events.append("open service")
        yield Second()
        events.append("close service")

    container.register_factory(First, resource(events, "connection"), scope=Scope.SINGLETON)
    container.register_factory(Second, service, scope=Scope.SINGLETON)

    container.resolve(Second)
    container.close()

    assert events == ["open connection", "open service", "close service", "close connection"]


@groups
def test_every_finalizer_runs_when_one_in_the_middle_raises(
    container: Container, events: Events
) -> None:
    container.register_factory(First, resource(events, "first"), scope=Scope.SINGLETON)
    container.register_factory(
        Second, resource(events, "second", fails=True), scope=Scope.SINGLETON
    )
    container.register_factory(Third, resource(events, "third"), scope=Scope.SINGLETON)
    for type_ in (First, Second, Third):
        container.resolve(type_)

    with pytest.raises(ExceptionGroup):
        container.close()

    assert events[3:] == ["close third", "close second", "close first"]


@groups
def test_finalizer_errors_are_raised_together(container: Container, events: Events) -> None:
    container.register_factory(
        First, resource(events, "first", fails=True), scope=Scope.SINGLETON
    )
    container.register_factory(Second, resource(events, "second"), scope=Scope.SINGLETON)
    container.register_factory(
        Third, resource(events, "third", fails=True), scope=Scope.SINGLETON
    )
    for type_ in (First, Second, Third):
        container.resolve(type_)

    with pytest.raises(ExceptionGroup) as info:
        container.close()

    group = info.value
    assert str(group) == "2 finalizer(s) failed while closing the container (2 sub-exceptions)"
    assert [str(e) for e in group.exceptions] == ["third failed to close", "first failed to close"]
    assert [e.__notes__ for e in group.exceptions] == [
        ["dioxide: raised while finalizing Third"],
        ["dioxide: raised while finalizing First"],
    ]


@groups
def test_scope_finalizer_errors_are_raised_together_at_scope_exit(
    container: Container, events: Events
) -> None:
    container.register_factory(
        First, resource(events, "first", fails=True), scope=Scope.SCOPED
    )

    with pytest.raises(ExceptionGroup) as info, container.create_scope() as scope:
        scope.resolve(First)

    assert str(info.value).startswith("1 finalizer(s) failed while closing a scope")
    assert scope.closed


def test_before_python_3_11_the_first_error_is_raised_with_the_others_in_its_notes(
) -> None:
    first, second = ValueError("first"), KeyError("second")

    with pytest.raises(ValueError) as info:
        _raise_together([first, second], "the container", group=False)

    assert info.value is first
    assert info.value.__notes__ == [
        "2 finalizer(s) failed while closing the container: KeyError('second')"
    ]


def test_generator_that_yields_nothing_is_a_resolution_error(container: Container) -> None:
    def empty() -> Iterator[First]:
        return
        yield  # pragma: no cover - makes this a generator

    container.register_factory(First, empty)

    with pytest.raises(ResolutionError) as info:
        container.resolve(First)

    assert info.value.reason == (
        "the generator provider of First returned without yielding an instance"
    )
    assert info.value.hint == "a generator provider must `yield` exactly one instance"


@groups
def test_generator_that_yields_twice_fails_at_close(container: Container) -> None:
    def twice() -> Iterator[First]:
        yield First()
        yield First()

    container.register_factory(First, twice, scope=Scope.SINGLETON)
    container.resolve(First)

    with pytest.raises(ExceptionGroup) as info:
        container.close()

    (error,) = info.value.exceptions
    assert isinstance(error, RuntimeError)
    assert "yielded more than once" in str(error)


# The exception that ended the block


def test_exception_escaping_the_scope_is_thrown_into_generators(
    container: Container, events: Events
) -> None:
    container.register_factory(First, resource(events, "first"), scope=Scope.SCOPED)
    container.register_factory(Second, resource(events, "second"), scope=Scope.SCOPED)

    with pytest.raises(KeyError), container.create_scope() as scope:
        scope.resolve(First)
        scope.resolve(Second)
        raise KeyError("request failed")

    assert events[2:] == [
        "rollback second: KeyError('request failed')",
        "rollback first: KeyError('request failed')",
    ]


def test_exception_escaping_the_container_is_thrown_into_generators(events: Events) -> None:
    with pytest.raises(KeyError), Container() as container:
        container.register_factory(First, resource(events, "first"), scope=Scope.SINGLETON)
        container.resolve(First)
        raise KeyError("shutdown")

    assert events == ["open first", "rollback first: KeyError('shutdown')"]


def test_original_exception_still_propagates_when_a_generator_swallows_it(
    container: Container,
) -> None:
    def forgiving() -> Iterator[First]:
        try:
            yield First()
        except KeyError:
            pass

    container.register_factory(First, forgiving, scope=Scope.SCOPED)

    with pytest.raises(KeyError, match="request failed"), container.create_scope() as scope:
        scope.resolve(First)
        raise KeyError("request failed")


@groups
def test_rollback_failure_is_grouped_and_chained_to_the_original_exception(
    container: Container,
) -> None:
    def fragile() -> Iterator[First]:
        try:
            yield First()
        except KeyError as error:
            raise ValueError("rollback failed") from error

    container.register_factory(First, fragile, scope=Scope.SCOPED)

    with pytest.raises(ExceptionGroup) as info, container.create_scope() as scope:
        scope.resolve(First)
        raise KeyError("request failed")

    (error,) = info.value.exceptions
    assert str(error) == "rollback failed"
    assert isinstance(error.__cause__, KeyError)
    assert isinstance(info.value.__context__, KeyError)


# lifecycle=True context managers


class Recorder:
    """A context-manager class that records its lifecycle into ``events``."""

    events: Events

    def __enter__(self) -> Recorder:
        self.events.append("enter")
        return self

    def __exit__(
        self,
        exc_type: Optional[type[BaseException]],
        exc: Optional[BaseException],
        tb: Optional[TracebackType],
    ) -> None:
        self.events.append(f"exit {exc_type.__name__ if exc_type else None}")


def recorder_class(events: Events) -> type[Recorder]:
    return type("Client", (Recorder,), {"events": events})


def test_lifecycle_class_is_entered_when_built_and_exited_on_close(
    container: Container, events: Events
) -> None:
    client = recorder_class(events)
    container.register_class(client, scope=Scope.SINGLETON, lifecycle=True)

    container.resolve(client)
    container.resolve(client)
    assert events == ["enter"]

    container.close()
    assert events == ["enter", "exit None"]


def test_lifecycle_class_receives_the_exception_that_ended_the_scope(
    container: Container, events: Events
) -> None:
    client = recorder_class(events)
    container.register_class(client, scope=Scope.SCOPED, lifecycle=True)

    with pytest.raises(KeyError), container.create_scope() as scope:
        scope.resolve(client)
        raise KeyError("request failed")

    assert events == ["enter", "exit KeyError"]


def test_lifecycle_class_injects_what_enter_returns(container: Container) -> None:
    class Session: ...

    class SessionFactory:
        def __enter__(self) -> Session:
            return Session()

        def __exit__(self, *exc_info: object) -> None:
            pass

    container.register_class(SessionFactory, lifecycle=True)

    assert isinstance(container.resolve(SessionFactory), Session)


def test_context_managers_and_generators_share_one_reverse_order(
    container: Container, events: Events
) -> None:
    client = recorder_class(events)
    container.register_factory(First, resource(events, "first"), scope=Scope.SINGLETON)
    container.register_class(client, scope=Scope.SINGLETON, lifecycle=True)
    container.register_factory(Second, resource(events, "second"), scope=Scope.SINGLETON)
    container.resolve(First)
    container.resolve(client)
    container.resolve(Second)

    container.close()

    assert events[3:] == ["close second", "exit None", "close first"]


def test_singleton_decorator_accepts_lifecycle(container: Container) -> None:
    events: Events = []

    @singleton(lifecycle=True)
    class Client(Recorder): ...

    Client.events = events
    container.resolve(Client)
    container.close()

    assert events == ["enter", "exit None"]


def test_lifecycle_requires_a_context_manager(container: Container) -> None:
    class Plain: ...

    with pytest.raises(DioxideTypeError) as info:
        container.register_class(Plain, lifecycle=True)

    assert info.value.reason == (
        "Plain is registered with lifecycle=True but is not a context manager"
    )
    assert info.value.hint == "define __enter__ and __exit__ on it, or drop lifecycle=True"

