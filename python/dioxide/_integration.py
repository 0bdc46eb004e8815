"""What every framework integration shares: the container attached to an app,
per-call framework objects (a request, a task's request, a command's context)
injectable as scoped values, ``Inject[T]`` markers and reading them from a
signature, and closing a scope without blocking an event loop.

None of this imports a framework: each ``dioxide.<framework>`` module brings
its own.
"""

from __future__ import annotations

import functools
import inspect
import typing
from collections.abc import Callable, Mapping
from typing import Any, Optional, TypeVar

from typing_extensions import Annotated, get_args, get_origin

from dioxide._container import Container
from dioxide._inject import _InjectMarker
from dioxide._introspect import describe, value_request
from dioxide._lifecycle import RunSync, aclose_owner
from dioxide._scope import ContainerScope
from dioxide.exceptions import DioxideTypeError, ResolutionError

__all__ = [
    "BlockingPolicy",
    "CurrentObjects",
    "InjectMarker",
    "aclose_scope",
    "aresolve_in",
    "check_container",
    "inject_parameter_names",
    "injected_parameters",
    "missing_container",
    "without_parameters",
    "wrapped_signature",
]

T = TypeVar("T")


def check_container(container: object, call: str) -> Container:
    """``container``, checked to be a :class:`Container`."""
    if not isinstance(container, Container):
        raise DioxideTypeError(
            f"{call} expects a dioxide.Container, got {container!r}",
            hint="pass the container the app resolves from, e.g. Container()",
        )
    return container


def missing_container(what: str, hint: str) -> ResolutionError:
    return ResolutionError(f"{what} has no dioxide container", hint=hint)


class CurrentObjects:
    """The framework's per-call objects (the current request, a task's
    request, a command's context) as context values of the request scope:
    each type is declared with ``container.register_context(T)`` and
    supplied when the integration opens the call's scope
    (``create_scope(context={T: obj})``), so providers can take it and
    ``Inject[T]`` gives it.

    A type the container already provides is left alone: your own provider
    wins (and is not supplied as context).
    """

    def __init__(self, framework: str) -> None:
        self.framework = framework

    @staticmethod
    def register(container: Container, *types: type) -> None:
        """Declare each of ``types`` a context value of ``container``'s
        request scopes (once; not a type it already provides)."""
        declared: Optional[set[type]] = getattr(container, "_dioxide_context", None)
        if declared is None:
            declared = container._dioxide_context = set()
        for type_ in types:
            if type_ in declared or type_ in container:
                continue
            container.register_context(type_)
            declared.add(type_)

    @staticmethod
    def open(container: Container, *objects: object) -> ContainerScope:
        """A scope of ``container`` with ``objects`` as its context values,
        each under every declared type it is an instance of."""
        declared: set[type] = getattr(container, "_dioxide_context", None) or set()
        context = {
            type_: found
            for type_ in declared
            for found in objects
            if isinstance(found, type_)
        }
        return container.create_scope(context=context) if context else container.create_scope()


#: What an integration's ``Inject[T]`` carries: the library-wide marker.
InjectMarker = _InjectMarker


def injected_parameters(
    function: Callable[..., Any], marker: InjectMarker, localns: Mapping[str, Any]
) -> dict[str, Any]:
    """The parameters of ``function`` annotated ``Inject[T]`` (with
    ``marker``), with their ``T``, in signature order."""
    try:
        hints = typing.get_type_hints(function, localns=dict(localns), include_extras=True)
    except NameError as undefined:
        raise DioxideTypeError(
            f"the annotations of {describe(function)} cannot be evaluated: {undefined}",
            hint="define or import every annotated type before the function runs",
        ) from None
    found: dict[str, Any] = {}
    for name in inspect.signature(function).parameters:
        hint = hints.get(name)
        if hint is not None and get_origin(hint) is Annotated:
            inner, *metadata = get_args(hint)
            if any(item is marker for item in metadata):
                # Inject[Annotated[int, Value("key")]] is one flattened Annotated:
                # kept whole, it resolves to the value converted to int.
                found[name] = hint if value_request(hint) is not None else inner
    return found


def inject_parameter_names(
    function: Callable[..., Any], marker: InjectMarker, localns: Mapping[str, Any]
) -> set[str]:
    """The names of ``function``'s ``Inject[T]`` parameters, known when it is
    decorated: from the evaluated annotations, or (when one names a class
    not defined yet) from their text, ``Inject[...]``."""
    try:
        return set(injected_parameters(function, marker, localns))
    except DioxideTypeError:
        pass
    names: set[str] = set()
    for parameter in inspect.signature(function).parameters.values():
        text = parameter.annotation
        if isinstance(text, str) and (text.startswith("Inject[") or ".Inject[" in text):
            names.add(parameter.name)
    return names


def without_parameters(function: Callable[..., Any], names: set[str]) -> inspect.Signature:
    """``function``'s signature without the parameters ``names``."""
    signature = inspect.signature(function)
    return signature.replace(
        parameters=[p for p in signature.parameters.values() if p.name not in names]
    )


def wrapped_signature(wrapper: Callable[..., Any], signature: inspect.Signature) -> None:
    """Give ``wrapper`` ``signature`` (what frameworks read) and drop the
    annotations of the injected parameters (so frameworks that read
    ``__annotations__`` or ``get_type_hints`` do not see them)."""
    setattr(wrapper, "__signature__", signature)  # noqa: B010
    annotations = dict(getattr(wrapper, "__annotations__", {}))
    kept = {n: a for n, a in annotations.items() if n == "return" or n in signature.parameters}
    wrapper.__annotations__ = kept
    if hasattr(wrapper, "__wrapped__"):
        # inspect.signature follows __wrapped__ before __signature__ only
        # when __signature__ is absent; typing.get_type_hints follows it
        # too: hide the original.
        del wrapper.__wrapped__


class BlockingPolicy:
    """Which resolutions run in a worker thread, so that blocking sync work
    does not stall the event loop.

    A type is resolved in a worker thread when what would be built for it
    per request includes a provider registered ``blocking=True`` and no
    async provider; everything else (constructors, factories, a
    generator's setup, async providers) runs inline on the event loop. The
    synchronous finalizers (a generator's code after ``yield``) run in a
    worker thread when the scope closes (:func:`aclose_scope`). The answer
    is computed once per container and type, from its provider graph.
    """

    def offload(self, container: Any, type_: Any) -> bool:
        # A slot of the container (see `Container.__slots__`).
        cache: Optional[dict[Any, bool]] = getattr(container, "_dioxide_offload", None)
        if cache is None:
            cache = {}
            container._dioxide_offload = cache
        answer = cache.get(type_)
        if answer is None:
            answer = cache[type_] = _needs_thread(container, type_)
        return answer


#: Provider kinds built in a worker thread without being marked: none. A
#: generator's setup usually only makes an object (sessions connect lazily);
#: its blocking part (commit, close) is a finalizer, offloaded when the
#: scope closes. Measured in benchmarks/integrations.py: a thread hop costs
#: about 70 µs, such a setup about 2 µs, so setup runs inline unless marked.
_BLOCKING_KINDS: set[str] = set()
_ASYNC_KINDS = {"async_generator", "async_call"}


def _needs_thread(container: Container, type_: Any) -> bool:
    """Whether building ``type_`` in a scope runs a provider marked blocking
    (``blocking=True``) and no async one. Singletons are left out: they are
    built once per container, not per request."""
    marked: set[int] = {id(t) for t in getattr(container, "_blocking_types", ())}
    providers: dict[int, list[Any]] = {}
    for row in container._providers():
        providers.setdefault(row[0][0], []).append(row)
        for exposed, _collection in row[5]:
            providers.setdefault(exposed[0], []).append(row)
    seen: set[int] = set()
    stack = [id(type_)]
    blocking = asynchronous = False
    while stack:
        key = stack.pop()
        if key in seen:
            continue
        seen.add(key)
        for node, lifetime, kind, _name, params, _exposes in providers.get(key, ()):
            if kind in _ASYNC_KINDS:
                asynchronous = True
            if lifetime != "singleton" and (kind in _BLOCKING_KINDS or node[0] in marked):
                blocking = True
            stack.extend(param[1][0] for param in params)
    return blocking and not asynchronous


async def aclose_scope(
    scope: ContainerScope, error: Optional[BaseException], run_sync: RunSync
) -> None:
    """Close ``scope`` like ``await scope.aclose(error)``, with its
    synchronous finalizers (a generator's code after ``yield``: a commit, a
    connection handed back) run through ``run_sync`` (a worker thread)
    instead of on the event loop. A scope with nothing to finalize closes
    at once, without a thread hop."""
    if scope._finalizer_count():
        await aclose_owner(scope, error, run_sync)
    else:
        scope.close(error)  # nothing to run: only its instances are dropped


async def aresolve_in(
    scope: ContainerScope, type_: Any, policy: BlockingPolicy, run_sync: RunSync
) -> Any:
    """``await scope.aresolve(type_)``, or ``scope.resolve(type_)`` in a
    worker thread when the policy says building it blocks."""
    if policy.offload(scope._container, type_):
        return await run_sync(functools.partial(scope.resolve, type_))
    return await scope.aresolve(type_)
