"""Starlette (and any ASGI app) integration: a container per app, a scope per
request, injected endpoints.

Install with ``pip install 'dioxide[starlette]'``::

    from starlette.applications import Starlette
    from starlette.middleware import Middleware
    from starlette.routing import Route
    from dioxide import Container
    from dioxide.starlette import DioxideMiddleware, Inject, attach, inject

    @inject
    async def show_user(request: Request, users: Inject[UserService]) -> JSONResponse:
        return JSONResponse({"name": users.name_of(request.path_params["id"])})

    app = Starlette(routes=[Route("/users/{id:int}", show_user)],
                    middleware=[Middleware(DioxideMiddleware)])
    attach(app, Container())

- :func:`attach` keeps the container on ``app.state`` and manages it with
  the app's lifespan: each run of the lifespan gets fresh singletons and
  finalizes them at its end (an app can start several times, as tests do);
  mounted sub-applications' containers are finalized with it.
- :class:`DioxideMiddleware` (plain ASGI) opens a
  :class:`~dioxide.ContainerScope` per HTTP request or websocket, closed
  after the response has been sent; ``Request``/``WebSocket``/
  ``HTTPConnection`` are injectable in it.
- ``@inject`` fills an endpoint's ``Inject[T]`` parameters from that scope.
- :func:`container_of` gives the container attached to an app.

Blocking work stays off the event loop: a type whose providers include a
sync generator (or one registered ``blocking=True``) is built in a worker
thread, and a scope with synchronous finalizers is closed in one; plain
constructors run inline.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Mapping
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING, Any, Optional, TypeVar, cast

from typing_extensions import Annotated

try:
    from starlette.applications import Starlette
    from starlette.requests import HTTPConnection, Request
    from starlette.routing import Host, Mount
    from starlette.types import ASGIApp, Lifespan, Receive, Scope, Send
    from starlette.websockets import WebSocket
except ImportError as missing:  # pragma: no cover - exercised in a subprocess
    raise ImportError(
        "dioxide.starlette needs Starlette; install it with: pip install 'dioxide[starlette]'"
    ) from missing

from dioxide._container import Container
from dioxide._integration import (
    BlockingPolicy,
    CurrentObjects,
    InjectMarker,
    aresolve_in,
    check_container,
    injected_parameters,
    make_inject,
    missing_container,
)
from dioxide._asgi import SCOPE_KEY, ScopeMiddleware, lifespan_runs, run_sync, scope_of
from dioxide._registry import caller_namespace
from dioxide._scope import ContainerScope
from dioxide.exceptions import DioxideTypeError

__all__ = ["SCOPE_KEY", "DioxideMiddleware", "Inject", "attach", "container_of", "inject", "request_scope"]

T = TypeVar("T")
R = TypeVar("R")

#: Where :func:`attach` keeps the container (``app.state.dioxide_container``).
STATE_ATTRIBUTE = "dioxide_container"

#: The per-connection objects, injectable in the request's scope.
CURRENT = CurrentObjects("starlette")
#: Which types are built in a worker thread.
POLICY = BlockingPolicy()


def attach(app: Starlette, container: Container) -> None:
    """Serve ``app``'s injections from ``container`` and manage it with the
    app's lifespan (an existing lifespan keeps working, inside)::

        app = Starlette(routes=routes, middleware=[Middleware(DioxideMiddleware)])
        attach(app, Container())

    Each lifespan run gets fresh singletons and finalizes what it built when
    it ends, so the app can start again (a second ``with TestClient(app):``
    works). Containers attached to mounted sub-applications are finalized
    with it (a mounted app's own lifespan never runs). Without a lifespan
    run (``TestClient(app)`` outside ``with``) close the container yourself.
    """
    check_container(container, "attach(app, container)")
    if getattr(app.state, STATE_ATTRIBUTE, None) is not None:
        raise DioxideTypeError(
            "attach(): this app already has a dioxide container",
            hint="attach one container per app; use container.override(...) to swap providers",
        )
    setattr(app.state, STATE_ATTRIBUTE, container)
    CURRENT.register(container, Request, WebSocket, HTTPConnection)
    app.router.lifespan_context = _managing(app.router.lifespan_context)


def container_of(app: Any) -> Container:
    """The container attached to ``app`` (a Starlette or FastAPI app) by
    :func:`attach`::

        container_of(app).resolve(Settings)
    """
    container = getattr(getattr(app, "state", None), STATE_ATTRIBUTE, None)
    if not isinstance(container, Container):
        raise missing_container(
            f"the app {app!r}", "call attach(app, container) where the app is created"
        )
    return container


def _containers(app: Any, found: list[Container]) -> list[Container]:
    """The containers of ``app`` and of the apps mounted in it, each once."""
    own = getattr(getattr(app, "state", None), STATE_ATTRIBUTE, None)
    if isinstance(own, Container) and not any(own is c for c in found):
        found.append(own)
    for route in getattr(app, "routes", ()):
        if isinstance(route, (Mount, Host)):
            _containers(route.app, found)
    return found


def _managing(inner: Lifespan[Any]) -> Lifespan[Any]:
    """``inner`` wrapped: each run opens the containers (again) before it
    and finalizes what they built after it (also when startup or shutdown
    fails: the error is thrown into finalizers)."""

    @asynccontextmanager
    async def lifespan(app: Any) -> AsyncIterator[Optional[Mapping[str, Any]]]:
        async with lifespan_runs(_containers(app, [])):
            async with inner(app) as state:
                yield state

    return cast("Lifespan[Any]", lifespan)


def _connection(scope: Scope, receive: Receive, send: Send) -> Mapping[type, object]:
    """The connection's objects, made on first use."""
    return _Connection(scope, receive, send)


class _Connection(Mapping[type, object]):
    """``Request``/``WebSocket``/``HTTPConnection`` for the current
    connection, made when first asked for."""

    __slots__ = ("_scope", "_receive", "_send", "_made")

    def __init__(self, scope: Scope, receive: Receive, send: Send) -> None:
        self._scope = scope
        self._receive = receive
        self._send = send
        self._made: Optional[HTTPConnection] = None

    def __getitem__(self, type_: type) -> object:
        if self._made is None:
            if self._scope["type"] == "websocket":
                self._made = WebSocket(self._scope, self._receive, self._send)
            else:
                self._made = Request(self._scope, self._receive, self._send)
        if isinstance(self._made, type_):
            return self._made
        raise KeyError(type_)

    def __iter__(self) -> Iterator[type]:
        return iter((HTTPConnection,))

    def __len__(self) -> int:
        return 1


class DioxideMiddleware(ScopeMiddleware):
    """ASGI middleware: a :class:`~dioxide.ContainerScope` per HTTP request
    and websocket, closed after the response has been sent (an error raised
    by the app is thrown into generator providers so they can roll back)::

        app = Starlette(routes=routes, middleware=[Middleware(DioxideMiddleware)])
        attach(app, container)

    It resolves from ``container`` when given, else from the container
    attached to the app serving the request. Any ASGI app can use it with an
    explicit container: ``DioxideMiddleware(asgi_app, container=container)``.
    """

    def __init__(self, app: ASGIApp, container: Optional[Container] = None) -> None:
        if container is None:
            container_for: Callable[[Any], Container] = lambda scope: container_of(scope.get("app"))
        else:
            fixed = check_container(container, "DioxideMiddleware")
            CURRENT.register(fixed, Request, WebSocket, HTTPConnection)
            container_for = lambda scope: fixed
        super().__init__(app, container_for, CURRENT, _connection)


def connection_types(connection: HTTPConnection) -> dict[type, object]:
    """``connection`` under each of its classes (``Request``, ``HTTPConnection``)."""
    return {base: connection for base in type(connection).__mro__ if isinstance(base, type)}


def request_scope(connection: HTTPConnection) -> ContainerScope:
    """The scope :class:`DioxideMiddleware` opened for ``connection``::

        session = await request_scope(request).aresolve(DbSession)
    """
    return scope_of(connection.scope)


_MARKER = InjectMarker("starlette")

if TYPE_CHECKING:
    Inject = Annotated[T, _MARKER]
else:
    Inject = make_inject(_MARKER)
    Inject.__doc__ = """``Inject[T]`` marks an endpoint parameter that :func:`inject`
    fills from the request's scope; type checkers see plain ``T``."""


async def resolve_all(scope: ContainerScope, wanted: Mapping[str, Any]) -> dict[str, Any]:
    """Each of ``wanted``'s types resolved in ``scope`` (blocking ones in a
    worker thread), by parameter name."""
    return {
        name: await aresolve_in(scope, type_, POLICY, run_sync)
        for name, type_ in wanted.items()
    }


def inject(endpoint: Callable[..., Any]) -> Callable[..., Awaitable[Any]]:
    """Fill the endpoint's ``Inject[T]`` parameters from the request's scope;
    the endpoint keeps its first parameter (the ``Request`` or ``WebSocket``)::

        @inject
        async def show(request: Request, users: Inject[UserService]) -> Response:
            ...

    A plain ``def`` endpoint runs in a worker thread, as Starlette does.
    Arguments passed explicitly win over injection.
    """
    localns = caller_namespace(1)
    parameters: Optional[dict[str, Any]] = None
    is_async = inspect.iscoroutinefunction(endpoint)

    @functools.wraps(endpoint)
    async def injecting(connection: HTTPConnection, *args: Any, **kwargs: Any) -> Any:
        nonlocal parameters
        if parameters is None:
            parameters = injected_parameters(endpoint, _MARKER, localns)
        wanted = {n: t for n, t in parameters.items() if n not in kwargs}
        # The endpoint's own request object is the one injected.
        token = CURRENT.set(connection_types(connection))
        try:
            if wanted:
                kwargs.update(await resolve_all(request_scope(connection), wanted))
            if is_async:
                return await endpoint(connection, *args, **kwargs)
            call = functools.partial(endpoint, connection, *args, **kwargs)
            return await run_sync(call)
        finally:
            CURRENT.reset(token)

    return injecting
