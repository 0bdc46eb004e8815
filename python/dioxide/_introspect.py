"""Reading what a provider needs from its signature and type hints."""

from __future__ import annotations

import collections.abc
import re
import types
import typing
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Callable, NamedTuple, Optional, Union

from typing_extensions import Annotated, get_args, get_origin

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
    "UnresolvedReference",
    "callable_dependencies",
    "class_dependencies",
    "describe",
]

#: How a parameter is filled when its type has no provider (mirrors the
#: Rust domain's ``Fallback``).
REQUIRED, KEEP_DEFAULT, PASS_NONE, EMPTY_LIST = 0, 1, 2, 3

#: ``(parameter name, type, fallback, flavor, name, positional)`` as the
#: Rust core expects it; flavor is "type", "named", "value" or "list";
#: positional says the argument may be passed by position (every parameter
#: before it is injected too), which makes the call cheaper.
Dependency = tuple[str, type, int, str, Optional[str], bool]
_Found = tuple[str, type, int, str, Optional[str]]

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
#: of the MRO. ``typing_extensions``' stand-in (``_no_init``) never does:
#: it takes anything and does nothing, like ``object.__init__``.
_PROTOCOL_INIT = ("typing", "_no_init_or_replace_init")
_PROTOCOL_NO_INIT = ("typing_extensions", "_no_init")


def _init_id(init: Any) -> tuple[str, str]:
    return (getattr(init, "__module__", ""), getattr(init, "__name__", ""))


def _own_init(cls: type) -> Optional[Callable[..., Any]]:
    """The ``__init__`` that builds ``cls``, or None when it is ``object``'s."""
    init = getattr(cls, "__init__", None)
    if init is not None and _init_id(init) == _PROTOCOL_INIT:
        init = next(
            (
                base.__dict__["__init__"]
                for base in cls.__mro__
                if "__init__" in base.__dict__
                and _init_id(base.__dict__["__init__"]) != _PROTOCOL_INIT
            ),
            None,
        )
    if init is None or init is object.__init__ or _init_id(init) == _PROTOCOL_NO_INIT:
        return None
    if not (inspect.isfunction(init) or inspect.ismethod(init)):
        # A C-level __init__ (e.g. a builtin base class) has no hints to read.
        return None
    return typing.cast(Callable[..., Any], init)


def class_dependencies(
    cls: type, localns: Optional[Mapping[str, Any]] = None
) -> list[Dependency]:
    """The dependencies of ``cls.__init__``."""
    init = _own_init(cls)
    if init is None:
        return []
    return _dependencies(init, f"{describe(cls)}.__init__", localns, skip_first=True)


def callable_dependencies(
    func: Callable[..., Any], localns: Optional[Mapping[str, Any]] = None
) -> list[Dependency]:
    """The dependencies of a factory function's parameters."""
    return _dependencies(func, describe(func), localns, skip_first=False)


def resolve_hints(
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


def _dependencies(
    func: Callable[..., Any],
    where: str,
    localns: Optional[Mapping[str, Any]],
    *,
    skip_first: bool,
) -> list[Dependency]:
    try:
        parameters = _parameters(func)
    except (TypeError, ValueError) as error:
        raise DioxideTypeError(
            f"cannot read the signature of {where}: {error}",
            hint="register a plain Python class or function",
        ) from error
    hints = resolve_hints(func, localns)
    if skip_first:
        parameters = parameters[1:]
    found: list[Dependency] = []
    unbroken = True
    for parameter in parameters:
        dependency = _parameter_dependency(parameter, hints, where)
        if dependency is None:
            unbroken = False
            continue
        unbroken = unbroken and parameter.kind == "positional_or_keyword"
        found.append((*dependency, unbroken))
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
    if (
        isinstance(annotation, type)
        and annotation not in _PRIMITIVES
        and not isinstance(annotation, types.GenericAlias)
    ):
        # The common case, a plain class: none of the markers, unions or
        # collections below can apply.
        return (name, annotation, KEEP_DEFAULT if has_default else REQUIRED, "type", None)
    marker = _marker(annotation)
    if isinstance(marker, Value):
        if has_default:
            fallback = KEEP_DEFAULT
        else:
            fallback = PASS_NONE if _injectable(annotation)[1] else REQUIRED
        return (name, object, fallback, "value", marker.name)
    item = _collection_item(annotation)
    if item is not None:
        return (name, item, KEEP_DEFAULT if has_default else EMPTY_LIST, "list", None)
    target, optional = _injectable(annotation)
    if target is None:
        if has_default or optional:
            return None
        raise DioxideTypeError(
            f"parameter '{name}' of {where} is annotated {_show(annotation)}, "
            "which dioxide does not inject by type",
            hint="values such as str or int are configuration: annotate them "
            "Annotated[str, Value('name')] and call container.register_value(), "
            "give the parameter a default, or build the object in a factory",
        )
    if has_default:
        fallback = KEEP_DEFAULT
    elif optional:
        fallback = PASS_NONE
    else:
        fallback = REQUIRED
    if isinstance(marker, Named):
        return (name, target, fallback, "named", marker.name)
    return (name, target, fallback, "type", None)


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


def _collection_item(annotation: Any) -> Optional[type]:
    """``Plugin`` for ``list[Plugin]`` / ``Sequence[Plugin]``, else None."""
    if get_origin(annotation) is Annotated:
        annotation = get_args(annotation)[0]
    if get_origin(annotation) not in _COLLECTIONS:
        return None
    args = get_args(annotation)
    if len(args) != 1 or not isinstance(args[0], type) or args[0] in _PRIMITIVES:
        return None
    item: type = args[0]
    return item


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
    return None, optional


def _show(annotation: Any) -> str:
    if isinstance(annotation, type) and get_origin(annotation) is None:
        return annotation.__name__
    return repr(annotation).replace("typing.", "")
