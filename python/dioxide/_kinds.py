"""Telling what kind of provider a callable is."""

from __future__ import annotations

import enum
import types
from typing import TYPE_CHECKING, Any, Callable, Optional, get_args, get_origin


if TYPE_CHECKING:
    import inspect
else:
    from dioxide._lazy import inspect

from dioxide._introspect import _shim, describe, resolve_hints
from dioxide.exceptions import DioxideTypeError

__all__ = ["check_shape", "class_kind", "factory_kind", "provided_type"]

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


def _return_hint(factory: Callable[..., Any], localns: Any) -> Any:
    """The factory's return annotation, evaluated alone: its parameters may
    name classes defined later (they are wired when those appear)."""
    annotations = getattr(factory, "__annotations__", None)
    if not isinstance(annotations, dict) or "return" not in annotations:
        return None
    target = inspect.unwrap(factory)
    namespace = getattr(target, "__globals__", None)
    if not isinstance(namespace, dict):
        return resolve_hints(factory, localns).get("return")
    shim = types.FunctionType(_shim.__code__, namespace)
    shim.__annotations__ = {"return": annotations["return"]}
    return resolve_hints(shim, localns).get("return")


def provided_type(factory: Callable[..., Any], localns: Any = None) -> Optional[type]:
    """The class a factory's return annotation names (``Iterator[X]`` and
    ``AsyncIterator[X]`` for generator providers), or None if it has none."""
    annotation = _return_hint(factory, localns)
    if annotation is None:
        return None
    origin = get_origin(annotation)
    if origin is not None and getattr(origin, "__name__", "") in _GENERATOR_ORIGINS:
        args = get_args(annotation)
        annotation = args[0] if args else None
    return annotation if isinstance(annotation, type) else None


#: ``Py_TPFLAGS_HEAPTYPE``: set on every class a ``class`` statement makes,
#: unset on builtin types. (A class made by ``exec`` without ``__name__`` in
#: its globals also reports ``__module__ == "builtins"``.)
_HEAP_TYPE = 1 << 9


def check_shape(cls: type, where: str) -> None:
    """Refuse, when it is registered to be built, a class dioxide cannot
    build by calling it with its ``__init__`` dependencies: a builtin, an
    Enum, a Protocol, an abstract class, a NamedTuple, or a class built
    only by a ``__new__`` that takes parameters. ``where`` names the entry
    point in the message (``"@component"``, ``"register_class()"``).
    Anything that is not a class is left to the caller's own check."""
    if not isinstance(cls, type):
        return
    if cls.__module__ == "builtins" and not cls.__flags__ & _HEAP_TYPE:
        name = describe(cls)
        raise _shape_error(
            cls,
            f"{where}: {name} is a builtin type; dioxide builds classes by calling "
            "their constructor with injected dependencies, not values like this",
            hint=f"register a value instead: container.register_instance({name}, ...) "
            f"for one object, or container.register_value(\"name\", ...) injected into "
            f"parameters annotated Annotated[{name}, Value(\"name\")]",
        )
    if isinstance(cls, enum.EnumMeta):
        members = list(cls.__members__)
        name = describe(cls)
        example = f"{name}.{members[0]}" if members else f"{name}(...)"
        raise _shape_error(
            cls,
            f"{where}: {name} is an Enum; its members are fixed and calling "
            f"{name}() without a value fails",
            hint=f"register the member to inject: container.register_instance({name}, "
            f"{example})",
        )
    if cls.__dict__.get("_is_protocol", False) is True:
        name = describe(cls)
        raise _shape_error(
            cls,
            f"{where}: {name} is a Protocol, an interface that cannot be instantiated",
            hint=f"register the class implementing it with provides={name}: "
            f"@component(provides={name}) on that class, or "
            f"container.register_class({name}, TheImplementation)",
        )
    abstract = getattr(cls, "__abstractmethods__", None)
    if abstract:
        name = describe(cls)
        raise _shape_error(
            cls,
            f"{where}: {name} is abstract (it does not implement "
            f"{', '.join(sorted(abstract))}) and cannot be instantiated",
            hint=f"register the concrete class implementing it with provides={name}: "
            f"@component(provides={name}) on that class, or "
            f"container.register_class({name}, TheImplementation)",
        )
    if issubclass(cls, tuple) and hasattr(cls, "_fields"):
        name = describe(cls)
        raise _shape_error(
            cls,
            f"{where}: {name} is a NamedTuple; its fields are arguments of __new__, "
            "which dioxide does not inject",
            hint=f"register a factory: @provider def make(...) -> {name}: "
            f"return {name}(...), or container.register_instance({name}, {name}(...))",
        )
    if getattr(cls, "__init__", None) is object.__init__:
        parameters = _new_parameters(cls)
        if parameters:
            name = describe(cls)
            raise _shape_error(
                cls,
                f"{where}: {name} is built by __new__(cls, {', '.join(parameters)}) "
                "and has no __init__; dioxide injects __init__ parameters only",
                hint="give it an __init__ with the parameters, or register a factory: "
                f"@provider def make(...) -> {name}",
            )


def _new_parameters(cls: type) -> list[str]:
    """The named parameters after ``cls`` of a ``__new__`` written in Python
    (``*args``/``**kwargs`` alone do not count: they need no arguments)."""
    new: Any = cls.__new__
    if new is object.__new__ or not inspect.isfunction(new):
        return []
    try:
        parameters = list(inspect.signature(new).parameters.values())[1:]
    except (TypeError, ValueError):
        return []
    return [
        p.name
        for p in parameters
        if p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)
    ]


def _shape_error(cls: type, reason: str, hint: str) -> DioxideTypeError:
    return DioxideTypeError(reason, requested=cls, chain=[cls], hint=hint)
