"""Telling what kind of provider a callable is."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Callable, Optional

from typing_extensions import get_args, get_origin

if TYPE_CHECKING:
    import inspect
else:
    from dioxide._lazy import inspect

from dioxide._introspect import describe, resolve_hints
from dioxide.exceptions import DioxideTypeError

__all__ = ["class_kind", "factory_kind", "provided_type"]

_GENERATOR_ORIGINS = {
    "Iterator",
    "Iterable",
    "Generator",
    "AsyncIterator",
    "AsyncIterable",
    "AsyncGenerator",
}


def factory_kind(factory: Callable[..., Any]) -> str:
    """The Rust core's provider kind for a factory function."""
    if inspect.isasyncgenfunction(factory):
        return "async_generator"
    if inspect.iscoroutinefunction(factory):
        return "async_call"
    if inspect.isgeneratorfunction(factory):
        return "generator"
    wrapped = getattr(factory, "__wrapped__", None)
    if wrapped is not None and inspect.isgeneratorfunction(wrapped):
        # A @contextlib.contextmanager function: calling it gives a context
        # manager, which is entered when built and exited on close.
        return "context_manager"
    if wrapped is not None and inspect.isasyncgenfunction(wrapped):
        raise DioxideTypeError(
            f"{describe(factory)} looks like an @asynccontextmanager, which dioxide "
            "cannot enter for you",
            hint="write the provider as an async generator (`yield` the instance) "
            "without the decorator",
        )
    return "call"


def class_kind(cls: type, lifecycle: bool) -> str:
    """``call`` for a plain class; ``context_manager`` with ``lifecycle=True``."""
    if not lifecycle:
        return "call"
    if not (hasattr(cls, "__enter__") and hasattr(cls, "__exit__")):
        raise DioxideTypeError(
            f"{describe(cls)} is registered with lifecycle=True but is not a context manager",
            requested=cls,
            chain=[cls],
            hint="define __enter__ and __exit__ on it, or drop lifecycle=True",
        )
    return "context_manager"


def provided_type(factory: Callable[..., Any], localns: Any = None) -> Optional[type]:
    """The class a factory's return annotation names (``Iterator[X]`` and
    ``AsyncIterator[X]`` for generator providers), or None if it has none."""
    hints = resolve_hints(factory, localns)
    annotation = hints.get("return")
    if annotation is None:
        return None
    origin = get_origin(annotation)
    if origin is not None and getattr(origin, "__name__", "") in _GENERATOR_ORIGINS:
        args = get_args(annotation)
        annotation = args[0] if args else None
    return annotation if isinstance(annotation, type) else None
