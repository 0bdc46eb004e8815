"""``@component``, ``@singleton`` and ``@provider``: register where you define."""

from __future__ import annotations

import inspect
from typing import Any, Callable, Optional, TypeVar, Union, overload

from dioxide._introspect import (
    UnresolvedReference,
    callable_dependencies,
    class_dependencies,
    describe,
)
from dioxide._kinds import class_kind, factory_kind, provided_type
from dioxide._registry import caller_frame, frame_namespace, register_decorated
from dioxide._scope import Scope
from dioxide.exceptions import DioxideTypeError

__all__ = ["component", "provider", "singleton"]

C = TypeVar("C", bound=type)
F = TypeVar("F", bound=Callable[..., Any])


def _check_scope(scope: object, where: str) -> Scope:
    if isinstance(scope, Scope):
        return scope
    raise DioxideTypeError(
        f"{where}: scope must be a dioxide.Scope, got {scope!r}",
        hint="use Scope.TRANSIENT, Scope.SINGLETON or Scope.SCOPED",
    )


def _register_class(cls: Any, scope: Scope, lifecycle: bool, where: str, depth: int) -> None:
    if not isinstance(cls, type):
        hint = (
            "decorate the class itself; for a factory function use @provider"
            if callable(cls)
            else "decorate a class definition"
        )
        raise DioxideTypeError(
            f"{where} decorates classes, got {describe(cls)} ({type(cls).__name__})",
            hint=hint,
        )
    kind = class_kind(cls, lifecycle)
    register_decorated(
        cls,
        cls,
        scope.value,
        kind,
        lambda localns: class_dependencies(cls, localns),
        caller_frame(depth + 1),
    )


@overload
def component(cls: C, /) -> C: ...
@overload
def component(
    *, scope: Scope = Scope.TRANSIENT, lifecycle: bool = False
) -> Callable[[C], C]: ...
def component(
    cls: Optional[C] = None,
    /,
    *,
    scope: Scope = Scope.TRANSIENT,
    lifecycle: bool = False,
) -> Union[C, Callable[[C], C]]:
    """Register a class with every :class:`Container`, wired from its
    ``__init__`` type hints. Transient by default: each injection gets a new
    instance. The class is returned unchanged::

        @component
        class UserService:
            def __init__(self, repo: UserRepository) -> None:
                self.repo = repo

        @component(scope=Scope.SCOPED)
        class RequestContext: ...

    ``lifecycle=True`` marks a context-manager class: it is entered when
    built and exited when its owner (container or scope) closes.
    """
    checked = _check_scope(scope, "@component")
    if cls is not None:
        _register_class(cls, checked, lifecycle, "@component", depth=1)
        return cls

    def decorate(target: C) -> C:
        _register_class(target, checked, lifecycle, "@component", depth=1)
        return target

    return decorate


@overload
def singleton(cls: C, /) -> C: ...
@overload
def singleton(*, lifecycle: bool = False) -> Callable[[C], C]: ...
def singleton(
    cls: Optional[C] = None, /, *, lifecycle: bool = False
) -> Union[C, Callable[[C], C]]:
    """Register a class as a singleton: one instance per container, built on
    first use and shared by every dependant::

        @singleton
        class Config:
            def __init__(self) -> None:
                self.dsn = "sqlite://"
    """
    if cls is not None:
        _register_class(cls, Scope.SINGLETON, lifecycle, "@singleton", depth=1)
        return cls

    def decorate(target: C) -> C:
        _register_class(target, Scope.SINGLETON, lifecycle, "@singleton", depth=1)
        return target

    return decorate


def _register_function(
    func: Any, scope: Scope, provides: Optional[type], depth: int
) -> None:
    if isinstance(func, type) or not callable(func) or not (
        inspect.isfunction(func) or inspect.ismethod(func)
    ):
        raise DioxideTypeError(
            f"@provider decorates functions, got {describe(func)} ({type(func).__name__})",
            hint="for a class use @component or @singleton",
        )
    frame = caller_frame(depth + 1)
    localns = frame_namespace(frame)
    target_type = provides
    if target_type is None:
        try:
            target_type = provided_type(func, localns)
        except UnresolvedReference as unresolved:
            raise DioxideTypeError(
                f"the return annotation of {describe(func)} refers to "
                f"'{unresolved.name}', which is not defined",
                hint="define the class before the provider function, or pass provides=",
            ) from None
    if target_type is None:
        raise DioxideTypeError(
            f"@provider cannot tell what {describe(func)} provides: "
            "its return annotation is missing or not a class",
            hint="annotate the return type ('-> Database'), or pass provides=Database",
        )
    register_decorated(
        target_type,
        func,
        scope.value,
        factory_kind(func),
        lambda ns: callable_dependencies(func, ns),
        frame,
    )


@overload
def provider(func: F, /) -> F: ...
@overload
def provider(
    *, scope: Scope = Scope.TRANSIENT, provides: Optional[type] = None
) -> Callable[[F], F]: ...
def provider(
    func: Optional[F] = None,
    /,
    *,
    scope: Scope = Scope.TRANSIENT,
    provides: Optional[type] = None,
) -> Union[F, Callable[[F], F]]:
    """Register a function as the provider of its return type; its
    parameters are injected like a constructor's. Generators are finalized
    when their owner closes; ``async def`` providers need ``aresolve``::

        @provider(scope=Scope.SINGLETON)
        def database(config: Config) -> Iterator[Database]:
            db = Database(config.dsn)
            yield db
            db.close()
    """
    checked = _check_scope(scope, "@provider")
    if func is not None:
        _register_function(func, checked, provides, depth=1)
        return func

    def decorate(target: F) -> F:
        _register_function(target, checked, provides, depth=1)
        return target

    return decorate
