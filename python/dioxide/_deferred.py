"""``Lazy[T]``: a dependency resolved when it is used, not when its holder is built."""

from __future__ import annotations

from typing import Any, Generic, TypeVar

from dioxide.exceptions import DioxideTypeError

__all__ = ["Lazy"]

T = TypeVar("T")


class Lazy(Generic[T]):
    """A deferred dependency: annotate a parameter ``Lazy[T]`` and dioxide
    passes a handle whose :meth:`get` resolves ``T`` when called::

        @component
        class Node:
            def __init__(self, parent: Lazy["Node"]) -> None:
                self.parent = parent          # nothing built yet

            def up(self) -> "Node":
                return self.parent.get()      # built (or fetched) now

    - The handle resolves from the owner that built its holder: the scope
      for an instance built in a scope, the container for a singleton (so a
      singleton's ``Lazy`` of a scoped provider is a captive dependency,
      refused at registration like a plain one).
    - ``get()`` applies ``T``'s lifetime: a transient is built anew on each
      call, a singleton or scoped instance is the shared one.
    - An edge through ``Lazy`` is not a cycle edge: ``Node(parent: Lazy[Node])``
      and mutual ``Lazy`` references register. ``validate()`` still checks
      that ``T`` has a provider.
    - ``await lazy.aget()`` resolves through async providers.

    ``Lazy[Annotated[Cache, Named("local")]]`` defers a named implementation.
    dioxide makes the handles; they are not constructed directly.
    """

    __slots__ = ("_core",)

    _core: Any

    def __init__(self) -> None:
        raise DioxideTypeError(
            "Lazy is made by dioxide, not constructed",
            hint="annotate a constructor parameter `dep: Lazy[SomeClass]`",
        )

    @classmethod
    def _bind(cls, core: Any) -> Lazy[Any]:
        """The handle the Rust core made (``_RustDeferred``), as a ``Lazy``."""
        lazy: Lazy[Any] = object.__new__(cls)
        object.__setattr__(lazy, "_core", core)
        return lazy

    def get(self) -> T:
        """Resolve ``T`` now, from the scope (or container) that built the
        holder::

            parent = self.parent.get()
        """
        value: T = self._core.get()
        return value

    async def aget(self) -> T:
        """Like :meth:`get`, awaiting async providers on the way::

        client = await self.client.aget()
        """
        from dioxide._lifecycle import task_token

        value: T = await self._core._aget(task_token())
        return value

    @property
    def type(self) -> Any:
        """The type this handle resolves."""
        return self._core.type

    def __repr__(self) -> str:
        from dioxide._introspect import describe

        return f"<dioxide.Lazy[{describe(self.type)}]>"
