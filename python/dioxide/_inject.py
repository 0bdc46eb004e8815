"""``@inject``: call any function with its ``Inject[T]`` parameters resolved.

``Inject[T]`` is one marker for the whole library: ``@inject`` reads it, and
so do the FastAPI and Flask integrations (``dioxide.fastapi.Inject`` and
``dioxide.flask.Inject`` are this object).
"""

from __future__ import annotations

import functools
import re
import types
import typing
from collections.abc import Mapping
from types import FrameType
from typing import (
    TYPE_CHECKING,
    Annotated,
    Any,
    Callable,
    Optional,
    Protocol,
    TypeVar,
    Union,
    get_origin,
)


if TYPE_CHECKING:
    import inspect

    from dioxide._container import Container
    from dioxide._scope import ContainerScope
else:
    from dioxide._lazy import inspect

from dioxide._arguments import Arguments
from dioxide._introspect import describe
from dioxide._registry import caller_frame, frame_namespace
from dioxide.exceptions import DioxideTypeError

__all__ = ["INJECTED", "Inject", "inject"]

T = TypeVar("T")
F = TypeVar("F", bound=Callable[..., Any])


class _InjectMarker:
    """The ``Annotated`` metadata that ``Inject[T]`` adds."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "dioxide.Inject"


#: The metadata that marks an ``Inject[T]`` parameter.
INJECT_MARKER = _InjectMarker()

#: Per integration, more ``Annotated`` metadata for ``Inject[T]`` (FastAPI
#: adds its ``Depends``): called with ``T`` each time ``Inject[T]`` is spelled.
_EXTRA_METADATA: list[Callable[[Any], Any]] = []


def _add_metadata(extra: Callable[[Any], Any]) -> None:
    """Let an integration add metadata to every ``Inject[T]`` spelled from now on."""
    if extra not in _EXTRA_METADATA:
        _EXTRA_METADATA.append(extra)


class _Injected:
    """The type of :data:`INJECTED`."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "INJECTED"

    def __bool__(self) -> bool:
        return False


INJECTED: Any = _Injected()
"""A default for ``Inject[T]`` parameters, for type checkers without
dioxide's mypy plugin (pyright, or mypy without the plugin): the parameter
is then optional in the signature they see, so calls may leave it out::

    @inject(container)
    def export(path: str, repo: Inject[Repository] = INJECTED) -> None: ...

    export("out.csv")

``@inject`` replaces it with the resolved instance; it is never passed on."""


if TYPE_CHECKING:
    Inject = Annotated[T, INJECT_MARKER]
else:

    class Inject:
        """``Inject[T]`` marks a parameter that dioxide fills with ``T``
        (type checkers see plain ``T``)::

            @inject(container)
            def export(path: str, repo: Inject[Repository]) -> None:
                repo.save(path)

        One marker for the whole library: ``@inject`` reads it, and so do
        ``dioxide.fastapi`` and ``dioxide.flask``. ``T`` may be any
        injectable annotation: a class, ``Annotated[Cache, Named("local")]``,
        ``Annotated[str, Value("db_url")]``, ``list[Plugin]``, ``Lazy[T]``.
        """

        def __new__(cls, *args: Any, **kwargs: Any) -> Any:
            raise DioxideTypeError(
                "Inject is used as a type annotation, not called",
                hint="annotate the parameter: `service: Inject[UserService]`",
            )

        def __class_getitem__(cls, type_: Any) -> Any:
            extra = tuple(add(type_) for add in _EXTRA_METADATA)
            return Annotated[(type_, INJECT_MARKER) + extra]


def is_inject(hint: Any) -> bool:
    """Whether an evaluated annotation is ``Inject[...]``."""
    return get_origin(hint) is Annotated and any(
        item is INJECT_MARKER for item in getattr(hint, "__metadata__", ())
    )


Source = Union["Container", "ContainerScope"]

#: A string annotation's leading dotted name and its subscript: ``Inject[``.
_HEAD = re.compile(r"\s*([A-Za-z_][\w.]*)\s*\[")


class _Function:
    """What ``@inject`` knows of one function: its injected parameters and
    the signature callers see."""

    def __init__(self, func: Callable[..., Any], frame: Optional[FrameType]) -> None:
        self.func = func
        self.arguments = Arguments(func, frame)
        signature = inspect.signature(func)
        self.names, hints = _injected_names(func, signature, frame_namespace(frame))
        if hints is not None:
            # Shown as evaluated (``str``, not ``'str'``) when they can be.
            signature = signature.replace(
                parameters=[
                    p.replace(annotation=hints.get(p.name, p.annotation))
                    for p in signature.parameters.values()
                ],
                return_annotation=hints.get("return", signature.return_annotation),
            )
        for name in self.names:
            kind = signature.parameters[name].kind
            if kind in (kind.POSITIONAL_ONLY, kind.VAR_POSITIONAL, kind.VAR_KEYWORD):
                raise DioxideTypeError(
                    f"parameter '{name}' of {describe(func)} is injected, so it "
                    "must be a plain or keyword-only parameter",
                    hint="move it after `*` or drop the `/` before it",
                )
        visible = [p for n, p in signature.parameters.items() if n not in self.names]
        self.signature = signature.replace(parameters=visible)
        # Positional arguments map onto the visible parameters; when an
        # injected one sits between them, they are passed on by name.
        order = list(signature.parameters)
        positional = [
            p.name for p in visible if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)
        ]
        self.by_name: Optional[list[str]] = None
        if any(order.index(n) < order.index(p) for n in self.names for p in positional):
            if any(p.kind in (p.POSITIONAL_ONLY, p.VAR_POSITIONAL) for p in visible):
                raise DioxideTypeError(
                    f"{describe(func)} has an injected parameter before a "
                    "positional-only or *args parameter",
                    hint="put Inject[...] parameters after the others, or after `*`",
                )
            self.by_name = positional

    def collector(self, container: Any, wanted: frozenset[str]) -> Any:
        found = self.arguments.registered(container, wanted)
        if found is not None:
            return found
        where = describe(self.func)
        for name in wanted:
            self.arguments.dependency(name, where)
        return self.arguments.collector(container, wanted, where)


#: The attribute holding a function's ``_Function`` (on the wrapper, and on
#: a function wrapped with ``inject(scope)``).
_INFO = "__dioxide_inject__"


def _injected_names(
    func: Callable[..., Any], signature: Any, localns: Mapping[str, Any]
) -> tuple[list[str], Optional[dict[str, Any]]]:
    """The parameters of ``func`` annotated ``Inject[...]``, in order, and
    its evaluated annotations (None when some cannot be evaluated yet). A
    string annotation that cannot be evaluated yet (a forward reference) is
    read by its head: ``"Inject[Later]"`` is injected."""
    try:
        hints = typing.get_type_hints(func, localns=dict(localns), include_extras=True)
    except NameError:
        hints = None
    found: list[str] = []
    annotations = getattr(func, "__annotations__", {})
    for name in signature.parameters:
        if hints is not None:
            if is_inject(hints.get(name)):
                found.append(name)
            continue
        annotation = annotations.get(name)
        if isinstance(annotation, str):
            head = _HEAD.match(annotation)
            if head is None:
                continue
            annotation = _lookup_dotted(head.group(1), func, localns)
            if annotation is Inject:
                found.append(name)
        elif is_inject(annotation):
            found.append(name)
    return found, hints


def _lookup_dotted(dotted: str, func: Callable[..., Any], localns: Mapping[str, Any]) -> Any:
    first, *rest = dotted.split(".")
    namespaces: list[Mapping[str, Any]] = [localns, getattr(func, "__globals__", {})]
    value: Any = None
    for namespace in namespaces:
        if first in namespace:
            value = namespace[first]
            break
    else:
        return None
    for part in rest:
        value = getattr(value, part, None)
    return value


def _check_source(source: object) -> None:
    from dioxide._container import Container
    from dioxide._scope import ContainerScope

    if not isinstance(source, (Container, ContainerScope)):
        raise DioxideTypeError(
            f"inject() takes a Container or a ContainerScope, got {source!r}",
            hint="decorate with @inject(container); "
            "for a function to call in a scope you have, inject(scope)(function)",
        )


class Decorator(Protocol):
    """What ``inject(...)`` returns: it wraps a function, keeping its type
    (``dioxide.mypy_plugin`` makes the ``Inject[T]`` parameters optional)."""

    def __call__(self, func: F, /) -> F: ...


def inject(source: Source, *, scope: Optional[bool] = None) -> Decorator:
    """Decorate a function (sync or async, a method too) so each call
    resolves its ``Inject[T]`` parameters; the others are passed through::

        @inject(container)
        def export(path: str, repo: Inject[Repository]) -> None:
            repo.save(path)

        export("out.csv")                  # repo is resolved

    Where the values come from:

    - ``inject(container)``: each call opens a scope
      (``container.create_scope()``), resolves in it, and closes it when the
      call returns or raises (``aclose`` for async functions), so scoped
      providers get one instance per call and are finalized after it.
    - ``inject(container, scope=False)``: resolve from the container
      directly (singletons and transients; a scoped provider is refused).
    - ``inject(a_scope)``: resolve in a scope you opened, which stays open;
      e.g. call a decorated function inside a request you already have:
      ``inject(request)(export)("out.csv")`` (wrapping a decorated function
      wraps its original). ``scope=True`` opens a nested scope per call.

    A caller may still pass an injected parameter by keyword
    (``export("out.csv", repo=FakeRepository())``): the given value wins
    and is not resolved. Positional arguments fill the other parameters
    only. The wrapper keeps ``__name__``, ``__doc__`` and ``__wrapped__``;
    ``inspect.signature`` shows it without the injected parameters.

    Generator functions keep their scope open until they finish; an async
    generator is iterated for you (its values are passed on, ``asend`` and
    ``athrow`` are not). ``@inject`` goes above or below ``@staticmethod``
    and ``@classmethod``.

    The injected values of a call are gathered by one resolve: at the first
    call, a provider named after the function (its dependencies are the
    injected parameters) is registered in the container, so it shows in
    ``graph()`` and ``validate()`` checks it from then on.
    """
    _check_source(source)
    if scope is not None and not isinstance(scope, bool):
        raise DioxideTypeError(
            f"inject(scope=...) takes True or False, got {scope!r}",
            hint="scope=False resolves from the container without opening a scope",
        )
    frame = caller_frame(1)

    def decorate(func: F) -> F:
        wrapped: F = _wrap(func, source, scope, frame)
        return wrapped

    return decorate


def _opens_scope(source: Any, scope: Optional[bool]) -> bool:
    from dioxide._container import Container

    return isinstance(source, Container) if scope is None else scope


def _wrap(func: Any, source: Any, scope: Optional[bool], frame: Optional[FrameType]) -> Any:
    if isinstance(func, (staticmethod, classmethod)):
        return type(func)(_wrap(func.__func__, source, scope, frame))
    original = getattr(func, _INFO, None)
    if original is not None:
        # Wrapping a decorated function again: start from what it wraps.
        info: _Function = original
    elif isinstance(func, types.FunctionType):
        # One per function, kept on it: wrapping it again (``inject(scope)(f)``
        # per request) reuses what was read and registered, and nothing
        # outlives the function.
        info = func.__dict__.setdefault(_INFO, _Function(func, frame))
    elif callable(func):
        info = _Function(func, frame)
    else:
        raise DioxideTypeError(
            f"@inject decorates a function, got {func!r}",
            hint="put @inject(container) on a def or async def",
        )
    opens = _opens_scope(source, scope)
    target = info.func
    names = frozenset(info.names)

    def arguments(args: tuple[Any, ...], kwargs: dict[str, Any]) -> tuple[tuple[Any, ...], frozenset[str]]:
        for name in names:
            if kwargs.get(name, None) is INJECTED:
                del kwargs[name]
        if info.by_name is not None:
            if len(args) > len(info.by_name):
                raise TypeError(
                    f"{describe(target)}() takes {len(info.by_name)} positional "
                    f"arguments but {len(args)} were given"
                )
            for name, value in zip(info.by_name, args):
                if name in kwargs:
                    raise TypeError(f"{describe(target)}() got multiple values for argument '{name}'")
                kwargs[name] = value
            args = ()
        return args, names.difference(kwargs)

    from dioxide._container import Container

    # The container that holds the argument-gathering provider.
    container = source if isinstance(source, Container) else source._container
    # The provider for the common call (every injected parameter left out),
    # once known: what most calls need, without a lookup.
    every: list[Any] = []

    def collector_for(wanted: frozenset[str]) -> Any:
        if wanted == names:
            if not every:
                every.append(info.collector(container, wanted))
            return every[0]
        return info.collector(container, wanted)

    if inspect.iscoroutinefunction(target):

        @functools.wraps(target)
        async def call_async(*args: Any, **kwargs: Any) -> Any:
            args, wanted = arguments(args, kwargs)
            if not wanted:
                return await target(*args, **kwargs)
            collector = collector_for(wanted)
            if opens:
                async with source.create_scope() as opened:
                    kwargs.update(await opened.aresolve(collector))
                    return await target(*args, **kwargs)
            kwargs.update(await source.aresolve(collector))
            return await target(*args, **kwargs)

        wrapper: Any = call_async
    elif inspect.isasyncgenfunction(target):

        @functools.wraps(target)
        async def iterate_async(*args: Any, **kwargs: Any) -> Any:
            args, wanted = arguments(args, kwargs)
            collector = collector_for(wanted) if wanted else None
            if opens and collector is not None:
                async with source.create_scope() as opened:
                    kwargs.update(await opened.aresolve(collector))
                    async for item in target(*args, **kwargs):
                        yield item
                return
            if collector is not None:
                kwargs.update(await source.aresolve(collector))
            async for item in target(*args, **kwargs):
                yield item

        wrapper = iterate_async
    elif inspect.isgeneratorfunction(target):

        @functools.wraps(target)
        def iterate(*args: Any, **kwargs: Any) -> Any:
            args, wanted = arguments(args, kwargs)
            collector = collector_for(wanted) if wanted else None
            if opens and collector is not None:
                with source.create_scope() as opened:
                    kwargs.update(opened.resolve(collector))
                    return (yield from target(*args, **kwargs))
            if collector is not None:
                kwargs.update(source.resolve(collector))
            return (yield from target(*args, **kwargs))

        wrapper = iterate
    else:

        @functools.wraps(target)
        def call(*args: Any, **kwargs: Any) -> Any:
            args, wanted = arguments(args, kwargs)
            if not wanted:
                return target(*args, **kwargs)
            collector = collector_for(wanted)
            if opens:
                with source.create_scope() as opened:
                    kwargs.update(opened.resolve(collector))
                    return target(*args, **kwargs)
            kwargs.update(source.resolve(collector))
            return target(*args, **kwargs)

        wrapper = call
    wrapper.__signature__ = info.signature
    setattr(wrapper, _INFO, info)
    return wrapper
