"""``@component``, ``@singleton`` and ``@provider``: register where you define."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, Callable, Optional, TypeVar, Union, get_origin, overload


if TYPE_CHECKING:
    import inspect
else:
    from dioxide._lazy import inspect

from dioxide._generics import OpenProvider, bare_buildable, is_open
from dioxide._introspect import (
    UnresolvedReference,
    bind_arguments,
    callable_dependencies,
    canonical,
    check_args,
    class_dependencies,
    describe,
    has_type_params,
    parametrised_generic,
)
from dioxide import _registry
from dioxide._kinds import check_shape, class_kind, factory_kind, provided_type
from dioxide._registry import (
    Exposure,
    Registry,
    caller_frame,
    frame_namespace,
    register_decorated,
    registry_of,
)
from dioxide._scope import Scope, lifetime_of
from dioxide.exceptions import DioxideTypeError

__all__ = ["component", "provider", "singleton"]

C = TypeVar("C", bound=type)
F = TypeVar("F", bound=Callable[..., Any])

#: What ``provides=`` accepts: one interface or several.
Provides = Union[type, Sequence[type], None]
#: What ``profile=`` accepts: one profile name or several.
Profiles = Union[str, Sequence[str], None]


def _interfaces(provides: Provides, where: str) -> list[Any]:
    """The interfaces of ``provides=``: classes, and parametrised generics
    (``Repository[User]``, as their canonical key; ``Repository[T]`` of an
    open generic class as ``Repository``)."""
    if provides is None:
        return []
    # A string is a Sequence too: ``provides="Port"`` must be reported as
    # one wrong value, not as the letters P, o, r, t.
    listed: list[Any] = (
        list(provides) if isinstance(provides, (list, tuple, set, frozenset)) else [provides]
    )
    for index, interface in enumerate(listed):
        generic = parametrised_generic(interface)
        if generic is not None:
            listed[index] = (
                get_origin(generic) if has_type_params(generic) else canonical(generic)
            )
        elif not isinstance(interface, type):
            raise DioxideTypeError(
                f"{where}: provides= takes classes (an interface, a Protocol or an ABC), "
                f"got {interface!r}",
                hint="pass the interface class itself, e.g. provides=PaymentPort",
            )
    return listed


def _exposures(
    implementation: type, provides: Provides, name: Optional[str], where: str
) -> list[Exposure]:
    """What a provider answers for besides its own class: each interface in
    ``provides`` (under ``name`` when given), or its own class under ``name``."""
    interfaces = _interfaces(provides, where)
    if name is not None and not isinstance(name, str):
        raise DioxideTypeError(
            f"{where}: name= must be a string, got {name!r}",
            hint=f'e.g. {where}(provides=Cache, name="local")',
        )
    if not interfaces:
        return [(implementation, name)] if name is not None else []
    for interface in interfaces:
        if isinstance(implementation, type) and _not_subclass(
            implementation, get_origin(interface) or interface
        ):
            raise DioxideTypeError(
                f"{where}: {describe(implementation)} does not implement "
                f"{describe(interface)} (it is not a subclass)",
                requested=interface,
                chain=[interface],
                hint=f"derive {describe(implementation)} from {describe(interface)}, "
                "or drop it from provides=",
            )
    return [(interface, name) for interface in interfaces]


def _not_subclass(implementation: type, interface: type) -> bool:
    try:
        return not issubclass(implementation, interface)
    except TypeError:
        # A Protocol that is not runtime-checkable: structural, trust the user.
        return False


def _profiles(profile: Profiles, where: str) -> Optional[list[str]]:
    if profile is None:
        return None
    listed: list[Any] = (
        list(profile) if isinstance(profile, (list, tuple, set, frozenset)) else [profile]
    )
    if not listed or not all(isinstance(p, str) and p for p in listed):
        raise DioxideTypeError(
            f"{where}: profile= takes a profile name or a list of names, got {profile!r}",
            hint='e.g. profile="test" or profile=["test", "dev"]',
        )
    return listed


def _register_class(
    cls: Any,
    scope: str,
    lifecycle: bool,
    provides: Provides,
    name: Optional[str],
    profile: Profiles,
    where: str,
    depth: int,
    registry: Optional[Registry] = None,
    args: Optional[Mapping[str, Any]] = None,
) -> None:
    if (
        provides is None
        and name is None
        and profile is None
        and not lifecycle
        and not args
    ):
        # Most classes: the core reads them itself (see Registry._register_plain).
        target = _registry.DEFAULT if registry is None else registry
        if type(target) is Registry and target._register_plain(
            cls, scope, caller_frame(depth + 1) is None
        ):
            return
    check_shape(cls, where)
    if not isinstance(cls, type):
        hint = (
            "decorate the class itself; for a factory function use @provider"
            if callable(cls)
            else "decorate a class definition"
        )
        raise DioxideTypeError(
            f"{where} decorates classes, got {describe(cls)} ({type(cls).__name__})",
            hint=hint,
        )
    kind = class_kind(cls, lifecycle)
    bound = check_args(args, where)
    if is_open(cls):
        _register_open(cls, scope, kind, provides, name, profile, where, depth + 1, registry)
        if not bare_buildable(cls, frame_namespace(caller_frame(depth + 1))):
            return
    register_decorated(
        cls,
        bind_arguments(cls, bound),
        scope,
        kind,
        lambda localns: class_dependencies(cls, localns, bound=bound),
        caller_frame(depth + 1),
        exposes=_exposures(cls, provides, name, where),
        profiles=_profiles(profile, where),
        registry=registry,
    )


@overload
def component(cls: C, /) -> C: ...
@overload
def component(
    *,
    scope: Union[Scope, str] = Scope.TRANSIENT,
    lifecycle: bool = False,
    provides: Provides = None,
    name: Optional[str] = None,
    profile: Profiles = None,
    registry: Optional[Registry] = None,
    args: Optional[Mapping[str, Any]] = None,
) -> Callable[[C], C]: ...
def component(
    cls: Optional[C] = None,
    /,
    *,
    scope: Union[Scope, str] = Scope.TRANSIENT,
    lifecycle: bool = False,
    provides: Provides = None,
    name: Optional[str] = None,
    profile: Profiles = None,
    registry: Optional[Registry] = None,
    args: Optional[Mapping[str, Any]] = None,
) -> Union[C, Callable[[C], C]]:
    """Register a class with every :class:`Container`, wired from its
    ``__init__`` type hints. Transient by default: each injection gets a new
    instance. The class is returned unchanged::

        @component
        class UserService:
            def __init__(self, repo: UserRepository) -> None:
                self.repo = repo

        @component(provides=PaymentPort, scope=Scope.SINGLETON)
        class StripeGateway: ...

    - ``provides``: interfaces (Protocols, ABCs, base classes) this class
      implements; a parameter typed as one of them gets this class.
      ``list[Interface]`` gets every implementation.
    - ``name``: tells implementations of one interface apart; ask for one
      with ``Annotated[Interface, Named("name")]``.
    - ``profile``: only containers made with ``Container(profile=...)`` for
      one of these profiles see the class, and there it wins over unmarked
      implementations of the same interface.
    - ``lifecycle=True``: a context-manager class, entered when built and
      exited when its owner (container or scope) closes.
    - ``registry``: the :class:`Registry` to register into (default: the
      process-wide one every ``Container()`` uses).
    - ``args``: constructor arguments given here rather than injected, by
      parameter name: a plain value (a ``str``, an ``int``, a callable) is
      passed as is, ``Value("key")`` is the configuration value ``key``
      converted to the parameter's type.
    """
    checked = lifetime_of(scope, "@component")
    if cls is not None:
        _register_class(
            cls, checked, lifecycle, provides, name, profile, "@component", 1, registry,
            args,
        )
        return cls

    def decorate(target: C) -> C:
        _register_class(
            target, checked, lifecycle, provides, name, profile, "@component", 1, registry,
            args,
        )
        return target

    return decorate


@overload
def singleton(cls: C, /) -> C: ...
@overload
def singleton(
    *,
    lifecycle: bool = False,
    provides: Provides = None,
    name: Optional[str] = None,
    profile: Profiles = None,
    registry: Optional[Registry] = None,
    args: Optional[Mapping[str, Any]] = None,
) -> Callable[[C], C]: ...
def singleton(
    cls: Optional[C] = None,
    /,
    *,
    lifecycle: bool = False,
    provides: Provides = None,
    name: Optional[str] = None,
    profile: Profiles = None,
    registry: Optional[Registry] = None,
    args: Optional[Mapping[str, Any]] = None,
) -> Union[C, Callable[[C], C]]:
    """Register a class as a singleton: one instance per container, built on
    first use and shared by every dependant (also across every interface in
    ``provides``). Takes the options of :func:`component`::

        @singleton
        class Config:
            def __init__(self) -> None:
                self.dsn = "sqlite://"
    """
    if cls is not None:
        _register_class(
            cls, Scope.SINGLETON.value, lifecycle, provides, name, profile, "@singleton", 1,
            registry, args,
        )
        return cls

    def decorate(target: C) -> C:
        _register_class(
            target, Scope.SINGLETON.value, lifecycle, provides, name, profile, "@singleton", 1,
            registry, args,
        )
        return target

    return decorate


def _register_open(
    cls: type,
    scope: str,
    kind: str,
    provides: Provides,
    name: Optional[str],
    profile: Profiles,
    where: str,
    depth: int,
    registry: Optional[Registry],
) -> None:
    """Register a generic class once for every parametrisation of itself
    and of the generic interfaces in ``provides``."""
    serves: list[type] = [cls]
    for interface in _interfaces(provides, where):
        if not is_open(interface) and not bare_buildable(cls, None):
            raise DioxideTypeError(
                f"{where}: {describe(cls)} is generic, so it provides generic interfaces "
                f"only (one per parametrisation), got provides={describe(interface)}",
                hint=f"declare the generic interface, e.g. provides={describe(interface)}"
                " of a generic class, or provide the interface from a subclass of "
                f"{describe(cls)}[...] that is not generic",
            )
        if _not_subclass(cls, interface):
            raise DioxideTypeError(
                f"{where}: {describe(cls)} does not implement {describe(interface)} "
                "(it is not a subclass)",
                hint=f"derive {describe(cls)} from {describe(interface)}[T]",
            )
        if is_open(interface):
            serves.append(interface)
    if name is not None and not isinstance(name, str):
        raise DioxideTypeError(
            f"{where}: name= must be a string, got {name!r}",
            hint=f'e.g. {where}(provides=Cache, name="local")',
        )
    target = registry_of(registry)
    frame = caller_frame(depth + 1)
    localns = frame_namespace(frame) if frame is not None else None
    target._register_open(
        OpenProvider(
            cls, serves, scope, kind, name, _profiles(profile, where), localns
        )
    )


def _register_function(
    func: Any,
    scope: str,
    provides: Optional[type],
    name: Optional[str],
    profile: Profiles,
    depth: int,
    registry: Optional[Registry] = None,
) -> None:
    if isinstance(func, type) or not callable(func) or not (
        inspect.isfunction(func) or inspect.ismethod(func)
    ):
        raise DioxideTypeError(
            f"@provider decorates functions, got {describe(func)} ({type(func).__name__})",
            hint="for a class use @component or @singleton",
        )
    frame = caller_frame(depth + 1)
    localns = frame_namespace(frame)
    target_type = provides
    if target_type is None:
        try:
            target_type = provided_type(func, localns)
        except UnresolvedReference as unresolved:
            raise DioxideTypeError(
                f"the return annotation of {describe(func)} refers to "
                f"'{unresolved.name}', which is not defined",
                hint="define the class before the provider function, or pass provides=",
            ) from None
    if not isinstance(target_type, type):
        raise DioxideTypeError(
            f"@provider cannot tell what {describe(func)} provides: "
            "its return annotation is missing or not a class",
            hint="annotate the return type ('-> Database'), or pass provides=Database",
        )
    # The function itself is the provider's own key and the type it returns
    # is an interface it answers for, exactly like a class with provides=:
    # two provider functions for one type are then told apart by name or
    # profile instead of silently replacing each other.
    register_decorated(
        func,
        func,
        scope,
        factory_kind(func),
        lambda ns: callable_dependencies(func, ns),
        frame,
        exposes=[(target_type, name)],
        profiles=_profiles(profile, "@provider"),
        registry=registry,
    )


@overload
def provider(func: F, /) -> F: ...
@overload
def provider(
    *,
    scope: Union[Scope, str] = Scope.TRANSIENT,
    provides: Optional[type] = None,
    name: Optional[str] = None,
    profile: Profiles = None,
    registry: Optional[Registry] = None,
) -> Callable[[F], F]: ...
def provider(
    func: Optional[F] = None,
    /,
    *,
    scope: Union[Scope, str] = Scope.TRANSIENT,
    provides: Optional[type] = None,
    name: Optional[str] = None,
    profile: Profiles = None,
    registry: Optional[Registry] = None,
) -> Union[F, Callable[[F], F]]:
    """Register a function as the provider of its return type; its
    parameters are injected like a constructor's. Generators are finalized
    when their owner closes; ``async def`` providers need ``aresolve``.
    ``name`` and ``profile`` work as for :func:`component`::

        @provider(scope=Scope.SINGLETON)
        def database(config: Config) -> Iterator[Database]:
            db = Database(config.dsn)
            yield db
            db.close()
    """
    checked = lifetime_of(scope, "@provider")
    if func is not None:
        _register_function(func, checked, provides, name, profile, 1, registry)
        return func

    def decorate(target: F) -> F:
        _register_function(target, checked, provides, name, profile, 1, registry)
        return target

    return decorate
