"""aiohttp integration: a container per application, a scope per request,
injected handlers.

Install with ``pip install 'dioxide[aiohttp]'``::

    from aiohttp import web
    from dioxide import Container
    from dioxide.aiohttp import Inject, inject, setup

    @inject
    async def show_user(request: web.Request, users: Inject[UserService]) -> web.Response:
        return web.json_response({"name": users.name_of(int(request.match_info["id"]))})

    app = web.Application()
    app.router.add_get("/users/{id}", show_user)
    setup(app, Container())

- :func:`setup` adds a middleware that opens a
  :class:`~dioxide.ContainerScope` per request (closed once the handler's
  response is ready; an error the handler raised is thrown into generator
  providers so they can roll back) and a cleanup context that opens the
  container at startup and finalizes it at cleanup (sub-applications too).
- ``web.Request`` is injectable in the request's scope.
- ``@inject`` fills a handler's ``Inject[T]`` parameters; :func:`container_of`
  gives the container of an application, :func:`request_scope` a request's
  scope.

Blocking work stays off the event loop: a type whose providers include a
sync generator (or one registered ``blocking=True``) is built in a worker
thread, and a scope with synchronous finalizers is closed in one.
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import TYPE_CHECKING, Any, Optional, TypeVar

from typing_extensions import Annotated

try:
    from aiohttp import web
except ImportError as missing:  # pragma: no cover - exercised in a subprocess
    raise ImportError(
        "dioxide.aiohttp needs aiohttp; install it with: pip install 'dioxide[aiohttp]'"
    ) from missing

from dioxide._container import Container
from dioxide._integration import (
    BlockingPolicy,
    CurrentObjects,
    InjectMarker,
    aclose_scope,
    aresolve_in,
    check_container,
    injected_parameters,
    make_inject,
)
from dioxide._lifecycle import aclose_owner
from dioxide._registry import caller_namespace
from dioxide._scope import ContainerScope
from dioxide.exceptions import DioxideTypeError, ResolutionError, ScopeError

__all__ = ["Inject", "container_of", "inject", "request_scope", "setup"]

T = TypeVar("T")
R = TypeVar("R")

_CONTAINER: web.AppKey[Container] = web.AppKey("dioxide_container", Container)
# Typed request keys (aiohttp >= 3.13); a string key before that.
_SCOPE: Any = (
    web.RequestKey("dioxide_scope", ContainerScope)
    if hasattr(web, "RequestKey")
    else "dioxide_scope"
)
_CURRENT = CurrentObjects("aiohttp")
_POLICY = BlockingPolicy()


async def _run_sync(call: Callable[[], R]) -> R:
    """``call()`` in the default executor, with the caller's context."""
    return await asyncio.to_thread(call)


def setup(app: web.Application, container: Container) -> None:
    """Give ``app`` ``container``: a scope per request, the container opened
    at startup and finalized at cleanup::

        app = web.Application()
        setup(app, Container())
    """
    check_container(container, "setup(app, container)")
    if _CONTAINER in app:
        raise DioxideTypeError(
            "setup(): this app already has a dioxide container",
            hint="set up one container per app; use container.override(...) to swap providers",
        )
    app[_CONTAINER] = container
    _CURRENT.register(container, web.Request, web.BaseRequest)
    app.middlewares.append(_scope_middleware)
    app.cleanup_ctx.append(functools.partial(_lifetime, container=container))


async def _lifetime(app: web.Application, container: Container) -> AsyncIterator[None]:
    if container.closed:
        container._reopen()
    yield
    await aclose_owner(container, None, _run_sync)


def container_of(app: web.Application) -> Container:
    """The container :func:`setup` gave ``app``."""
    container = app.get(_CONTAINER)
    if container is None:
        raise ResolutionError(
            "this aiohttp app has no dioxide container",
            hint="call dioxide.aiohttp.setup(app, container) where the app is created",
        )
    return container


@web.middleware
async def _scope_middleware(
    request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
) -> web.StreamResponse:
    if _SCOPE in request:  # a sub-application's middleware of the same request
        return await handler(request)
    scope = container_of(request.app).create_scope()
    request[_SCOPE] = scope
    token = _CURRENT.set({web.Request: request, web.BaseRequest: request})
    try:
        response = await handler(request)
    except BaseException as error:
        await aclose_scope(scope, error, _run_sync)
        raise
    else:
        await aclose_scope(scope, None, _run_sync)
        return response
    finally:
        _CURRENT.reset(token)


def request_scope(request: web.Request) -> ContainerScope:
    """The scope the middleware opened for ``request``::

    session = await request_scope(request).aresolve(DbSession)
    """
    scope = request.get(_SCOPE)
    if not isinstance(scope, ContainerScope):
        raise ScopeError(
            "this request has no dioxide scope",
            hint="call dioxide.aiohttp.setup(app, container) on the app serving it",
        )
    return scope


_MARKER = InjectMarker("aiohttp")

if TYPE_CHECKING:
    Inject = Annotated[T, _MARKER]
else:
    Inject = make_inject(_MARKER)


def inject(
    handler: Callable[..., Awaitable[R]],
) -> Callable[[web.Request], Awaitable[R]]:
    """Fill the handler's ``Inject[T]`` parameters from the request's scope::

        @inject
        async def show(request: web.Request, users: Inject[UserService]) -> web.Response:
            ...

    The handler keeps its first parameter, the request.
    """
    localns = caller_namespace(1)
    parameters: Optional[dict[str, Any]] = None

    @functools.wraps(handler)
    async def injecting(request: web.Request) -> R:
        nonlocal parameters
        if parameters is None:
            parameters = injected_parameters(handler, _MARKER, localns)
        scope = request_scope(request)
        values = {
            name: await aresolve_in(scope, type_, _POLICY, _run_sync)
            for name, type_ in parameters.items()
        }
        return await handler(request, **values)

    return injecting
