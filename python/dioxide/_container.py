"""The :class:`Container`: where providers are registered and resolved."""

from __future__ import annotations

import functools
import threading
import weakref
from collections.abc import Mapping, Sequence
from contextlib import AbstractContextManager
from types import TracebackType
from typing import TYPE_CHECKING, Any, Callable, Optional, TypeVar, Union, get_args, get_origin

if TYPE_CHECKING:
    import inspect

    from typing_extensions import Self, TypeForm
else:
    from dioxide._lazy import inspect

from dioxide._dioxide_core import _RustContainer
from dioxide._fast import OwnResolve
from dioxide._generics import (
    OpenProvider,
    bare_buildable,
    is_open,
    key_hook,
    materialise_needed,
)
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
from dioxide._kinds import check_shape, class_kind, factory_kind
from dioxide._factory import Factory
from dioxide._lifecycle import Closing, task_token
from dioxide._values import ValueMethods
import dioxide._registry as _registry
from dioxide._registry import Entry, Registry, caller_namespace, make_entry, needs_conversions
from dioxide._scope import ContainerScope, Scope, check_levels, lifetime_of
from dioxide._graph import render_graph
from dioxide.exceptions import DioxideTypeError, ValidationError

__all__ = ["Container"]

T = TypeVar("T")


def _require_class(obj: object, what: str) -> Any:
    """``obj`` itself, checked to be a class, or the canonical key of a
    parametrised generic (``Repository[User]``) (a ``TypeForm`` parameter
    admits any type expression statically; only those can be registered)."""
    generic = parametrised_generic(obj)
    if generic is not None and not has_type_params(generic):
        return canonical(generic)
    if not isinstance(obj, type):
        raise DioxideTypeError(
            f"{what} expects a class, got {obj!r} ({type(obj).__name__})",
            hint="pass the class itself, e.g. UserService, not an instance or a string",
        )
    return obj


def _is_instance(instance: object, type_: type) -> Optional[bool]:
    """``isinstance``, or None when the type cannot be checked at runtime
    (a Protocol that is not ``@runtime_checkable``)."""
    try:
        return isinstance(instance, type_)
    except TypeError:
        return None


def _runtime_class(key: Any) -> Any:
    """The class behind a key: ``Repository`` for ``Repository[User]``."""
    origin = get_origin(key)
    return origin if isinstance(origin, type) and not isinstance(key, type) else key


def _is_subclass(cls: type, type_: type) -> Optional[bool]:
    try:
        return issubclass(cls, type_)
    except TypeError:
        return None


class Container(_RustContainer, Closing, OwnResolve, ValueMethods):
    """Registers providers and resolves types into wired instances.

    A new container sees every class decorated with ``@component``,
    ``@singleton`` or ``@provider`` (including those decorated later) and
    adds its own registrations on top; containers never share registrations
    or singletons::

        container = Container()
        container.register_instance(Config, Config(dsn="sqlite://"))
        service = container.resolve(UserService)

    ``resolve`` (or ``container[T]``) runs in the Rust core: the constructor
    chain is compiled once per type into a plan and executed without
    Python-level overhead.
    """

    # Attributes in slots; the instance dict (from ``ValueMethods``) is left
    # for a subclass's own, created on first use: an instance whose dict
    # exists loses CPython 3.13's specialized lookup of ``container.resolve``
    # (S1 in benchmarks/).
    __slots__ = (
        "_blocking_types",
        "_config_store",
        "_converted",
        "_dioxide_context",
        "_dioxide_offload",
        "_generics_lock",
        "_open",
        "profile",
        "registry",
    )

    #: The context types the integrations declared (``_integration.py``).
    _dioxide_context: set[type]

    def __new__(
        cls,
        *,
        profile: Optional[str] = None,
        registry: Optional[Registry] = None,
        scopes: Sequence[str] = ("request",),
    ) -> Self:
        if profile is not None and not (isinstance(profile, str) and profile):
            raise DioxideTypeError(
                f"Container(profile=...) takes a profile name, got {profile!r}",
                hint='e.g. Container(profile="test")',
            )
        source = _registry.DEFAULT if registry is None else registry
        if not isinstance(source, Registry):
            raise DioxideTypeError(
                f"Container(registry=...) takes a dioxide.Registry, got {registry!r}",
                hint="make one with dioxide.Registry() and decorate with registry=it",
            )
        levels = check_levels(scopes)
        instance: Self = super().__new__(cls, source._core, profile, list(levels))
        return instance

    def __init__(
        self,
        *,
        profile: Optional[str] = None,
        registry: Optional[Registry] = None,
        scopes: Sequence[str] = ("request",),
    ) -> None:
        """``profile`` selects the implementations decorated with that
        ``profile=`` (unmarked ones serve every profile); ``registry`` is
        where the decorated providers come from (the decorators' default
        registry when not given); ``scopes`` names the scope levels,
        outermost first (``Scope.SCOPED`` is the first)::

            production = Container(profile="prod")
            tests = Container(profile="test")
            isolated = Container(registry=my_registry)
            nested = Container(scopes=("request", "action"))
        """
        self.profile = profile
        """The profile this container was made for (``None``: no profile)."""
        self.registry = _registry.DEFAULT if registry is None else registry
        """The registry this container resolves decorated providers from."""
        self._open: dict[type, list[OpenProvider]] = {}
        self._generics_lock = threading.RLock()
        self._blocking_types: set[type] = set()
        self._dioxide_offload: Optional[dict[Any, bool]] = None
        self._set_generics(key_hook(weakref.ref(self)))
        self._config_store = None

    def _register(self, entries: list[Entry], *, explicit: bool = True) -> None:
        if needs_conversions(entries):
            from dioxide._convert import with_conversions

            entries = with_conversions(entries)
        super()._register(entries, explicit=explicit)

    def __len__(self) -> int:
        """The number of providers this container can use."""
        count = super().__len__()
        # The configuration store is kept as a value, not counted as one.
        return count - 1 if getattr(self, "_config_store", None) is not None else count

    @property
    def scopes(self) -> tuple[str, ...]:
        """The scope levels, outermost first (``("request",)`` by default)::

        Container(scopes=("request", "action")).scopes  # ("request", "action")
        """
        return tuple(self._levels)

    def _lifetime(self, scope: object, what: str) -> str:
        return lifetime_of(scope, what, self._levels)

    if TYPE_CHECKING:

        def resolve(self, type_: TypeForm[T], /) -> T:
            """Build or fetch the instance of ``type_``, with its dependencies::

            service = container.resolve(UserService)
            port = container.resolve(PaymentPort)  # a Protocol or ABC works too
            """
            ...

        def __getitem__(self, type_: TypeForm[T], /) -> T:
            """``container[T]`` is ``container.resolve(T)``, spelled as a
            lookup (and a little faster: no method to look up)::

            service = container[UserService]
            """
            ...

    async def aresolve(self, type_: TypeForm[T], /) -> T:
        """Like :meth:`resolve`, awaiting ``async def`` and async generator
        providers on the way (concurrent calls build a singleton once)::

            client = await container.aresolve(HttpClient)
        """
        result: T = await self._aresolve(type_, task_token())
        return result

    def register_instance(self, type_: TypeForm[T], instance: T) -> None:
        """Provide ``type_`` with an existing object (a singleton by nature)::

        container.register_instance(Config, Config(dsn="postgres://..."))
        """
        provides = _require_class(type_, "register_instance()")
        if _is_instance(instance, _runtime_class(provides)) is False:
            raise DioxideTypeError(
                f"register_instance({describe(type_)}, ...) got an instance of "
                f"{type(instance).__name__}, which is not an instance of {describe(type_)}",
                requested=type_,
                chain=[type_],
                hint=f"pass a {describe(type_)} instance, or register it under its own type",
            )
        self._register([make_entry(provides, instance, Scope.SINGLETON.value, "instance", [])])

    def register_class(
        self,
        type_: TypeForm[T],
        cls: Optional[type[T]] = None,
        *,
        scope: Union[Scope, str] = Scope.TRANSIENT,
        lifecycle: bool = False,
        args: Optional[Mapping[str, Any]] = None,
        blocking: bool = False,
    ) -> None:
        """Provide ``type_`` by constructing ``cls`` (default: ``type_``
        itself), its ``__init__`` parameters injected from their type hints::

            container.register_class(PaymentPort, StripeGateway, scope=Scope.SINGLETON)
            container.register_class(Step, scope="action")  # a scope level

        ``blocking=True`` says the constructor blocks (network, disk): the
        async integrations then build it in a worker thread, not on the
        event loop.

        ``args`` gives parameters that are not injected by type, by name: a
        plain value is passed as is, ``Value("key")`` is the configuration
        value ``key`` converted to the parameter's type::

            container.register_class(
                HttpClient, args={"timeout": 5.0, "base_url": Value("api.url")}
            )
        """
        provides = _require_class(type_, "register_class()")
        implementation = _require_class(provides if cls is None else cls, "register_class()")
        runtime = _runtime_class(implementation)
        check_shape(runtime, "register_class()")
        checked = self._lifetime(scope, "register_class()")
        if _is_subclass(runtime, _runtime_class(provides)) is False:
            raise DioxideTypeError(
                f"register_class({describe(type_)}, {describe(implementation)}): "
                f"{describe(implementation)} is not a subclass of {describe(type_)}",
                requested=type_,
                chain=[type_],
                hint=f"register a class that implements {describe(type_)}",
            )
        kind = class_kind(runtime, lifecycle)
        localns = caller_namespace(1)
        bound = check_args(args, "register_class()")
        if is_open(implementation):
            self._register_open(provides, implementation, checked, kind, localns)
            if not bare_buildable(implementation, localns):
                return
        try:
            deps = class_dependencies(runtime, localns, get_args(implementation), bound=bound)
        except UnresolvedReference as unresolved:
            raise self._unresolved(implementation, unresolved) from None
        target = bind_arguments(implementation, bound)
        self._register([make_entry(provides, target, checked, kind, deps)])
        self._mark_blocking(provides, blocking)

    def _register_open(
        self, provides: Any, implementation: type, scope: str, kind: str, localns: Any
    ) -> None:
        """``register_class`` of a generic class: kept for every
        parametrisation, materialised into this container when needed."""
        if not is_open(provides):
            if bare_buildable(implementation, localns):
                return
            raise DioxideTypeError(
                f"register_class({describe(provides)}, {describe(implementation)}): "
                f"{describe(implementation)} is generic; it can provide a generic class "
                "(one parametrisation each), not a plain one",
                requested=provides,
                chain=[provides],
                hint=f"register a parametrisation: register_class({describe(provides)}, "
                f"{describe(implementation)}[User])",
            )
        serves = [implementation] if provides is implementation else [implementation, provides]
        open_provider = OpenProvider(implementation, serves, scope, kind, None, None, localns)
        with self._generics_lock:
            for served in serves:
                self._open.setdefault(served, []).append(open_provider)

    def register_factory(
        self,
        type_: TypeForm[T],
        factory: Callable[..., Any],
        *,
        scope: Union[Scope, str] = Scope.TRANSIENT,
        args: Optional[Mapping[str, Any]] = None,
        blocking: bool = False,
    ) -> None:
        """Provide ``type_`` by calling ``factory``; its parameters are injected
        from their type hints (``args`` gives some by name, as for
        :meth:`register_class`). Generator factories are finalized on close::

            def connect(config: Config) -> Iterator[Database]:
                db = Database(config.dsn)
                yield db
                db.close()

            container.register_factory(Database, connect, scope=Scope.SINGLETON)

        In the async integrations, a generator's finalization (after
        ``yield``: a commit, a close) runs in a worker thread; a factory
        whose call blocks (it connects, reads a file) says so with
        ``blocking=True`` and is called in a worker thread too.
        """
        provides = _require_class(type_, "register_factory()")
        checked = self._lifetime(scope, "register_factory()")
        if not callable(factory):
            raise DioxideTypeError(
                f"register_factory({describe(type_)}, ...) expects a callable, "
                f"got {factory!r}",
                requested=type_,
                chain=[type_],
                hint="pass a function (or method) that returns the instance",
            )
        target: Callable[..., Any] = factory
        if isinstance(factory, type):
            raise DioxideTypeError(
                f"register_factory({describe(type_)}, {describe(factory)}) got a class",
                requested=type_,
                chain=[type_],
                hint="use register_class() for classes",
            )
        if not (
            inspect.isfunction(target)
            or inspect.ismethod(target)
            or isinstance(target, functools.partial)
        ):
            target = getattr(factory, "__call__", factory)  # noqa: B004 - callable objects
        bound = check_args(args, "register_factory()")
        try:
            deps = callable_dependencies(target, caller_namespace(1), bound=bound)
        except UnresolvedReference as unresolved:
            raise self._unresolved(factory, unresolved) from None
        self._register(
            [
                make_entry(
                    provides,
                    bind_arguments(factory, bound),
                    checked,
                    factory_kind(target),
                    deps,
                )
            ]
        )
        self._mark_blocking(provides, blocking)

    def _mark_blocking(self, provides: type, blocking: bool) -> None:
        """Remember that building ``provides`` blocks (I/O in its
        constructor or factory): the web integrations then resolve what
        needs it in a worker thread instead of on the event loop."""
        if blocking:
            self._blocking_types.add(provides)
        else:
            self._blocking_types.discard(provides)
        self._dioxide_offload = None  # the integrations' answers, computed again

    def register_context(
        self, type_: TypeForm[T], *, scope: Union[Scope, str] = Scope.SCOPED
    ) -> None:
        """Declare ``type_`` a context value of the scope level ``scope``
        (the first level by default): it is not built but supplied when a
        scope of that level opens, and injected by type like any provider::

            container.register_context(CurrentUser, scope="request")
            with container.create_scope(context={CurrentUser: alice}) as request:
                request.resolve(Greeter)  # Greeter(user: CurrentUser) gets alice
        """
        provides = _require_class(type_, "register_context()")
        level = self._lifetime(scope, "register_context()")
        if level in (Scope.SINGLETON.value, Scope.TRANSIENT.value):
            raise DioxideTypeError(
                f"register_context({describe(type_)}, scope={scope!s}): a context value "
                "belongs to a scope level",
                requested=type_,
                chain=[type_],
                hint="pass Scope.SCOPED (the first level) or a level's name, "
                'e.g. scope="request"; for one value per container use register_instance()',
            )
        self._register([make_entry(provides, provides, level, "context", [])])

    def override(
        self,
        type_: TypeForm[T],
        replacement: object,
        *,
        scope: Union[Scope, str, None] = None,
    ) -> AbstractContextManager[None]:
        """Replace the provider of ``type_`` inside a ``with`` block, for
        tests. ``replacement`` is an instance, a class (wired from its hints)
        or a factory function; a class or factory lives as long as the
        provider it replaces unless ``scope`` says otherwise::

            with container.override(EmailPort, FakeEmail()):
                container.resolve(SignupService).signup("a@b.c")

        Singletons built with the old provider (and everything that depends
        on them) are set aside for the block, so dependants are rebuilt with
        the replacement, and come back unchanged when the block ends, also
        after an exception. Scoped instances are set aside the same way in
        open scopes of every level: inside one scope, every dependant sees
        the same replacement.
        """
        provides = _require_class(type_, "override()")
        checked: str
        if scope is None:
            # A class or factory replacement lives as long as what it replaces.
            kept = self._lifetime_of(provides)
            checked = kept if kept is not None else Scope.TRANSIENT.value
        else:
            checked = self._lifetime(scope, "override()")
        localns = caller_namespace(1)
        if isinstance(replacement, type):
            if _is_subclass(replacement, _runtime_class(provides)) is False:
                raise DioxideTypeError(
                    f"override({describe(provides)}, {describe(replacement)}): "
                    f"{describe(replacement)} is not a subclass of {describe(provides)}",
                    requested=provides,
                    chain=[provides],
                    hint=f"pass a class that implements {describe(provides)}, "
                    "an instance of one, or a factory",
                )
            deps = self._dependencies(replacement, class_dependencies, localns)
            entry = make_entry(provides, replacement, checked, "call", deps)
        elif (
            inspect.isfunction(replacement)
            or inspect.ismethod(replacement)
            or isinstance(replacement, functools.partial)
        ):
            deps = self._dependencies(replacement, callable_dependencies, localns)
            kind = factory_kind(replacement)
            entry = make_entry(provides, replacement, checked, kind, deps)
        else:
            # Any object stands in, a Mock() without a spec included: an
            # override is a testing tool (register_instance keeps checking).
            entry = make_entry(provides, replacement, Scope.SINGLETON.value, "instance", [])
        return _Override(self, entry)

    def _dependencies(self, target: Any, read: Callable[..., Any], localns: Any) -> Any:
        try:
            return read(target, localns)
        except UnresolvedReference as unresolved:
            raise self._unresolved(target, unresolved) from None

    def validate(self) -> None:
        """Check the whole wiring without building anything, and raise one
        :class:`ValidationError` listing every problem: missing providers
        (with the chain that needs them), missing values, values that will
        not convert to the type their parameters ask for (with who asks),
        ambiguous interfaces, captive dependencies, unresolved forward
        references::

            def test_wiring() -> None:
                Container(profile="prod").validate()
        """
        self.registry._retry()
        refused = materialise_needed(self)
        errors = refused + [self.registry._reason(error) for error in self._validate()]
        errors.extend(self._value_problems())
        if errors:
            raise ValidationError(errors)

    def graph(self, format: str = "mermaid") -> str:
        """The dependency graph as Mermaid (``"mermaid"``), Graphviz DOT
        (``"dot"``) or an indented text tree (``"tree"``, for a terminal),
        each provider labelled with its lifetime::

            print(container.graph("dot"))
        """
        materialise_needed(self)
        return render_graph(self._providers(), format, getattr(self, "_config_store", None))

    @staticmethod
    def _unresolved(owner: object, unresolved: UnresolvedReference) -> DioxideTypeError:
        return DioxideTypeError(
            f"the annotations of {describe(owner)} refer to '{unresolved.name}', "
            "which is not defined",
            hint=f"define or import '{unresolved.name}' before registering {describe(owner)}",
        )

    def factory(self, cls: type[T]) -> Factory[T]:
        """A callable that builds a new ``cls`` from the arguments you pass,
        resolving the parameters you leave out from this container::

            make_lister = container.factory(MovieLister)
            lister = make_lister("movies.csv")     # its MovieFinder is injected

        See :class:`~dioxide.Factory`; ``scope.factory(cls)`` resolves in a scope.
        """
        return Factory(self, cls, _registry.caller_frame(1))

    if TYPE_CHECKING:

        def create_scope(self, context: Optional[Mapping[Any, object]] = None) -> ContainerScope:
            """Open a scope of the first level (one request, one job). Scoped
            instances are cached in it and finalized when it closes; ``context``
            supplies the context values of its level (see
            :meth:`register_context`)::

                with container.create_scope() as scope:
                    handler = scope.resolve(RequestHandler)

                with container.create_scope(context={CurrentUser: alice}) as scope:
                    ...
            """
            ...

    def __contains__(self, type_: object) -> bool:
        """Whether ``type_`` can be resolved here: a class, an interface an
        implementation provides, or a parametrised generic registered or
        served already (``Repository[User] in container``)."""
        generic = parametrised_generic(type_)
        if generic is not None and not has_type_params(generic):
            type_ = canonical(generic)
        return super().__contains__(type_)

    def __repr__(self) -> str:
        state = "closed" if self.closed else f"{len(self)} providers"
        profile = f" profile={self.profile!r}" if self.profile else ""
        return f"<dioxide.Container{profile} {state}>"


class _Override(AbstractContextManager[None]):
    """The context manager returned by :meth:`Container.override`."""

    def __init__(self, container: Container, entry: Any) -> None:
        self._container = container
        self._entry = entry
        self._token: Optional[int] = None

    def __enter__(self) -> None:
        if self._token is not None:
            raise DioxideTypeError(
                "this override is already active",
                hint="call container.override(...) again for a nested block",
            )
        self._token = self._container._override_push(self._entry)
        # The integrations' choice of worker thread or event loop per type
        # depends on the providers: made again with the replacement.
        self._container._dioxide_offload = None

    def __exit__(
        self,
        exc_type: Optional[type[BaseException]],
        exc: Optional[BaseException],
        tb: Optional[TracebackType],
    ) -> None:
        if self._token is not None:
            self._container._override_pop(self._token)
            self._container._dioxide_offload = None
            self._token = None

