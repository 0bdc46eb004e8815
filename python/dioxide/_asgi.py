"""A request scope per ASGI connection, for any ASGI framework (Starlette,
FastAPI, Litestar): opened before the app handles an HTTP request or a
websocket, closed after the response has been sent. No framework import;
blocking finalizers run through anyio's worker threads (anyio comes with
every ASGI framework dioxide integrates)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Mapping, MutableMapping
from contextlib import asynccontextmanager
from typing import Any, Optional, TypeVar

from dioxide._container import Container
from dioxide._integration import CurrentObjects, aclose_scope
from dioxide._lifecycle import aclose_owner
from dioxide._scope import ContainerScope
from dioxide.exceptions import ScopeError

__all__ = ["ERROR_KEY", "SCOPE_KEY", "ScopeMiddleware", "lifespan_runs", "run_sync", "scope_of"]

R = TypeVar("R")

#: Where the request's scope is kept in the ASGI scope (mounted apps see it).
SCOPE_KEY = "dioxide.scope"

#: Where a framework hook records an error it turned into a response, so
#: that generator providers roll back rather than commit.
ERROR_KEY = "dioxide.error"

Message = MutableMapping[str, Any]
ASGIApp = Callable[..., Any]


async def run_sync(call: Callable[[], R]) -> R:
    """``call()`` in a worker thread (anyio's, which ASGI frameworks use for
    sync endpoints too), with the caller's context variables."""
    import anyio.to_thread

    return await anyio.to_thread.run_sync(call)


class ScopeMiddleware:
    """ASGI middleware: one :class:`~dioxide.ContainerScope` per HTTP request
    and websocket, kept in the ASGI scope under :data:`SCOPE_KEY`, closed
    after the app returned (an error it raised is thrown into generator
    providers). ``current`` makes the connection's objects (the framework's
    request) injectable in it."""

    def __init__(
        self,
        app: ASGIApp,
        container_for: Callable[[MutableMapping[str, Any]], Container],
        current: CurrentObjects,
        objects: Callable[[MutableMapping[str, Any], Any, Any], Mapping[type, object]],
    ) -> None:
        self.app = app
        self._container_for = container_for
        self._current = current
        self._objects = objects

    async def __call__(self, scope: MutableMapping[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        container = self._container_for(scope)
        outer = scope.get(SCOPE_KEY)
        if outer is not None and outer._container is container:
            await self.app(scope, receive, send)  # a mounted app of the same container
            return
        request_scope = container.create_scope()
        scope[SCOPE_KEY] = request_scope
        token = self._current.set(self._objects(scope, receive, send))
        try:
            await self.app(scope, receive, send)
        except BaseException as error:
            await aclose_scope(request_scope, error, run_sync)
            raise
        else:
            # A framework that turns errors into responses records them here.
            handled = scope.pop(ERROR_KEY, None)
            await aclose_scope(request_scope, handled, run_sync)
        finally:
            self._current.reset(token)
            if outer is not None:
                scope[SCOPE_KEY] = outer


def scope_of(asgi_scope: Mapping[str, Any]) -> ContainerScope:
    """The request scope the middleware opened for this connection."""
    found = asgi_scope.get(SCOPE_KEY)
    if not isinstance(found, ContainerScope):
        raise ScopeError(
            "this request has no dioxide scope",
            hint="add dioxide's middleware to the app (see the integration's docs)",
        )
    return found


@asynccontextmanager
async def lifespan_runs(containers: list[Container]) -> AsyncIterator[None]:
    """One run of an app's lifespan: ``containers`` are opened again if an
    earlier run closed them (fresh singletons), and finalized at the end of
    this run, newest first (a mounted app's may use its parent's)."""
    for container in containers:
        if container.closed:
            container._reopen()
    error: Optional[BaseException] = None
    try:
        yield
    except BaseException as raised:
        error = raised
        raise
    finally:
        for container in reversed(containers):
            await aclose_owner(container, error, run_sync)
