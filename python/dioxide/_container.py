"""The :class:`Container`: where providers are registered and resolved."""

from __future__ import annotations

import inspect
from types import TracebackType
from typing import TYPE_CHECKING, Any, Callable, Optional, TypeVar

from typing_extensions import Self, TypeForm

from dioxide._dioxide_core import _RustContainer
from dioxide._introspect import (
    UnresolvedReference,
    callable_dependencies,
    class_dependencies,
    describe,
)
from dioxide._kinds import class_kind, factory_kind
from dioxide._lifecycle import aclose_owner, aresolve_in, close_owner
from dioxide._registry import DECORATED, caller_namespace, retry_pending
from dioxide._scope import ContainerScope, Scope
from dioxide.exceptions import DioxideTypeError

__all__ = ["Container"]

T = TypeVar("T")


def _require_class(obj: object, what: str) -> None:
    if not isinstance(obj, type):
        raise DioxideTypeError(
            f"{what} expects a class, got {obj!r} ({type(obj).__name__})",
            hint="pass the class itself, e.g. UserService, not an instance or a string",
        )


def _check_scope(scope: object, what: str) -> Scope:
    if isinstance(scope, Scope):
        return scope
    raise DioxideTypeError(
        f"{what}: scope must be a dioxide.Scope, got {scope!r}",
        hint="use Scope.TRANSIENT, Scope.SINGLETON or Scope.SCOPED",
    )


def _is_instance(instance: object, type_: type) -> Optional[bool]:
    """``isinstance``, or None when the type cannot be checked at runtime
    (a Protocol that is not ``@runtime_checkable``)."""
    try:
        return isinstance(instance, type_)
    except TypeError:
        return None


def _is_subclass(cls: type, type_: type) -> Optional[bool]:
    try:
        return issubclass(cls, type_)
    except TypeError:
        return None


class Container(_RustContainer):
    """Registers providers and resolves types into wired instances.

    A new container sees every class decorated with ``@component``,
    ``@singleton`` or ``@provider`` (including those decorated later) and
    adds its own registrations on top; containers never share registrations
    or singletons::

        container = Container()
        container.register_instance(Config, Config(dsn="sqlite://"))
        service = container.resolve(UserService)

    ``resolve`` runs in the Rust core: the constructor chain is compiled once
    per type into a plan and executed without Python-level overhead.
    """

    def __new__(cls) -> Self:
        retry_pending()
        instance: Self = super().__new__(cls, DECORATED)
        return instance

    if TYPE_CHECKING:

        def resolve(self, type_: TypeForm[T], /) -> T:
            """Build or fetch the instance of ``type_``, with its dependencies::

            service = container.resolve(UserService)
            port = container.resolve(PaymentPort)  # a Protocol or ABC works too
            """
            ...

    async def aresolve(self, type_: TypeForm[T], /) -> T:
        """Like :meth:`resolve`, awaiting ``async def`` and async generator
        providers on the way (concurrent calls build a singleton once)::

            client = await container.aresolve(HttpClient)
        """
        result: T = await aresolve_in(self, None, type_)
        return result

    def register_instance(self, type_: type[T], instance: T) -> None:
        """Provide ``type_`` with an existing object (a singleton by nature)::

        container.register_instance(Config, Config(dsn="postgres://..."))
        """
        _require_class(type_, "register_instance()")
        if _is_instance(instance, type_) is False:
            raise DioxideTypeError(
                f"register_instance({describe(type_)}, ...) got an instance of "
                f"{type(instance).__name__}, which is not a {describe(type_)}",
                requested=type_,
                chain=[type_],
                hint=f"pass a {describe(type_)} instance, or register it under its own type",
            )
        self._register([(type_, instance, Scope.SINGLETON.value, "instance", [], None)])

    def register_class(
        self,
        type_: type[T],
        cls: Optional[type[T]] = None,
        *,
        scope: Scope = Scope.TRANSIENT,
        lifecycle: bool = False,
    ) -> None:
        """Provide ``type_`` by constructing ``cls`` (default: ``type_``
        itself), its ``__init__`` parameters injected from their type hints::

            container.register_class(PaymentPort, StripeGateway, scope=Scope.SINGLETON)
        """
        _require_class(type_, "register_class()")
        implementation = type_ if cls is None else cls
        _require_class(implementation, "register_class()")
        checked = _check_scope(scope, "register_class()")
        if _is_subclass(implementation, type_) is False:
            raise DioxideTypeError(
                f"register_class({describe(type_)}, {describe(implementation)}): "
                f"{describe(implementation)} is not a subclass of {describe(type_)}",
                requested=type_,
                chain=[type_],
                hint=f"register a class that implements {describe(type_)}",
            )
        kind = class_kind(implementation, lifecycle)
        try:
            deps = class_dependencies(implementation, caller_namespace(1))
        except UnresolvedReference as unresolved:
            raise self._unresolved(implementation, unresolved) from None
        self._register([(type_, implementation, checked.value, kind, deps, None)])

    def register_factory(
        self,
        type_: type[T],
        factory: Callable[..., Any],
        *,
        scope: Scope = Scope.TRANSIENT,
    ) -> None:
        """Provide ``type_`` by calling ``factory``; its parameters are injected
        from their type hints. Generator factories are finalized on close::

            def connect(config: Config) -> Iterator[Database]:
                db = Database(config.dsn)
                yield db
                db.close()

            container.register_factory(Database, connect, scope=Scope.SINGLETON)
        """
        _require_class(type_, "register_factory()")
        checked = _check_scope(scope, "register_factory()")
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
        if not (inspect.isfunction(target) or inspect.ismethod(target)):
            target = getattr(factory, "__call__", factory)  # noqa: B004 - callable objects
        try:
            deps = callable_dependencies(target, caller_namespace(1))
        except UnresolvedReference as unresolved:
            raise self._unresolved(factory, unresolved) from None
        self._register([(type_, factory, checked.value, factory_kind(target), deps, None)])

    @staticmethod
    def _unresolved(owner: object, unresolved: UnresolvedReference) -> DioxideTypeError:
        return DioxideTypeError(
            f"the annotations of {describe(owner)} refer to '{unresolved.name}', "
            "which is not defined",
            hint=f"define or import '{unresolved.name}' before registering {describe(owner)}",
        )

    def create_scope(self) -> ContainerScope:
        """Open a scope (one request, one job). Scoped instances are cached
        in it and finalized when it closes::

            with container.create_scope() as scope:
                handler = scope.resolve(RequestHandler)
        """
        return ContainerScope(self)

    def close(self, error: Optional[BaseException] = None) -> None:
        """Run every finalizer (generator providers, ``lifecycle=True``
        classes) newest first, then release the singletons. Errors from
        finalizers are raised together once all have run."""
        close_owner(self, error)

    async def aclose(self, error: Optional[BaseException] = None) -> None:
        """Like :meth:`close`, awaiting async generator finalizers in turn."""
        await aclose_owner(self, error)

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: Optional[type[BaseException]],
        exc: Optional[BaseException],
        tb: Optional[TracebackType],
    ) -> None:
        self.close(exc)

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: Optional[type[BaseException]],
        exc: Optional[BaseException],
        tb: Optional[TracebackType],
    ) -> None:
        await self.aclose(exc)

    def __repr__(self) -> str:
        state = "closed" if self.closed else f"{len(self)} providers"
        return f"<dioxide.Container {state}>"
