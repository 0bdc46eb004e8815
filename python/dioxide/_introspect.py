"""Reading what a provider needs from its signature and type hints."""

from __future__ import annotations

import collections.abc
import re
import types
import typing
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Callable, Optional, Union

from typing_extensions import Annotated, get_args, get_origin

if TYPE_CHECKING:
    import inspect
else:
    from dioxide._lazy import inspect

from dioxide._markers import Named, Value
from dioxide.exceptions import DioxideTypeError

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


def describe(obj: object) -> str:
    """A short name for messages: the qualified name without ``<locals>``."""
    name = getattr(obj, "__qualname__", None) or getattr(obj, "__name__", None)
    if isinstance(name, str):
        return name.rsplit("<locals>.", 1)[-1]
    return repr(obj)


def _own_init(cls: type) -> Optional[Callable[..., Any]]:
    """The ``__init__`` that builds ``cls``, or None when it is ``object``'s."""
    init = getattr(cls, "__init__", None)
    if init is None or init is object.__init__:
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
        return typing.get_type_hints(
            func, localns=dict(localns) if localns else None, include_extras=True
        )
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
        signature = inspect.signature(func)
    except (TypeError, ValueError) as error:
        raise DioxideTypeError(
            f"cannot read the signature of {where}: {error}",
            hint="register a plain Python class or function",
        ) from error
    hints = resolve_hints(func, localns)
    parameters = list(signature.parameters.values())
    if skip_first:
        parameters = parameters[1:]
    found: list[Dependency] = []
    unbroken = True
    for parameter in parameters:
        dependency = _parameter_dependency(parameter, hints, where)
        if dependency is None:
            unbroken = False
            continue
        unbroken = unbroken and parameter.kind is parameter.POSITIONAL_OR_KEYWORD
        found.append((*dependency, unbroken))
    return found


def _parameter_dependency(
    parameter: inspect.Parameter, hints: Mapping[str, Any], where: str
) -> Optional[_Found]:
    name = parameter.name
    has_default = parameter.default is not inspect.Parameter.empty
    if parameter.kind in (parameter.VAR_POSITIONAL, parameter.VAR_KEYWORD):
        star = "*" if parameter.kind is parameter.VAR_POSITIONAL else "**"
        raise DioxideTypeError(
            f"{where} takes {star}{name}; dioxide cannot tell what to inject there",
            hint="list each dependency as a typed parameter, "
            "or build the object in a factory with register_factory()",
        )
    if parameter.kind is parameter.POSITIONAL_ONLY and not has_default:
        raise DioxideTypeError(
            f"parameter '{name}' of {where} is positional-only; dioxide injects by name",
            hint="drop the '/' from the signature, or build the object in a factory",
        )
    if parameter.kind is parameter.POSITIONAL_ONLY:
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
