"""Lifetimes (:class:`Scope`) and the scope objects made by ``create_scope``."""

from __future__ import annotations

import enum
from typing import TYPE_CHECKING, Any, TypeVar

from typing_extensions import TypeForm

from dioxide._dioxide_core import _RustScope
from dioxide._factory import Factory
from dioxide._fast import OwnResolve
from dioxide._lifecycle import Closing, task_token
from dioxide.exceptions import ScopeError

__all__ = ["ContainerScope", "Scope"]

T = TypeVar("T")


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


class ContainerScope(_RustScope, Closing, OwnResolve):
    """One unit of work (a request, a job): scoped instances live here.

    Made by :meth:`Container.create_scope`; use it as a context manager so its
    finalizers run when the block ends::

        with container.create_scope() as scope:
            session = scope.resolve(DbSession)   # one per scope
            config = scope.resolve(Config)       # the container's singleton

    Scopes nest (``scope.create_scope()``); each has its own scoped instances.
    """

    def __init__(self, container: Any) -> None:
        # The container closes its open scopes before itself.
        container._track_scope(self)

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

    def create_scope(self) -> ContainerScope:
        """A nested scope with its own scoped instances (singletons are still
        the container's). Close it before its parent, e.g. with nested
        ``with`` blocks::

            with container.create_scope() as request:
                with request.create_scope() as job:
                    job.resolve(DbSession)  # not request's DbSession
        """
        if self.closed:
            raise ScopeError(
                "cannot open a nested scope: this scope is closed",
                hint="open nested scopes inside the parent's `with` block, "
                "or open a new scope with `container.create_scope()`",
            )
        return ContainerScope(self._container)

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
        return f"<ContainerScope {state}>"
