"""FastAPI integration: one container per app, one scope per request.

Install with ``pip install 'dioxide[fastapi]'``. Three names::

    from fastapi import FastAPI
    from dioxide import Container
    from dioxide.fastapi import Inject, attach

    app = FastAPI()
    attach(app, Container())          # closed when the app shuts down

    @app.get("/users/{user_id}")
    async def show_user(user_id: int, users: Inject[UserService]) -> dict[str, str]:
        return {"name": users.name_of(user_id)}

- :func:`attach` keeps the container on ``app.state`` and manages it with
  the app's lifespan: each run gets fresh singletons and finalizes them at
  its end (after the app's own lifespan), mounted apps' containers too;
  :func:`container_of` gives it back.
- ``Inject[T]`` (the same object as ``dioxide.Inject``) carries FastAPI's
  ``Depends(...)`` once this module is imported: FastAPI fills the parameter,
  leaves it out of the OpenAPI schema, and lets your own dependencies take it
  too. ``T`` is resolved with its lifetime: scoped providers get one instance
  per request, singletons the container's, transients a new one per parameter.
- :func:`request_scope` is the dependency behind it: the request's
  :class:`~dioxide.ContainerScope`, opened on first use and closed (its
  finalizers run) after the response has been sent. An exception raised by
  the endpoint is thrown into generator providers so they can roll back.

The dependencies are ``async``: cheap providers run inline on the event
loop, and ``async def`` providers work for sync and async endpoints alike.
Blocking work does not stall the loop: a type whose providers include a sync
generator (or one registered ``blocking=True``) is built in a worker thread,
and a request scope with synchronous finalizers is closed in one.
"""

from collections.abc import AsyncIterator, Coroutine
from typing import Any, Callable, TypeVar

from typing_extensions import Annotated

try:
    from fastapi import Depends, FastAPI
    from fastapi.requests import HTTPConnection
except ImportError as missing:  # pragma: no cover - exercised in a subprocess
    raise ImportError(
        "dioxide.fastapi needs FastAPI; install it with: pip install 'dioxide[fastapi]'"
    ) from missing

from dioxide._container import Container
from dioxide._inject import Inject, _add_metadata
from dioxide._asgi import run_sync
from dioxide._integration import aclose_scope, aresolve_in
from dioxide._introspect import describe
from dioxide._scope import ContainerScope
from dioxide.exceptions import ResolutionError
from dioxide import starlette as _starlette
from dioxide.starlette import container_of

__all__ = ["Inject", "attach", "container_of", "request_scope"]

T = TypeVar("T")


def attach(app: FastAPI, container: Container) -> None:
    """Serve ``app``'s ``Inject[...]`` parameters from ``container``, and
    manage the container with the app's lifespan (an existing lifespan keeps
    working, inside)::

        container = Container()
        app = FastAPI(lifespan=my_lifespan)
        attach(app, container)

    Each lifespan run gets fresh singletons and finalizes what it built when
    it ends (after the app's own lifespan), so an app can start several
    times: every ``with TestClient(app):`` of a test suite works. Containers
    attached to mounted sub-applications are finalized with the app (a
    mounted app's own lifespan never runs). Without a lifespan run
    (``TestClient(app)`` outside a ``with`` block) nothing closes it; close
    it yourself then. :func:`container_of` gives it back.
    """
    _starlette.attach(app, container)


def _container_of(connection: HTTPConnection) -> Container:
    try:
        return container_of(connection.app)
    except ResolutionError:
        raise ResolutionError(
            "this FastAPI app has no dioxide container",
            hint="call dioxide.fastapi.attach(app, container) where the app is created",
        ) from None


async def request_scope(connection: HTTPConnection) -> AsyncIterator[ContainerScope]:
    """The current request's scope, as a FastAPI dependency: opened the first
    time a request needs it, shared by every ``Inject[...]`` of that request,
    and closed after the response has been sent (its synchronous finalizers
    in a worker thread)::

        from fastapi import Depends

        @app.get("/report/{kind}")
        async def report(
            kind: str, scope: Annotated[ContainerScope, Depends(request_scope)]
        ) -> str:
            exporter = await scope.aresolve(EXPORTERS[kind])
            return exporter.render()

    Use it to resolve a type chosen at run time; for a type known in the
    signature, ``Inject[T]`` says the same more briefly. The request (or
    websocket) is injectable in this scope: ``Inject[Request]``, or a
    provider that takes a ``Request``.
    """
    scope = _starlette.CURRENT.open(_container_of(connection), connection)
    try:
        yield scope
    except BaseException as error:
        await aclose_scope(scope, error, run_sync)
        raise
    else:
        await aclose_scope(scope, None, run_sync)


def _resolver(type_: Any) -> Callable[..., Coroutine[Any, Any, Any]]:
    """The FastAPI dependency that resolves ``type_`` in the request's scope
    (in a worker thread when building it blocks)."""

    async def resolve(scope: Annotated[ContainerScope, Depends(request_scope)]) -> Any:
        return await aresolve_in(scope, type_, _starlette.POLICY, run_sync)

    resolve.__name__ = resolve.__qualname__ = f"inject_{describe(type_)}"
    return resolve



def _depends(type_: Any) -> Any:
    """What ``Inject[T]`` carries for FastAPI: the dependency resolving ``T``
    in the request's scope, not cached per request (the scope applies ``T``'s
    lifetime)."""
    return Depends(_resolver(type_), use_cache=False)


# ``Inject`` is ``dioxide.Inject``: from now on, ``Inject[T]`` also carries
# FastAPI's ``Depends``, so FastAPI fills the parameter and leaves it out of
# the request and the OpenAPI schema.
_add_metadata(_depends)
