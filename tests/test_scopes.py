"""Scopes: one instance per scope for ``Scope.SCOPED``, and the captive-dependency rule."""

from __future__ import annotations

import pytest

from dioxide import (
    CaptiveDependencyError,
    Container,
    ContainerScope,
    DioxideError,
    Scope,
    ScopeError,
    ValidationError,
    component,
    singleton,
)


class Config:
    """A singleton in every test of this module."""


class Session:
    """Scoped in every test of this module."""


class Handler:
    """Transient, needing the scoped session and the singleton config."""

    def __init__(self, session: Session, config: Config) -> None:
        self.session = session
        self.config = config


@pytest.fixture
def app(container: Container) -> Container:
    container.register_class(Config, scope=Scope.SINGLETON)
    container.register_class(Session, scope=Scope.SCOPED)
    container.register_class(Handler)
    return container


# Identity rules


def test_scoped_instance_is_shared_within_a_scope(app: Container) -> None:
    with app.create_scope() as scope:
        assert scope.resolve(Session) is scope.resolve(Session)


def test_scoped_instance_is_shared_by_its_dependants_in_the_scope(app: Container) -> None:
    with app.create_scope() as scope:
        first = scope.resolve(Handler)
        second = scope.resolve(Handler)

        assert first is not second
        assert first.session is second.session is scope.resolve(Session)


def test_each_scope_has_its_own_scoped_instance(app: Container) -> None:
    with app.create_scope() as first:
        in_first = first.resolve(Session)
    with app.create_scope() as second:
        in_second = second.resolve(Session)

    assert in_first is not in_second


def test_open_scopes_side_by_side_do_not_share_scoped_instances(app: Container) -> None:
    with app.create_scope() as first, app.create_scope() as second:
        assert first.resolve(Session) is not second.resolve(Session)


def test_singletons_are_shared_by_the_container_and_every_scope(app: Container) -> None:
    from_container = app.resolve(Config)

    with app.create_scope() as first:
        assert first.resolve(Config) is from_container
        assert first.resolve(Handler).config is from_container
    with app.create_scope() as second:
        assert second.resolve(Config) is from_container


def test_singleton_first_built_in_a_scope_outlives_it(app: Container) -> None:
    with app.create_scope() as scope:
        built_in_scope = scope.resolve(Config)

    assert app.resolve(Config) is built_in_scope


def test_transients_are_new_each_time_inside_a_scope(app: Container) -> None:
    with app.create_scope() as scope:
        assert scope.resolve(Handler) is not scope.resolve(Handler)


def test_decorated_scoped_class_is_one_per_scope(container: Container) -> None:
    @component(scope=Scope.SCOPED)
    class RequestContext: ...

    with container.create_scope() as first, container.create_scope() as second:
        assert first.resolve(RequestContext) is first.resolve(RequestContext)
        assert first.resolve(RequestContext) is not second.resolve(RequestContext)


def test_create_scope_returns_a_container_scope(app: Container) -> None:
    scope = app.create_scope()

    assert isinstance(scope, ContainerScope)
    assert not scope.closed
    assert Session in scope
    scope.close()
    assert scope.closed


# Nested scopes


def test_nested_scope_has_its_own_scoped_instances(app: Container) -> None:
    with app.create_scope() as outer:
        outer_session = outer.resolve(Session)
        with outer.create_scope() as inner:
            inner_session = inner.resolve(Session)

            assert inner_session is inner.resolve(Session)
            assert inner_session is not outer_session
        assert outer.resolve(Session) is outer_session


def test_nested_scope_shares_the_containers_singletons(app: Container) -> None:
    with app.create_scope() as outer, outer.create_scope() as inner:
        assert inner.resolve(Config) is outer.resolve(Config) is app.resolve(Config)


def test_outer_scope_stays_usable_after_a_nested_scope_closes(app: Container) -> None:
    with app.create_scope() as outer:
        with outer.create_scope() as inner:
            inner.resolve(Session)

        assert inner.closed
        assert not outer.closed
        assert isinstance(outer.resolve(Handler), Handler)


def test_closed_scope_cannot_open_a_nested_scope(app: Container) -> None:
    with app.create_scope() as scope:
        pass

    with pytest.raises(ScopeError) as info:
        scope.create_scope()

    assert str(info.value).startswith("cannot open a nested scope: this scope is closed")
    assert info.value.hint is not None
    assert "container.create_scope()" in info.value.hint


# Resolving outside a scope


def test_resolving_a_scoped_type_outside_a_scope_raises_scope_error(app: Container) -> None:
    with pytest.raises(ScopeError) as info:
        app.resolve(Session)

    error = info.value
    assert isinstance(error, DioxideError)
    assert isinstance(error, RuntimeError)
    assert error.reason == "Session is scoped, so it can only be resolved inside a scope"
    assert error.chain == [Session]
    assert error.hint is not None
    assert "container.create_scope()" in error.hint


def test_scope_error_names_the_chain_to_the_scoped_dependency(app: Container) -> None:
    with pytest.raises(ScopeError) as info:
        app.resolve(Handler)

    assert info.value.chain == [Handler, Session]
    assert "chain: Handler -> Session" in str(info.value)


def test_closed_scope_refuses_to_resolve(app: Container) -> None:
    with app.create_scope() as scope:
        scope.resolve(Session)

    with pytest.raises(ScopeError) as info:
        scope.resolve(Session)

    assert info.value.reason == "this scope is closed"
    assert info.value.hint is not None
    assert "container.create_scope()" in info.value.hint


# Captive dependencies


def test_singleton_depending_on_a_scoped_provider_is_refused_at_registration(
    container: Container,
) -> None:
    class RequestUser: ...

    class AuditLog:
        def __init__(self, user: RequestUser) -> None:
            self.user = user

    container.register_class(RequestUser, scope=Scope.SCOPED)

    with pytest.raises(CaptiveDependencyError) as info:
        container.register_class(AuditLog, scope=Scope.SINGLETON)

    error = info.value
    assert isinstance(error, ScopeError)
    assert error.chain == [AuditLog, RequestUser]
    assert error.reason.startswith("singleton AuditLog depends on scoped RequestUser")
    assert error.hint == "make AuditLog scoped or transient, or make RequestUser a singleton"
    assert AuditLog not in container


def test_captive_dependency_through_transients_shows_the_whole_chain(
    container: Container,
) -> None:
    class RequestUser: ...

    class Permissions:
        def __init__(self, user: RequestUser) -> None: ...

    class Cache:
        def __init__(self, permissions: Permissions) -> None: ...

    container.register_class(RequestUser, scope=Scope.SCOPED)
    container.register_class(Permissions)

    with pytest.raises(CaptiveDependencyError) as info:
        container.register_class(Cache, scope=Scope.SINGLETON)

    assert info.value.chain == [Cache, Permissions, RequestUser]
    assert "chain: Cache -> Permissions -> RequestUser" in str(info.value)


def test_decorating_a_captive_singleton_is_refused() -> None:
    @component(scope=Scope.SCOPED)
    class RequestUser: ...

    with pytest.raises(CaptiveDependencyError) as info:

        @singleton
        class AuditLog:
            def __init__(self, user: RequestUser) -> None: ...

    assert info.value.chain[-1] is RequestUser
    assert [t.__name__ for t in info.value.chain] == ["AuditLog", "RequestUser"]


def test_validate_reports_a_captive_dependency_registered_later(container: Container) -> None:
    class RequestUser: ...

    class AuditLog:
        def __init__(self, user: RequestUser) -> None: ...

    container.register_class(AuditLog, scope=Scope.SINGLETON)
    container.register_class(RequestUser, scope=Scope.SCOPED)

    with pytest.raises(ValidationError) as info:
        container.validate()

    # validate() also reports decorated classes other tests left broken.
    (problem,) = [p for p in info.value.errors if AuditLog in p.chain]
    assert isinstance(problem, CaptiveDependencyError)
    assert problem.chain == [AuditLog, RequestUser]
    assert "chain: AuditLog -> RequestUser" in str(info.value)


def test_captive_dependency_registered_later_is_refused_when_resolved(
    container: Container,
) -> None:
    class RequestUser: ...

    class AuditLog:
        def __init__(self, user: RequestUser) -> None: ...

    container.register_class(AuditLog, scope=Scope.SINGLETON)
    container.register_class(RequestUser, scope=Scope.SCOPED)

    with container.create_scope() as scope, pytest.raises(CaptiveDependencyError) as info:
        scope.resolve(AuditLog)

    assert info.value.chain == [AuditLog, RequestUser]
    assert info.value.hint == "make AuditLog scoped or transient, or make RequestUser a singleton"


def test_scoped_provider_may_depend_on_a_singleton(container: Container) -> None:
    class Pool: ...

    class UnitOfWork:
        def __init__(self, pool: Pool) -> None:
            self.pool = pool

    container.register_class(Pool, scope=Scope.SINGLETON)
    container.register_class(UnitOfWork, scope=Scope.SCOPED)

    with container.create_scope() as scope:
        assert scope.resolve(UnitOfWork).pool is container.resolve(Pool)
