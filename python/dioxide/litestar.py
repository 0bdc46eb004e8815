"""Litestar integration: a plugin that gives an app a container and a scope
per request, and dioxide-built objects as Litestar dependencies.

Install with ``pip install 'dioxide[litestar]'``::

    from litestar import Litestar, get
    from dioxide import Container
    from dioxide.litestar import DioxidePlugin, provide

    @get("/users/{user_id:int}")
    async def show_user(user_id: int, users: UserService) -> dict[str, str]:
        return {"name": users.name_of(user_id)}

    app = Litestar(
        [show_user],
        dependencies={"users": provide(UserService)},
        plugins=[DioxidePlugin(Container())],
    )

The bridge goes both ways:

- dioxide into Litestar: :func:`provide` makes a Litestar ``Provide`` for a
  type, resolved in the request's scope; use it wherever Litestar takes
  dependencies (app, router, controller, handler), next to your own.
- Litestar into dioxide: the current ``Request`` (or ``WebSocket``,
  ``ASGIConnection``) is injectable in the request's scope, so a provider
  can take it (a current user read from the headers).

:class:`DioxidePlugin` adds an ASGI middleware that opens a
:class:`~dioxide.ContainerScope` per request (closed after the response,
its synchronous finalizers in a worker thread) and manages the container
with the app's lifespan: each run gets fresh singletons and finalizes them
at its end. :func:`container_of` gives the container attached to an app.
"""

from __future__ import annotations

from collections.abc import MutableMapping
from typing import Any

try:
    from litestar import Litestar, Request, WebSocket
    from litestar.config.app import AppConfig
    from litestar.connection import ASGIConnection
    from litestar.di import Provide
    from litestar.plugins import InitPluginProtocol
except ImportError as missing:  # pragma: no cover - exercised in a subprocess
    raise ImportError(
        "dioxide.litestar needs Litestar; install it with: pip install 'dioxide[litestar]'"
    ) from missing

from dioxide._asgi import ERROR_KEY, ScopeMiddleware, lifespan_runs, run_sync, scope_of
from dioxide._container import Container
from dioxide._integration import BlockingPolicy, CurrentObjects, aresolve_in, check_container
from dioxide._introspect import describe
from dioxide.exceptions import ResolutionError

__all__ = ["DioxidePlugin", "container_of", "provide"]

_STATE_KEY = "dioxide_container"
_CURRENT = CurrentObjects("litestar")
_POLICY = BlockingPolicy()
_CONNECTION_TYPES = (Request, WebSocket, ASGIConnection)


def _connection_types(connection: ASGIConnection[Any, Any, Any, Any]) -> dict[type, object]:
    return {base: connection for base in type(connection).__mro__ if isinstance(base, type)}


def _connection_of(
    scope: MutableMapping[str, Any], receive: Any, send: Any
) -> dict[type, object]:
    if scope["type"] == "websocket":
        return _connection_types(WebSocket(scope, receive, send))  # type: ignore[arg-type]
    return _connection_types(Request(scope, receive, send))  # type: ignore[arg-type]


class DioxidePlugin(InitPluginProtocol):
    """Gives the app ``container``: a request scope per HTTP request and
    websocket (an ASGI middleware), the container opened and finalized with
    each run of the app's lifespan, and the container in ``app.state``::

        app = Litestar(route_handlers, plugins=[DioxidePlugin(container)])
    """

    def __init__(self, container: Container) -> None:
        self.container = check_container(container, "DioxidePlugin(container)")
        _CURRENT.register(self.container, *_CONNECTION_TYPES)

    def on_app_init(self, app_config: AppConfig) -> AppConfig:
        container = self.container

        def middleware(app: Any) -> Any:
            return ScopeMiddleware(app, lambda scope: container, _CURRENT, _connection_of)

        app_config.middleware.insert(0, middleware)
        app_config.lifespan.append(lambda app: lifespan_runs([container]))
        app_config.after_exception.append(_record_error)
        setattr(app_config.state, _STATE_KEY, container)
        return app_config


async def _record_error(error: BaseException, scope: Any) -> None:
    """Litestar turns a handler's error into a response: remember it so the
    request scope closes with it (generator providers roll back)."""
    scope[ERROR_KEY] = error


def container_of(app: Litestar) -> Container:
    """The container the :class:`DioxidePlugin` gave ``app``."""
    container = getattr(app.state, _STATE_KEY, None)
    if not isinstance(container, Container):
        raise ResolutionError(
            "this Litestar app has no dioxide container",
            hint="add plugins=[DioxidePlugin(container)] where the app is created",
        )
    return container


def provide(type_: Any) -> Provide:
    """A Litestar dependency that resolves ``type_`` in the request's scope
    (its lifetime applies: one per request for scoped providers)::

        app = Litestar(handlers, dependencies={"users": provide(UserService)},
                       plugins=[DioxidePlugin(container)])

        @get("/users/{user_id:int}")
        async def show_user(user_id: int, users: UserService) -> dict[str, str]: ...
    """

    async def resolve(request: ASGIConnection[Any, Any, Any, Any]) -> Any:
        token = _CURRENT.set(_connection_types(request))
        try:
            return await aresolve_in(scope_of(request.scope), type_, _POLICY, run_sync)
        finally:
            _CURRENT.reset(token)

    resolve.__name__ = resolve.__qualname__ = f"provide_{describe(type_)}"
    return Provide(resolve, use_cache=False)


