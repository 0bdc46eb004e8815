"""Scope levels and context values keep their types: ``scope=`` takes a
level's name, ``register_context`` declares a type, ``create_scope`` takes
its context, and scopes tell their level and parent. mypy --strict accepts
this file with no ignore comment, and it runs."""

from __future__ import annotations

from typing import Optional

from typing_extensions import assert_type

from dioxide import Container, ContainerScope, Registry, Scope, component

registry = Registry()


class CurrentUser:
    def __init__(self, name: str) -> None:
        self.name = name


@component(scope="request", registry=registry)
class Session:
    pass


@component(scope="action", registry=registry)
class Step:
    def __init__(self, session: Session, user: CurrentUser) -> None:
        self.session = session
        self.user = user


class Audit:
    def __init__(self, step: Step) -> None:
        self.step = step


class Clock:
    pass


def make_clock() -> Clock:
    return Clock()


def levels_and_context() -> None:
    container = Container(scopes=("request", "action"), registry=registry)
    assert_type(container.scopes, tuple[str, ...])
    assert_type(container.register_context(CurrentUser, scope="request"), None)
    assert_type(container.register_class(Audit, scope="action"), None)
    assert_type(container.register_factory(Clock, make_clock, scope=Scope.SCOPED), None)
    with container.create_scope(context={CurrentUser: CurrentUser("alice")}) as request:
        assert_type(request, ContainerScope)
        assert_type(request.level, str)
        assert_type(request.parent, Optional[ContainerScope])
        with request.create_scope(context={}) as action:
            assert_type(action.resolve(Step).user, CurrentUser)
            assert_type(action.resolve(Audit), Audit)


levels_and_context()
