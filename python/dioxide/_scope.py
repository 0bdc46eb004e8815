"""Lifetimes (:class:`Scope`), scope levels, and the scope objects made by
``create_scope``."""

from __future__ import annotations

import enum
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, Optional, TypeVar

if TYPE_CHECKING:
    from typing_extensions import TypeForm

from dioxide._dioxide_core import _RustScope, _set_scope_class
from dioxide._factory import Factory
from dioxide._fast import OwnResolve
from dioxide._lifecycle import Closing, task_token
from dioxide.exceptions import DioxideTypeError, ScopeError

__all__ = ["ContainerScope", "Scope", "check_levels", "lifetime_of"]

T = TypeVar("T")

#: The lifetime names a scope level cannot take.
_RESERVED = frozenset({"transient", "singleton", "scoped"})


class Scope(str, enum.Enum):
    """How long an instance lives.

    - ``TRANSIENT``: a new instance for every injection (``@component``'s default).
    - ``SINGLETON``: one instance per container (``@singleton``).
    - ``SCOPED``: one instance per scope (``with container.create_scope() as scope``).
    """

    TRANSIENT = "transient"
    SINGLETON = "singleton"
    SCOPED = "scoped"

    def __str__(self) -> str:
        return self.value


def lifetime_of(scope: object, where: str, levels: Optional[Sequence[str]] = None) -> str:
    """The lifetime name the Rust core reads for ``scope=`` (a :class:`Scope`
    or a level name), checked against ``levels`` when they are known (a
    container's; a decorator's registry serves containers of any levels)."""
    if isinstance(scope, Scope):
        return scope.value
    if isinstance(scope, str) and scope in _RESERVED:
        raise DioxideTypeError(
            f"{where}: scope={scope!r} names a lifetime, not a scope level",
            hint=f"use Scope.{scope.upper()}",
        )
    if not isinstance(scope, str) or not scope:
        raise DioxideTypeError(
            f"{where}: scope must be a dioxide.Scope or a scope level's name, got {scope!r}",
            hint='use Scope.TRANSIENT, Scope.SINGLETON, Scope.SCOPED or a level, e.g. "request"',
        )
    if levels is not None and scope not in levels:
        known = ", ".join(repr(level) for level in levels)
        raise ScopeError(
            f"{where}: unknown scope level {scope!r}; this container's levels are {known}",
            hint=f"use one of {known}, or declare it: Container(scopes=(..., {scope!r}))",
        )
    return scope


def check_levels(scopes: object) -> tuple[str, ...]:
    """``Container(scopes=...)``: distinct level names, outermost first."""
    if isinstance(scopes, str) or not isinstance(scopes, Sequence):
        raise DioxideTypeError(
            f"Container(scopes=...) takes a sequence of level names, got {scopes!r}",
            hint='e.g. Container(scopes=("request", "action")), outermost first',
        )
    levels = tuple(scopes)
    bad = [s for s in levels if not isinstance(s, str) or not s or s in _RESERVED]
    if not levels or bad:
        shown = repr(bad[0]) if bad else "no level"
        raise DioxideTypeError(
            f"Container(scopes=...) takes non-empty level names, got {shown}",
            hint='e.g. Container(scopes=("request", "action")); "transient", '
            '"singleton" and "scoped" are lifetimes, not levels',
        )
    repeated = sorted({s for s in levels if levels.count(s) > 1})
    if repeated:
        raise DioxideTypeError(
            f"Container(scopes=...) names the level {repeated[0]!r} twice",
            hint="each level once, outermost first",
        )
    return levels


class ContainerScope(_RustScope, Closing, OwnResolve):
    """One unit of work (a request, a job): scoped instances live here.

    Made by :meth:`Container.create_scope`; use it as a context manager so its
    finalizers run when the block ends::

        with container.create_scope() as scope:
            session = scope.resolve(DbSession)   # one per scope
            config = scope.resolve(Config)       # the container's singleton

    Scopes nest: ``scope.create_scope()`` opens a scope of the container's
    next level (see ``Container(scopes=...)``), which finds instances of
    outer levels in this scope and closes before it.
    """

    def __init__(
        self,
        container: Any,
        parent: Optional[ContainerScope] = None,
        context: Optional[Mapping[Any, object]] = None,
    ) -> None:
        # Only for a scope made by calling the class (a subclass of one's
        # own): ``create_scope`` calls ``__new__`` alone and tracks the
        # scope itself. The parent (the container for a first-level scope)
        # closes its open scopes before itself.
        (container if parent is None else parent)._track_scope(self)

    if TYPE_CHECKING:

        @property
        def level(self) -> str:
            """The name of this scope's level (``"request"``)."""
            ...

        @property
        def parent(self) -> Optional[ContainerScope]:
            """The scope this one was opened in (``None``: the container's)."""
            ...

    if TYPE_CHECKING:

        def resolve(self, type_: TypeForm[T], /) -> T:
            """Build or fetch the instance of ``type_`` in this scope."""
            ...

        def __getitem__(self, type_: TypeForm[T], /) -> T:
            """``scope[T]`` is ``scope.resolve(T)``::

            session = scope[DbSession]
            """
            ...

    async def aresolve(self, type_: TypeForm[T], /) -> T:
        """Like :meth:`resolve`, awaiting async providers on the way::

        async with container.create_scope() as scope:
            session = await scope.aresolve(AsyncSession)
        """
        result: T = await self._aresolve(type_, task_token())
        return result

    if TYPE_CHECKING:

        def create_scope(self, context: Optional[Mapping[Any, object]] = None) -> ContainerScope:
            """Open a scope of the next level inside this one (of this level
            again when this is the innermost). It has its own instances of its
            level, takes those of outer levels from this scope (or further out),
            and is closed when this one closes, if not before. ``context``
            supplies the context values of its level::

                container = Container(scopes=("request", "action"))
                with container.create_scope() as request:
                    with request.create_scope() as action:
                        action.resolve(Step)  # Step's Session is request's
            """
            ...

    def factory(self, cls: type[T]) -> Factory[T]:
        """A callable that builds a new ``cls`` from the arguments you pass,
        resolving the parameters you leave out in this scope::

            with container.create_scope() as scope:
                lister = scope.factory(MovieLister)("movies.csv")

        See :class:`~dioxide.Factory`.
        """
        from dioxide._registry import caller_frame

        return Factory(self, cls, caller_frame(1))

    def __repr__(self) -> str:
        state = "closed" if self.closed else "open"
        return f"<ContainerScope {self.level!r} {state}>"


_set_scope_class(ContainerScope)
