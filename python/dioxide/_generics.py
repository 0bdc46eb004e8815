"""Open generics: a provider registered once for a generic class serves
every parametrisation of it.

``Repository[User]`` is a key like a class: the first time something needs
it (``resolve``, a dependency in a plan, ``validate()``, ``graph()``), the
open provider of ``Repository`` is *materialised* for it, a concrete
registration like any other (so cycle and captive checks, singletons,
``validate()`` and ``graph()`` see it), with ``T`` replaced by ``User`` in its
constructor's annotations: ``type[T]`` parameters receive ``User``,
``Serializer[T]`` becomes a dependency on ``Serializer[User]``.

Keys: the Rust core keys a class by identity. A parametrisation is keyed by
its *canonical* alias, the first equal alias seen, kept for the life of the
process (``Repository[User]`` written twice may be two objects; they compare
equal and map to one canonical object, whose address never gets reused).
"""

from __future__ import annotations

import functools
import typing
from typing import TYPE_CHECKING, Annotated, Any, NamedTuple, Optional, get_args, get_origin

from dioxide._introspect import (
    BY_ID,
    canonical,
    collection_item,
    describe,
    has_type_params,
    not_injectable,
    parametrised_generic,
    substitute,
    value_request,
)
from dioxide._markers import Named
from dioxide.exceptions import DioxideError, DioxideTypeError

if TYPE_CHECKING:
    from dioxide._container import Container
    from dioxide._registry import Entry

__all__ = [
    "OpenProvider",
    "bare_buildable",
    "class_mappings",
    "ensure_materialised",
    "is_open",
    "key_hook",
    "materialise_needed",
]

#: Bases that say a class is generic but provide nothing. (Before Python
#: 3.12, ``typing_extensions.Protocol`` is a class of its own, but its
#: metaclass makes it compare equal to ``typing.Protocol``, so ``in`` finds
#: it here without dioxide importing ``typing_extensions``.)
_MARKER_BASES: tuple[Any, ...] = (typing.Generic, typing.Protocol)


def is_open(cls: Any) -> bool:
    """A generic class with type parameters of its own (``Repository`` of
    ``class Repository(Generic[T])``, not ``class UserRepo(Repository[User])``)."""
    return isinstance(cls, type) and bool(cls.__dict__.get("__parameters__"))


def bare_buildable(cls: type, localns: Any) -> bool:
    """Whether the generic class ``cls`` can also be built unparametrised:
    its constructor does not depend on its type parameters (it is then
    registered under ``cls`` itself too, as any class)."""
    from dioxide._introspect import UnresolvedReference, class_dependencies

    try:
        dependencies = class_dependencies(cls, localns)
    except UnresolvedReference:
        return True
    except DioxideError:
        return False
    return not any(has_type_params(d.annotation) for d in dependencies)


class OpenProvider(NamedTuple):
    """A generic class registered once for every parametrisation."""

    implementation: type
    #: The generic classes it serves: itself and the generic interfaces of
    #: its ``provides=``.
    serves: list[type]
    lifetime: str
    kind: str
    name: Optional[str]
    profiles: Optional[list[str]]
    #: Reads the names its annotations may use (for string annotations).
    localns: Any


def class_mappings(cls: type, args: tuple[Any, ...]) -> dict[type, dict[Any, Any]]:
    """For ``cls[args]`` (``cls`` alone when ``args`` is empty), what each
    type parameter of ``cls`` and of each generic base stands for, per class
    (two classes may use one ``TypeVar`` object for different things)."""
    maps: dict[type, dict[Any, Any]] = {}

    def visit(current: type, mapping: dict[Any, Any]) -> None:
        if current in maps:
            return
        maps[current] = mapping
        for base in current.__dict__.get("__orig_bases__", ()):
            origin = get_origin(base)
            if not isinstance(origin, type) or origin in _MARKER_BASES:
                continue
            params = origin.__dict__.get("__parameters__", ())
            values = [substitute(arg, mapping) for arg in get_args(base)]
            visit(origin, dict(zip(params, values)))

    params = cls.__dict__.get("__parameters__", ()) if args else ()
    visit(cls, dict(zip(params, args)))
    return maps


def _unify(implementation: type, served: type, args: tuple[Any, ...]) -> Optional[tuple[Any, ...]]:
    """The arguments of ``implementation`` that make it ``served[args]``, or
    None when it cannot be (``class SqlRepo(Repository[T])`` serves
    ``Repository[User]`` as ``SqlRepo[User]``)."""
    params = implementation.__dict__.get("__parameters__", ())
    if implementation is served:
        return args
    maps = class_mappings(implementation, tuple(params))
    mapping = maps.get(served)
    if mapping is None:
        # A generic Protocol it implements structurally: its parameters
        # in order, when they are as many.
        served_params = served.__dict__.get("__parameters__", ())
        if _structural(served) and len(served_params) == len(params):
            return args
        return None
    found: dict[Any, Any] = {}
    for param, arg in zip(served.__dict__.get("__parameters__", ()), args):
        written = mapping.get(param, param)
        if written in params:
            if found.setdefault(written, arg) != arg:
                return None
        elif written != arg:
            return None
    if any(p not in found for p in params):
        return None
    return tuple(found[p] for p in params)


def _structural(cls: type) -> bool:
    """A Protocol: implemented without being a base class."""
    return bool(cls.__dict__.get("_is_protocol", False))


def _check_bounds(cls: type, args: tuple[Any, ...], requested: Any) -> None:
    """Refuse arguments that violate a bound or the constraints of a type
    parameter of ``cls``."""
    for param, arg in zip(cls.__dict__.get("__parameters__", ()), args):
        if not isinstance(param, typing.TypeVar):
            continue
        actual = get_origin(arg) or arg
        bound = param.__bound__
        if isinstance(bound, type) and isinstance(actual, type):
            if not _subclass(actual, bound):
                raise DioxideTypeError(
                    f"{describe(requested)}: {describe(arg)} does not satisfy the bound "
                    f"of type parameter {param.__name__} of {describe(cls)} "
                    f"({param.__name__} must be a subclass of {describe(bound)})",
                    requested=requested,
                    chain=[requested],
                    hint=f"parametrise {describe(cls)} with a subclass of {describe(bound)}",
                )
        constraints = [c for c in param.__constraints__ if isinstance(c, type)]
        if constraints and isinstance(actual, type):
            if not any(_subclass(actual, c) for c in constraints):
                allowed = ", ".join(describe(c) for c in constraints)
                raise DioxideTypeError(
                    f"{describe(requested)}: {describe(arg)} is not one of the types "
                    f"type parameter {param.__name__} of {describe(cls)} is constrained "
                    f"to ({allowed})",
                    requested=requested,
                    chain=[requested],
                    hint=f"parametrise {describe(cls)} with one of: {allowed}",
                )


def _subclass(cls: type, base: type) -> bool:
    try:
        return issubclass(cls, base)
    except TypeError:
        # A Protocol that is not runtime-checkable: structural, trust the user.
        return True


def _entry(provider: OpenProvider, served: type, args: tuple[Any, ...], requested: Any) -> Optional[Entry]:
    """The concrete registration of ``provider`` for ``served[args]``."""
    from dioxide._introspect import class_dependencies
    from dioxide._registry import make_entry

    implementation = provider.implementation
    impl_args = _unify(implementation, served, args)
    if impl_args is None:
        return None
    _check_bounds(implementation, impl_args, requested)
    generic: Any = implementation
    target: Any = canonical(generic[impl_args]) if impl_args else implementation
    # Built by the class itself: calling the alias (``Repository[User](...)``)
    # would run typing's Python-level ``__call__`` on every build.
    builder: Any = functools.partial(implementation)
    builder.__qualname__ = describe(target)
    deps = class_dependencies(implementation, provider.localns, impl_args)
    maps = class_mappings(implementation, impl_args)
    exposes: list[tuple[Any, Optional[str]]] = []
    for interface in provider.serves:
        params = interface.__dict__.get("__parameters__", ())
        mapping = maps.get(interface)
        if mapping is None and _structural(interface) and len(params) == len(impl_args):
            mapping = dict(zip(params, impl_args))
        if mapping is None:
            continue
        served_generic: Any = interface
        key = canonical(served_generic[tuple(mapping.get(p, p) for p in params)])
        if key is not target or provider.name is not None:
            exposes.append((key, provider.name))
    return make_entry(
        target, builder, provider.lifetime, provider.kind, deps, exposes, provider.profiles
    )


def _open_providers(container: Container, origin: type) -> tuple[list[OpenProvider], bool]:
    """The open providers of ``origin`` the container uses, and whether they
    are its own (else its registry's)."""
    own = getattr(container, "_open", {}).get(origin)
    if own:
        return list(own), True
    return list(container.registry._open.get(origin, ())), False


def ensure_materialised(container: Container, key: Any) -> None:
    """Register, when an open provider serves it and nothing provides it
    yet, the parametrisation ``key`` (canonical) for ``container``: into its
    registry when the open provider was decorated, into the container when
    it registered the open provider itself. Idempotent and thread-safe."""
    if key in container:
        return
    origin, args = get_origin(key), get_args(key)
    if has_type_params(key):
        raise DioxideTypeError(
            f"{describe(key)} still has type parameters; dioxide resolves concrete "
            "parametrisations only",
            requested=key,
            chain=[key],
            hint=f"name the type arguments, e.g. {describe(origin)}[User]",
        )
    providers, own = _open_providers(container, origin)
    if not providers:
        return
    entries = [e for e in (_entry(p, origin, args, key) for p in providers) if e is not None]
    if not entries:
        return
    if own:
        with container._generics_lock:
            fresh = [e for e in entries if e.provides not in container]
            if fresh and key not in container:
                container._register(fresh)
    else:
        container.registry._materialise(entries, key)


def key_hook(container_ref: Any) -> Any:
    """The function the Rust core calls for a ``resolve`` argument that is
    not a class, and for a parametrised generic a plan misses: it returns
    ``(flavor, key object, name)`` and materialises what is needed."""

    def hook(obj: Any) -> tuple[str, Any, Optional[str]]:
        container = container_ref()
        wanted = value_request(obj)
        if wanted is not None:
            return _value_key(container, *wanted)
        if get_origin(obj) is Annotated:
            base, *extras = get_args(obj)
            named = next((e for e in extras if isinstance(e, Named)), None)
            if named is not None:
                return ("named", _key(container, base), named.name)
            return ("type", _key(container, base), None)
        item = collection_item(obj)
        if item is not None:
            return ("list", _key(container, item), None)
        return ("type", _key(container, obj), None)

    return hook


def _value_key(
    container: Optional[Container], name: str, type_: Any
) -> tuple[str, Any, Optional[str]]:
    """``resolve(Annotated[T, Value(name)])``: the value itself, or its
    conversion to ``T`` (registered in the container when no provider
    declared it)."""
    if type_ is object or type_ is Any:
        return ("value", object, name)
    from dioxide._convert import conversion_entry, conversion_for

    conversion = conversion_for(name, type_)
    if container is not None:
        container._register([conversion_entry(conversion)])
    return ("converted", conversion, name)


def _key(container: Optional[Container], obj: Any) -> Any:
    if isinstance(obj, type):
        return obj
    generic = parametrised_generic(obj)
    if generic is None or has_type_params(generic):
        refused = not_injectable(obj, "resolve()")
        shown = describe(obj) if get_origin(obj) is not None else repr(obj)
        raise DioxideTypeError(
            f"resolve() expects a class, got {shown} (an instance of "
            f"{type(obj).__name__}): dioxide resolves classes, parametrised generics, "
            "list[C] and Annotated[C, Named(...)]",
            requested=obj,
            hint=refused.hint
            if get_origin(obj) is not None
            else "pass the class itself, e.g. resolve(UserService), not an instance "
            "or a string",
        )
    key = canonical(generic)
    if container is not None:
        ensure_materialised(container, key)
    return key


def materialise_needed(container: Container) -> list[DioxideError]:
    """Materialise every parametrisation the container's providers depend on
    that an open provider serves (for ``validate()`` and ``graph()``); the
    ones refused (a violated bound, a cycle) are returned."""
    errors: list[DioxideError] = []
    tried: set[int] = set()
    while True:
        missing = [
            BY_ID[node[0]]
            for row in container._providers()
            for _, node, resolvable in row[4]
            if not resolvable and node[0] in BY_ID and node[0] not in tried
        ]
        if not missing:
            return errors
        for key in missing:
            tried.add(id(key))
            try:
                ensure_materialised(container, key)
            except DioxideError as error:
                errors.append(error)
