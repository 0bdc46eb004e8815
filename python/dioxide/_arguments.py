"""Gathering a callable's injected arguments in one resolve: shared by
``@inject`` and factories."""

from __future__ import annotations

import threading
import weakref
from collections.abc import Mapping
from types import FrameType
from typing import Any, Callable, Optional

from dioxide._introspect import (
    Dependency,
    UnresolvedReference,
    _parameter_dependency,
    _Parameter,
    describe,
    resolve_hints,
)
from dioxide._registry import Entry, frame_namespace
from dioxide.exceptions import DioxideTypeError

__all__ = ["Arguments"]


class Arguments:
    """Resolves chosen parameters of one callable by their annotations: per
    container and set of parameters, a provider (a ``dict`` subclass named
    after the callable) is registered whose instance holds their values, so
    one resolve, run by the Rust core, gathers them all. Shared by
    ``@inject`` and factories."""

    def __init__(self, func: Callable[..., Any], frame: Optional[FrameType]) -> None:
        self.func = func
        #: Where the callable was decorated (None at module level), kept
        #: until its annotations evaluate: its locals are read again then.
        self.frame = frame
        self._hints: Optional[Mapping[str, Any]] = None
        self._deps: dict[str, Optional[Dependency]] = {}
        self._lock = threading.Lock()
        self._collectors: weakref.WeakKeyDictionary[Any, dict[frozenset[str], Any]] = (
            weakref.WeakKeyDictionary()
        )

    def hints(self) -> Mapping[str, Any]:
        """The evaluated annotations (read when first needed, so they may
        name classes defined after the callable)."""
        if self._hints is None:
            try:
                self._hints = resolve_hints(self.func, frame_namespace(self.frame))
                self.frame = None
            except UnresolvedReference as unresolved:
                raise DioxideTypeError(
                    f"the annotations of {describe(self.func)} refer to "
                    f"'{unresolved.name}', which is not defined",
                    hint=f"define or import '{unresolved.name}' before calling "
                    f"{describe(self.func)}",
                ) from None
        return self._hints

    def dependency(self, name: str, where: str, has_default: bool = False) -> Optional[Dependency]:
        """Parameter ``name`` as a dependency, None when it keeps its default
        (``has_default`` and not injectable); a parameter dioxide cannot
        inject (``str``, no annotation) raises, naming ``where``. (For
        ``Inject[T]``, ``has_default`` is False: a default such as
        ``INJECTED`` does not make ``T`` optional.)"""
        if name not in self._deps:
            read = _parameter_dependency(
                _Parameter(name, "keyword_only", has_default), self.hints(), where
            )
            self._deps[name] = None if read is None else Dependency(*read, False)
        return self._deps[name]

    def registered(self, container: Any, wanted: frozenset[str]) -> Any:
        """The provider :meth:`collector` registered for these, or None."""
        known = self._collectors.get(container)
        return None if known is None else known.get(wanted)

    def collector(self, container: Any, wanted: frozenset[str], where: str) -> Any:
        """The provider, registered in ``container``, whose instance is the
        dict of the ``wanted`` parameters' values (read by :meth:`dependency`
        first: those it returns None for are left out)."""
        known = self._collectors.get(container)
        if known is not None:
            found = known.get(wanted)
            if found is not None:
                return found
        deps = [d for d in (self._deps[name] for name in sorted(wanted)) if d is not None]
        with self._lock:
            known = self._collectors.setdefault(container, {})
            found = known.get(wanted)
            if found is None:
                found = _collect_function(self.func)
                entry = Entry(found, found, "transient", "call", deps)
                container._register([entry])
                known[wanted] = found
        return found


def _collect_function(func: Callable[..., Any]) -> type[dict[str, Any]]:
    """A class, named after ``func``, whose instance is the dict of its
    keyword arguments: registered as a transient provider, it gathers the
    injected values in one resolve (error chains then start at ``func``)."""
    name = getattr(func, "__name__", "function")
    return type(
        name,
        (dict,),
        {
            "__slots__": (),
            "__qualname__": getattr(func, "__qualname__", name),
            "__module__": getattr(func, "__module__", __name__),
            "__doc__": f"The injected arguments of {name}() (made by @inject).",
        },
    )
