"""Reading what a provider needs from its signature and type hints."""

from __future__ import annotations

import builtins
import collections.abc
import enum
import functools
import re
import sys
import threading
import types
import typing
from keyword import kwlist
from collections.abc import Mapping
from typing import (
    TYPE_CHECKING,
    Annotated,
    Any,
    Callable,
    NamedTuple,
    Optional,
    Union,
    get_args,
    get_origin,
)

if TYPE_CHECKING:
    import inspect
else:
    from dioxide._lazy import inspect

from dioxide._markers import Named, Value
from dioxide.exceptions import DioxideTypeError
from dioxide.exceptions import _describe as describe

__all__ = [
    "EMPTY_LIST",
    "KEEP_DEFAULT",
    "PASS_NONE",
    "REQUIRED",
    "Dependency",
    "canonical",
    "collection_item",
    "has_type_params",
    "not_injectable",
    "parametrised_generic",
    "substitute",
    "UnresolvedReference",
    "callable_dependencies",
    "class_dependencies",
    "describe",
]

class Fallback(enum.IntEnum):
    """How a parameter is filled when its type has no provider (the Rust
    domain's ``Fallback``)."""

    REQUIRED = 0
    KEEP_DEFAULT = 1
    PASS_NONE = 2
    EMPTY_LIST = 3


REQUIRED, KEEP_DEFAULT, PASS_NONE, EMPTY_LIST = (
    Fallback.REQUIRED,
    Fallback.KEEP_DEFAULT,
    Fallback.PASS_NONE,
    Fallback.EMPTY_LIST,
)


class Dependency(NamedTuple):
    """One injected parameter, as the Rust core reads it (by field name)."""

    param: str
    #: The annotated type (for a ``Value``, ``object``).
    annotation: Any
    fallback: Fallback
    #: "type", "named" (``annotation`` qualified by ``name``), "value" (the
    #: configuration value ``name``), "list" (every implementation) or
    #: "lazy" (a ``Lazy`` handle for ``annotation``, qualified by ``name``)
    #: or "factory" (a ``Factory`` of ``annotation``).
    flavor: str
    name: Optional[str]
    #: May be passed by position (every parameter before it is injected
    #: too), which makes the call cheaper.
    positional: bool


_Found = tuple[str, Any, Fallback, str, Optional[str]]

#: Annotations that ask for every implementation of their item type.
_COLLECTIONS: frozenset[Any] = frozenset(
    {list, collections.abc.Sequence, collections.abc.Iterable, collections.abc.Collection}
)

#: Builtins that are configuration values, never components: a parameter of
#: one of these types is never filled by type alone.
_PRIMITIVES: frozenset[type] = frozenset(
    {str, int, float, bool, bytes, bytearray, complex, object, type}
)

_UNION_TYPES: tuple[Any, ...] = (Union,) + (
    (types.UnionType,) if hasattr(types, "UnionType") else ()
)
_NAME_IN_ERROR = re.compile(r"name '([^']+)' is not defined")


class UnresolvedReference(Exception):
    """A constructor annotation names something not defined (yet)."""

    def __init__(self, name: str) -> None:
        super().__init__(name)
        self.name = name


#: The ``__init__`` that ``typing.Protocol`` gives a class implementing a
#: protocol without one; its first call swaps in the next real ``__init__``
#: of the MRO. ``typing_extensions``' stand-in (``_no_init``, before Python
#: 3.12) never does: it takes anything and does nothing, like
#: ``object.__init__``. Private names, hence looked up with a default; the
#: latter only once ``typing_extensions`` is imported (by the program: a
#: class cannot have its ``Protocol`` otherwise), so dioxide does not import
#: it (nor the ``inspect`` it imports) at start-up.
_PROTOCOL_INIT: Any = getattr(typing, "_no_init_or_replace_init", None)


def _protocol_no_init() -> Any:
    extensions = sys.modules.get("typing_extensions")
    return getattr(extensions, "_no_init", None) if extensions is not None else None


def _own_init(cls: type) -> Optional[Callable[..., Any]]:
    """The ``__init__`` that builds ``cls``, or None when it is ``object``'s
    (or a pydantic-settings ``BaseSettings``', which loads its fields itself:
    the class is built with no arguments)."""
    if _is_settings_class(cls):
        return None
    init = getattr(cls, "__init__", None)
    if init is _PROTOCOL_INIT and init is not None:
        init = next(
            (
                base.__dict__["__init__"]
                for base in cls.__mro__
                if "__init__" in base.__dict__ and base.__dict__["__init__"] is not _PROTOCOL_INIT
            ),
            None,
        )
    if init is None or init is object.__init__ or init is _protocol_no_init():
        return None
    if not (inspect.isfunction(init) or inspect.ismethod(init)):
        # A C-level __init__ (e.g. a builtin base class) has no hints to read.
        return None
    found: Callable[..., Any] = init
    return found


def _is_settings_class(cls: type) -> bool:
    return any(
        base.__name__ == "BaseSettings" and base.__module__.startswith("pydantic_settings")
        for base in getattr(cls, "__mro__", ())[1:]
    )


def class_dependencies(
    cls: type,
    localns: Optional[Mapping[str, Any]] = None,
    args: tuple[Any, ...] = (),
    *,
    bound: Optional[Mapping[str, Any]] = None,
) -> list[Dependency]:
    """The dependencies of ``cls.__init__`` (of ``cls[args]`` for a generic
    class: its type parameters replaced by ``args``). A class with a
    ``__signature__`` (pydantic models) is read from that. A parameter
    annotated ``type[T]`` gets the argument for ``T``: a dependency of
    flavor "const" (see ``dioxide._registry.make_entry``). Parameters in
    ``bound`` are given at registration (see :func:`bind_arguments`)."""
    if bound:
        init = _own_init(cls)
        if init is None:
            _check_bound(bound, [], describe(cls))
            return []
        return _dependencies(init, cls, localns, skip_first=True, bound=bound)
    signature = getattr(cls, "__signature__", None)
    if signature is not None and isinstance(signature, inspect.Signature):
        return _signature_dependencies(cls, signature, localns)
    init = _own_init(cls)
    if init is None:
        if bound:
            _check_bound(bound, [], describe(cls))
        return []
    if args or getattr(cls, "__orig_bases__", None) is not None:
        mapping, owner = _init_mapping(cls, init, args)
        if mapping:
            return _substituted_dependencies(init, cls, owner, localns, mapping)
    return _dependencies(init, cls, localns, skip_first=True)


def callable_dependencies(
    func: Callable[..., Any],
    localns: Optional[Mapping[str, Any]] = None,
    *,
    bound: Optional[Mapping[str, Any]] = None,
) -> list[Dependency]:
    """The dependencies of a factory function's parameters (a
    ``functools.partial``: those it does not bind already)."""
    if isinstance(func, functools.partial) and not bound:
        return _partial_dependencies(func, localns)
    return _dependencies(func, func, localns, skip_first=False, bound=bound)


def _check_bound(bound: Mapping[str, Any], names: list[str], where: str) -> None:
    unknown = [name for name in bound if name not in names]
    if unknown:
        raise DioxideTypeError(
            f"args= names {', '.join(map(repr, unknown))}, which {where} does not take",
            hint="give values for parameters of the constructor or factory, by their names"
            + (f": {', '.join(names)}" if names else ""),
        )


def check_args(args: object, where: str) -> Optional[Mapping[str, Any]]:
    """``args=`` as given, checked to map parameter names to values."""
    if args is None:
        return None
    if not isinstance(args, Mapping) or not all(isinstance(k, str) for k in args):
        raise DioxideTypeError(
            f"{where}: args= takes a mapping of parameter names to values, got {args!r}",
            hint='e.g. args={"timeout": 5.0, "url": Value("db.url")}',
        )
    return args


def bind_arguments(target: Any, bound: Optional[Mapping[str, Any]]) -> Any:
    """What to call for a provider with arguments given at registration:
    ``target`` with the plain values bound (``Value`` keys stay
    dependencies, injected like any other)."""
    if not bound:
        return target
    fixed = {name: value for name, value in bound.items() if not isinstance(value, Value)}
    if not fixed:
        return target
    return functools.partial(target, **fixed)


def _init_mapping(
    cls: type, init: Callable[..., Any], args: tuple[Any, ...]
) -> tuple[dict[Any, Any], type]:
    """What the type parameters of the class defining ``init`` stand for in
    ``cls[args]`` (or in ``cls``, a subclass of a parametrised generic)."""
    from dioxide._generics import class_mappings

    owner = next((c for c in cls.__mro__ if c.__dict__.get("__init__") is init), cls)
    mapping = class_mappings(cls, args).get(owner, {})
    return {k: v for k, v in mapping.items() if not has_type_params(v)}, owner


def _substituted_dependencies(
    init: Callable[..., Any],
    cls: type,
    owner: type,
    localns: Optional[Mapping[str, Any]],
    mapping: Mapping[Any, Any],
) -> list[Dependency]:
    """The dependencies of a generic ``__init__`` with its type parameters
    replaced; ``type[T]`` parameters become constants."""
    names: dict[str, Any] = dict(localns) if localns is not None else {}
    # PEP 695 type parameters are in no namespace: string annotations
    # (``from __future__ import annotations``) need them by name.
    for param in owner.__dict__.get("__type_params__", ()):
        names.setdefault(param.__name__, param)
    hints = _evaluated_hints(init, names)
    where = f"{describe(cls)}.__init__"
    try:
        parameters = _parameters(init)[1:]
    except (TypeError, ValueError) as error:
        raise _unreadable_signature(where, error) from error
    found: list[Dependency] = []
    for parameter in parameters:
        raw = hints.get(parameter.name)
        if raw is not None and has_type_params(raw):
            hint = substitute(raw, mapping)
            if get_origin(hint) in (type, typing.Type) and not has_type_params(hint):
                found.append(
                    Dependency(parameter.name, get_args(hint)[0], KEEP_DEFAULT, "const", None, False)
                )
                continue
            local = {parameter.name: hint}
        else:
            local = hints
        dependency = _parameter_dependency(parameter, local, where)
        if dependency is not None:
            found.append(Dependency(*dependency, False))
    return found


def _unreadable_signature(where: str, error: Exception) -> DioxideTypeError:
    """The error for a callable whose signature ``inspect`` cannot read."""
    return DioxideTypeError(
        f"cannot read the signature of {where}: {error}",
        hint="register a plain Python class or function",
    )


def _signature_dependencies(
    cls: type, signature: Any, localns: Optional[Mapping[str, Any]]
) -> list[Dependency]:
    """The dependencies of a class that states its signature
    (``__signature__``, as pydantic models do): its ``**kwargs`` and
    ``*args`` need nothing, the rest is injected like ``__init__``'s."""
    where = describe(cls)
    module = sys.modules.get(cls.__module__)
    namespace = vars(module) if module is not None else {}
    found: list[Dependency] = []
    for p in signature.parameters.values():
        if p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD):
            continue
        parameter = _Parameter(p.name, p.kind.name.lower(), p.default is not p.empty)
        hints: dict[str, Any] = {}
        if p.annotation is not p.empty:
            # Each on its own: a base class's parameters (pydantic-settings'
            # ``_env_file``...) may name things only its own module knows;
            # with a default, such a parameter is simply left to it.
            shim = types.FunctionType(_shim.__code__, namespace)
            shim.__annotations__ = {p.name: p.annotation}
            try:
                hints = _evaluated_hints(shim, localns)
            except UnresolvedReference:
                if parameter.has_default:
                    continue
                raise
        dependency = _parameter_dependency(parameter, hints, where)
        if dependency is not None:
            found.append(Dependency(*dependency, False))
    return found


def _partial_dependencies(
    func: functools.partial[Any], localns: Optional[Mapping[str, Any]]
) -> list[Dependency]:
    """The parameters a ``functools.partial`` leaves open, injected; those
    it binds keep their values."""
    where = describe(func.func)
    hints = resolve_hints(func.func, localns) if _has_hints(func.func) else {}
    try:
        signature = inspect.signature(func)
    except (TypeError, ValueError) as error:
        raise _unreadable_signature(where, error) from error
    found: list[Dependency] = []
    for p in signature.parameters.values():
        if p.name in func.keywords:
            continue
        parameter = _Parameter(p.name, p.kind.name.lower(), p.default is not p.empty)
        dependency = _parameter_dependency(parameter, hints, where)
        if dependency is not None:
            found.append(Dependency(*dependency, False))
    return found


def _has_hints(func: Any) -> bool:
    return isinstance(getattr(func, "__annotations__", None), dict)


def _shim() -> None: ...


def resolve_hints(
    func: Callable[..., Any], localns: Optional[Mapping[str, Any]]
) -> dict[str, Any]:
    """``typing.get_type_hints`` that reports undefined names as data
    (by direct lookups when every annotation is a class or names one)."""
    if _FAST_HINTS and type(func) is types.FunctionType:
        hints = _plain_hints(func, localns)
        if hints is not None:
            return hints
    return _evaluated_hints(func, localns)


def _evaluated_hints(
    func: Callable[..., Any], localns: Optional[Mapping[str, Any]]
) -> dict[str, Any]:
    """``typing.get_type_hints`` that reports undefined names as data."""
    try:
        # A Mapping is passed as is: it is only read if an annotation is a
        # string or forward reference (see _registry.FrameNamespace).
        return typing.get_type_hints(func, localns=localns, include_extras=True)
    except NameError as error:
        name = getattr(error, "name", None)
        if not name:
            found = _NAME_IN_ERROR.search(str(error))
            name = found.group(1) if found else str(error)
        raise UnresolvedReference(name) from error


#: Whether :func:`_plain_hints` may stand in for ``typing.get_type_hints``:
#: it mirrors the ``typing`` of Python 3.11 to 3.13. (From 3.14 annotations
#: are evaluated lazily, through ``annotationlib``.)
_FAST_HINTS = sys.version_info < (3, 14)
_NONE_TYPE = type(None)
_MISSING: Any = object()


def _plain_hints(
    func: types.FunctionType, localns: Optional[Mapping[str, Any]]
) -> Optional[dict[str, Any]]:
    """The type hints of ``func`` when every annotation is a class, ``None``,
    or a string naming a class (``"Name"`` or ``"module.Name"``); None when
    any is something else, for ``typing.get_type_hints`` to evaluate.

    A name is looked up as ``eval`` (which ``get_type_hints`` calls) would:
    in ``localns`` (the function's globals when None), then its globals,
    then the builtins. These annotations are what nearly every constructor
    has, and the lookups cost a fraction of ``get_type_hints`` (which
    compiles and ``eval``-s each string). A plain name found nowhere is
    reported as ``get_type_hints`` would: it raises ``UnresolvedReference``
    with that name (the annotations before it all evaluated, so it is the
    first error ``get_type_hints`` meets too)."""
    if func.__dict__ or getattr(func, "__type_params__", None):
        # ``__wrapped__`` (another function's globals), ``__no_type_check__``,
        # or type parameters (names that are in no namespace): the slow way.
        return None
    annotations = func.__annotations__
    globalns = func.__globals__
    hints: dict[str, Any] = {}
    for key, value in annotations.items():
        if type(value) is str:
            value = _lookup(value, globalns, localns)
            if value is _MISSING:
                return None
        elif value is None:
            value = _NONE_TYPE
        elif not _is_plain_class(value):
            return None
        hints[key] = value
    return hints


def _is_plain_class(value: Any) -> bool:
    """A class that ``get_type_hints`` returns as it is (``list[int]``
    passes for a class on some versions; ``Generic`` and ``Protocol`` are
    refused as annotations)."""
    return (
        isinstance(value, type)
        and not isinstance(value, types.GenericAlias)
        and value is not typing.Generic
        and value is not typing.Protocol
    )


#: Identifiers that are not names to look up: ``eval`` gives them meaning.
_NOT_NAMES = frozenset(kwlist) | {"__debug__"}


def _lookup(text: str, globalns: dict[str, Any], localns: Optional[Mapping[str, Any]]) -> Any:
    """What the string annotation ``text`` evaluates to, if it is the name
    (or dotted name) of a class; ``_MISSING`` for ``get_type_hints`` to
    work out. A first name found nowhere raises ``UnresolvedReference``."""
    if text.isidentifier() and text.isascii():
        # (eval() normalizes non-ASCII identifiers, NFKC: leave those to it.)
        if text in _NOT_NAMES:
            return _NONE_TYPE if text == "None" else _MISSING
        first, rest = text, None
    else:
        first, dot, tail = text.partition(".")
        if not dot or not text.isascii():
            return _MISSING
        rest = tail.split(".")
        if not all(p.isidentifier() and p not in _NOT_NAMES for p in (first, *rest)):
            return _MISSING
    value: Any = _MISSING
    if localns is not None:
        if type(localns) is dict:
            value = localns.get(first, _MISSING)
        else:
            try:
                value = localns[first]
            except KeyError:
                pass
    if value is _MISSING:
        value = dict.get(globalns, first, _MISSING)
        if value is _MISSING:
            value = _builtin(globalns, first)
            if value is _MISSING:
                raise UnresolvedReference(first)
    if rest is not None:
        for part in rest:
            try:
                value = getattr(value, part)
            except Exception:
                # eval() raises it again, or it was a one-off: its call.
                return _MISSING
    return value if _is_plain_class(value) else _MISSING


def _builtin(globalns: dict[str, Any], name: str) -> Any:
    """``name`` from the builtins ``eval`` would use with ``globalns``."""
    found = dict.get(globalns, "__builtins__", builtins)
    if isinstance(found, types.ModuleType):
        found = found.__dict__
    if not isinstance(found, dict):
        return _MISSING
    return dict.get(found, name, _MISSING)


def _dependencies(
    func: Callable[..., Any],
    owner: Any,
    localns: Optional[Mapping[str, Any]],
    *,
    skip_first: bool,
    bound: Optional[Mapping[str, Any]] = None,
) -> list[Dependency]:
    """The dependencies of ``func``: ``owner.__init__`` with ``skip_first``
    (``owner`` names it in messages), else the factory ``owner``."""
    hints: Optional[Mapping[str, Any]] = None
    if bound:
        where = f"{describe(owner)}.__init__" if skip_first else describe(owner)
        return _read_dependencies(func, where, hints, skip_first, localns, bound)
    if type(func) is types.FunctionType and not func.__dict__:
        hints = resolve_hints(func, localns)
        plain = _plain_dependencies(func, hints, skip_first)
        if plain is not None:
            return plain
    where = f"{describe(owner)}.__init__" if skip_first else describe(owner)
    return _read_dependencies(func, where, hints, skip_first, localns)


def _plain_dependencies(
    func: types.FunctionType, hints: Mapping[str, Any], skip_first: bool
) -> Optional[list[Dependency]]:
    """The dependencies of a plain function whose parameters (no ``*args``,
    ``**kwargs`` or ``/``) are all annotated with classes to inject by type,
    read straight from its code object; None when any is something else.
    What :func:`_read_dependencies` would make of them, several times
    faster: this is what nearly every constructor looks like."""
    code = func.__code__
    if code.co_flags & (_CO_VARARGS | _CO_VARKEYWORDS) or code.co_posonlyargcount:
        return None
    names = code.co_varnames
    positional = code.co_argcount
    first_default = positional - len(func.__defaults__ or ())
    keyword_defaults = func.__kwdefaults__ or {}
    found: list[Dependency] = []
    for index in range(1 if skip_first else 0, positional + code.co_kwonlyargcount):
        name = names[index]
        annotation = hints.get(name)
        if (
            not isinstance(annotation, type)
            or annotation in _PRIMITIVES
            or isinstance(annotation, types.GenericAlias)
        ):
            return None
        if index < positional:
            has_default = index >= first_default
        else:
            has_default = name in keyword_defaults
        found.append(
            Dependency(
                name,
                annotation,
                KEEP_DEFAULT if has_default else REQUIRED,
                "type",
                None,
                index < positional,
            )
        )
    return found


def _read_dependencies(
    func: Callable[..., Any],
    where: str,
    hints: Optional[Mapping[str, Any]],
    skip_first: bool,
    localns: Optional[Mapping[str, Any]] = None,
    bound: Optional[Mapping[str, Any]] = None,
) -> list[Dependency]:
    """The dependencies of any callable, each parameter checked (``hints``
    are read when not given); parameters in ``bound`` are given at
    registration: a ``Value`` is a dependency on that value, anything else
    is passed as is (not a dependency)."""
    try:
        parameters = _parameters(func)
    except (TypeError, ValueError) as error:
        raise _unreadable_signature(where, error) from error
    if hints is None:
        hints = resolve_hints(func, localns)
    if skip_first:
        parameters = parameters[1:]
    if bound:
        _check_bound(bound, [p.name for p in parameters], where)
    found: list[Dependency] = []
    unbroken = True
    for parameter in parameters:
        if bound and parameter.name in bound:
            given = bound[parameter.name]
            if not isinstance(given, Value):
                unbroken = False
                continue
            annotation = hints.get(parameter.name, object)
            if get_origin(annotation) is Annotated:
                annotation = get_args(annotation)[0]
            dependency: Optional[_Found] = _value_dependency(
                parameter.name, annotation, given, parameter.has_default, False
            )
        else:
            dependency = _parameter_dependency(parameter, hints, where)
        if dependency is None:
            unbroken = False
            continue
        unbroken = unbroken and parameter.kind == "positional_or_keyword"
        found.append(Dependency(*dependency, unbroken))
    return found


class _Parameter(NamedTuple):
    """What dioxide needs of a parameter (``inspect.Parameter`` in brief)."""

    name: str
    #: ``inspect.Parameter.kind`` in lower case: "positional_only",
    #: "positional_or_keyword", "var_positional", "keyword_only", "var_keyword".
    kind: str
    has_default: bool


_CO_VARARGS, _CO_VARKEYWORDS = 0x04, 0x08


def _parameters(func: Callable[..., Any]) -> list[_Parameter]:
    """The parameters of ``func`` in signature order. Plain functions are
    read from their code object, which is several times cheaper than
    ``inspect.signature`` (it dominated start-up, S7 in benchmarks/);
    anything else (wrapped functions, methods, callables) goes through
    ``inspect.signature``."""
    if (
        type(func) is not types.FunctionType
        or hasattr(func, "__wrapped__")
        or hasattr(func, "__signature__")
    ):
        return [
            _Parameter(p.name, p.kind.name.lower(), p.default is not p.empty)
            for p in inspect.signature(func).parameters.values()
        ]
    code = func.__code__
    names = code.co_varnames
    positional, keyword_only = code.co_argcount, code.co_kwonlyargcount
    first_default = positional - len(func.__defaults__ or ())
    keyword_defaults = func.__kwdefaults__ or {}
    found = [
        _Parameter(
            names[i],
            "positional_only" if i < code.co_posonlyargcount else "positional_or_keyword",
            i >= first_default,
        )
        for i in range(positional)
    ]
    extra = positional + keyword_only
    if code.co_flags & _CO_VARARGS:
        found.append(_Parameter(names[extra], "var_positional", False))
        extra += 1
    found.extend(
        _Parameter(name, "keyword_only", name in keyword_defaults)
        for name in names[positional : positional + keyword_only]
    )
    if code.co_flags & _CO_VARKEYWORDS:
        found.append(_Parameter(names[extra], "var_keyword", False))
    return found


def _parameter_dependency(
    parameter: _Parameter, hints: Mapping[str, Any], where: str
) -> Optional[_Found]:
    name = parameter.name
    has_default = parameter.has_default
    if parameter.kind in ("var_positional", "var_keyword"):
        star = "*" if parameter.kind == "var_positional" else "**"
        raise DioxideTypeError(
            f"{where} takes {star}{name}; dioxide cannot tell what to inject there",
            hint="list each dependency as a typed parameter, "
            "or build the object in a factory with register_factory()",
        )
    if parameter.kind == "positional_only" and not has_default:
        raise DioxideTypeError(
            f"parameter '{name}' of {where} is positional-only; dioxide injects by name",
            hint="drop the '/' from the signature, or build the object in a factory",
        )
    if parameter.kind == "positional_only":
        return None
    if name not in hints:
        if has_default:
            return None
        raise DioxideTypeError(
            f"parameter '{name}' of {where} has no type annotation",
            hint=f"annotate it ('{name}: SomeClass') so dioxide knows what to inject, "
            "or give it a default value",
        )
    annotation = hints[name]
    if type(annotation).__name__ == "InitVar" and type(annotation).__module__ == "dataclasses":
        # A dataclass ``InitVar[Dep]`` field: an ``__init__`` parameter.
        annotation = annotation.type
    if (
        isinstance(annotation, type)
        and annotation not in _PRIMITIVES
        and not isinstance(annotation, types.GenericAlias)
    ):
        # The common case, a plain class: none of the markers, unions or
        # collections below can apply.
        return (name, annotation, KEEP_DEFAULT if has_default else REQUIRED, "type", None)
    deferred = _lazy_target(annotation)
    if deferred is not None:
        return (name, deferred[0], KEEP_DEFAULT if has_default else REQUIRED, "lazy", deferred[1])
    built = _factory_target(annotation)
    if built is not None:
        return (name, built, REQUIRED, "factory", None)
    marker = _marker(annotation)
    if isinstance(marker, Value):
        return _value_dependency(
            name, _value_type(annotation), marker, has_default, _injectable(annotation)[1]
        )
    item = collection_item(annotation)
    if item is not None:
        return (name, item, KEEP_DEFAULT if has_default else EMPTY_LIST, "list", None)
    target, optional = _injectable(annotation)
    if target is None:
        if has_default or optional:
            return None
        raise not_injectable(annotation, f"parameter '{name}' of {where}")
    if has_default:
        fallback = KEEP_DEFAULT
    elif optional:
        fallback = PASS_NONE
    else:
        fallback = REQUIRED
    if isinstance(marker, Named):
        return (name, target, fallback, "named", marker.name)
    return (name, target, fallback, "type", None)


def _lazy_target(annotation: Any) -> Optional[tuple[type, Optional[str]]]:
    """``(T, name or None)`` for ``Lazy[T]`` / ``Lazy[Annotated[T, Named(name)]]``
    (also inside ``Annotated``), else None."""
    from dioxide._deferred import Lazy

    if get_origin(annotation) is Annotated:
        annotation = get_args(annotation)[0]
    if get_origin(annotation) is not Lazy:
        return None
    (inner,) = get_args(annotation)
    marker = _marker(inner)
    target, _ = _injectable(inner)
    if target is None or isinstance(marker, Value):
        raise DioxideTypeError(
            f"Lazy[...] takes a class, got Lazy[{_show(inner)}]",
            hint="defer a component: Lazy[SomeClass] or "
            "Lazy[Annotated[SomeInterface, Named('name')]]",
        )
    return target, marker.name if isinstance(marker, Named) else None


def _factory_target(annotation: Any) -> Optional[type]:
    """``T`` for ``Factory[T]`` (also inside ``Annotated``), else None."""
    from dioxide._factory import Factory

    if get_origin(annotation) is Annotated:
        annotation = get_args(annotation)[0]
    if get_origin(annotation) is not Factory:
        return None
    (built,) = get_args(annotation)
    if not isinstance(built, type) or get_origin(built) is not None or built in _PRIMITIVES:
        raise DioxideTypeError(
            f"Factory[...] takes a class, got Factory[{_show(built)}]",
            hint="e.g. Factory[MovieLister]",
        )
    return built


def _value_dependency(
    name: str, target: Any, marker: Value, has_default: bool, optional: bool
) -> _Found:
    """A parameter filled with the value ``marker.name``, converted to
    ``target`` (once per container, by a conversion node of its own)."""
    if has_default:
        fallback = KEEP_DEFAULT
    else:
        fallback = PASS_NONE if optional else REQUIRED
    if target is object or target is Any:
        return (name, object, fallback, "value", marker.name)
    from dioxide._convert import conversion_for

    return (name, conversion_for(marker.name, target), fallback, "converted", marker.name)


def _value_type(annotation: Any) -> Any:
    """``int`` for ``Annotated[int, Value(...)]`` (also inside ``Optional``)."""
    if get_origin(annotation) in _UNION_TYPES:
        members = [a for a in get_args(annotation) if a is not _NONE_TYPE]
        if len(members) == 1 and get_origin(members[0]) is Annotated:
            annotation = members[0]
    if get_origin(annotation) is Annotated:
        annotation = get_args(annotation)[0]
    return annotation


def value_request(annotation: Any) -> Optional[tuple[str, Any]]:
    """``("db.url", str)`` for ``Annotated[str, Value("db.url")]``; None for
    an annotation that asks for no value."""
    marker = _marker(annotation)
    if not isinstance(marker, Value):
        return None
    return marker.name, _value_type(annotation)


def _marker(annotation: Any) -> Optional[Union[Named, Value]]:
    """The ``Named``/``Value`` marker of an ``Annotated`` annotation."""
    if get_origin(annotation) in _UNION_TYPES:
        members = [a for a in get_args(annotation) if a is not type(None)]
        if len(members) == 1:
            annotation = members[0]
    if get_origin(annotation) is not Annotated:
        return None
    for extra in get_args(annotation)[1:]:
        if isinstance(extra, (Named, Value)):
            return extra
    return None


def collection_item(annotation: Any) -> Optional[Any]:
    """``Plugin`` for ``list[Plugin]`` / ``Sequence[Plugin]`` (the canonical
    key for ``list[Handler[User]]``), else None."""
    if get_origin(annotation) is Annotated:
        annotation = get_args(annotation)[0]
    if get_origin(annotation) not in _COLLECTIONS:
        return None
    args = get_args(annotation)
    if len(args) != 1:
        return None
    if isinstance(args[0], type) and args[0] not in _PRIMITIVES:
        item: type = args[0]
        return item
    generic = parametrised_generic(args[0])
    return canonical(generic) if generic is not None else None


def _injectable(annotation: Any) -> tuple[Optional[type], bool]:
    """``(class to inject, annotation allows None)`` for one annotation."""
    if get_origin(annotation) is Annotated:
        annotation = get_args(annotation)[0]
    optional = False
    if get_origin(annotation) in _UNION_TYPES:
        members = [a for a in get_args(annotation) if a is not type(None)]
        optional = len(members) < len(get_args(annotation))
        if len(members) != 1:
            return None, optional
        annotation = members[0]
        if get_origin(annotation) is Annotated:
            annotation = get_args(annotation)[0]
    if isinstance(annotation, type) and annotation not in _PRIMITIVES:
        if get_origin(annotation) is None and not isinstance(annotation, types.GenericAlias):
            return annotation, optional
    generic = parametrised_generic(annotation)
    if generic is not None and not has_type_params(generic):
        return canonical(generic), optional
    return None, optional


_LOCK = threading.Lock()
#: Every parametrisation seen, to its canonical alias (kept alive: its
#: address is its key in the Rust core).
_CANONICAL: dict[Any, Any] = {}
#: The canonical aliases by address (the key the Rust core reports).
BY_ID: dict[int, Any] = {}


def canonical(alias: Any) -> Any:
    """The one object that stands for ``alias`` and every alias equal to it
    (``Repository[User]`` written twice may be two objects)."""
    try:
        found = _CANONICAL.get(alias)
    except TypeError as error:
        raise DioxideTypeError(
            f"{alias!r} cannot be a key: its type arguments are not hashable",
            hint="parametrise generics with classes",
        ) from error
    if found is not None:
        return found
    with _LOCK:
        found = _CANONICAL.setdefault(alias, alias)
        BY_ID[id(found)] = found
    return found


def parametrised_generic(annotation: Any) -> Optional[Any]:
    """``annotation`` when it is a generic class of the program with type
    arguments (``Repository[User]``), else None (``list[int]``, unions,
    ``Annotated``, plain classes)."""
    if isinstance(annotation, type) or not hasattr(annotation, "__args__"):
        return None
    origin = get_origin(annotation)
    if (
        not isinstance(origin, type)
        or origin in _UNION_TYPES
        or not origin.__dict__.get("__parameters__")
    ):
        # (``types.UnionType`` is a class with ``__parameters__``: ``A | B``.)
        return None
    return annotation


def has_type_params(annotation: Any) -> bool:
    """Whether ``annotation`` still has free type parameters (``T``,
    ``Serializer[T]``)."""
    if isinstance(annotation, typing.TypeVar):
        return True
    if isinstance(annotation, type):
        return False
    if type(annotation).__name__ == "InitVar":
        return has_type_params(getattr(annotation, "type", None))
    return bool(getattr(annotation, "__parameters__", ()))


def substitute(annotation: Any, mapping: Mapping[Any, Any]) -> Any:
    """``annotation`` with the type parameters in ``mapping`` replaced
    (``Serializer[T]`` with ``{T: User}`` is ``Serializer[User]``)."""
    if isinstance(annotation, typing.TypeVar):
        return mapping.get(annotation, annotation)
    if type(annotation).__name__ == "InitVar" and type(annotation).__module__ == "dataclasses":
        return substitute(annotation.type, mapping)
    params = () if isinstance(annotation, type) else getattr(annotation, "__parameters__", ())
    if not params:
        return annotation
    try:
        return annotation[tuple(mapping.get(p, p) for p in params)]
    except TypeError:
        return annotation


def not_injectable(annotation: Any, where: str) -> DioxideTypeError:
    """Why ``annotation`` (of ``where``: a parameter, or ``resolve()``)
    cannot be injected by type, with a hint that fits it."""
    shown = _show(annotation)
    origin = get_origin(annotation)
    if get_origin(annotation) is Annotated:
        origin = get_origin(get_args(annotation)[0])
    members = [_show(a) for a in get_args(annotation) if a is not type(None)]
    if origin in _UNION_TYPES and len(members) == 1:
        (member,) = members
        hint = (
            f"resolve {member} itself; an optional dependency is a parameter annotated "
            f"Optional[{member}] (or {member} | None), which gets None when nothing "
            f"provides {member}"
        )
    elif origin in _UNION_TYPES:
        hint = (
            f"dioxide cannot choose between {' and '.join(members)}: annotate one class, "
            "or an interface (a Protocol or ABC) they implement, and register the one to "
            "inject with @component(provides=Interface)"
        )
    elif origin is collections.abc.Callable or annotation is typing.Callable:
        hint = (
            "a Callable is not a class dioxide can provide: inject a class or Protocol "
            "with a __call__ method and register an implementation, or build the object "
            "in a factory"
        )
    elif has_type_params(annotation):
        hint = (
            f"{shown} still has type parameters: name the type arguments (e.g. "
            f"{_show(origin)}[User]), or declare the class generic so dioxide "
            "substitutes them"
        )
    elif origin is not None and origin is not Annotated:
        hint = (
            f"{shown} is a parametrised {_show(origin)}, not a class of yours that a "
            "provider could be registered for: wrap it in a class and inject that, give "
            "the parameter a default, or build the object in a factory"
        )
    elif not isinstance(annotation, type) and not isinstance(origin, type):
        hint = (
            f"{shown} is not a class: annotate the class to inject, give the parameter "
            "a default, or build the object in a factory"
        )
    else:
        hint = (
            "values such as str or int are configuration: annotate them "
            "Annotated[str, Value('name')] and call container.register_value(), "
            "give the parameter a default, or build the object in a factory"
        )
    return DioxideTypeError(
        f"{where} is annotated {shown}, which dioxide does not inject by type",
        hint=hint,
    )


def _show(annotation: Any) -> str:
    if isinstance(annotation, type) and get_origin(annotation) is None:
        return annotation.__name__
    # ``typing.Union[app.models.User, ...]`` reads as ``Union[User, ...]``.
    return _QUALIFIERS.sub("", repr(annotation))


_QUALIFIERS = re.compile(r"(?:[A-Za-z_][\w]*(?:\.<locals>)?\.)+(?=[A-Za-z_])")
