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

- :func:`attach` keeps the container on ``app.state`` and closes it (awaiting
  async finalizers) after the app's own lifespan has ended.
- ``Inject[T]`` (the same object as ``dioxide.Inject``) carries FastAPI's
  ``Depends(...)`` once this module is imported: FastAPI fills the parameter,
  leaves it out of the OpenAPI schema, and lets your own dependencies take it
  too. ``T`` is resolved with its lifetime: scoped providers get one instance
  per request, singletons the container's, transients a new one per parameter.
- :func:`request_scope` is the dependency behind it: the request's
  :class:`~dioxide.ContainerScope`, opened on first use and closed (its
  finalizers run) after the response has been sent. An exception raised by
  the endpoint is thrown into generator providers so they can roll back.

The dependencies are ``async``, so providers run on the event loop, and
``async def`` providers work for sync and async endpoints alike.
"""

from collections.abc import AsyncIterator, Coroutine, Mapping
from contextlib import asynccontextmanager
from typing import Any, Callable, Optional, TypeVar, cast

from typing_extensions import Annotated

try:
    from fastapi import Depends, FastAPI
    from fastapi.requests import HTTPConnection
    from starlette.types import Lifespan
except ImportError as missing:  # pragma: no cover - exercised in a subprocess
    raise ImportError(
        "dioxide.fastapi needs FastAPI; install it with: pip install 'dioxide[fastapi]'"
    ) from missing

from dioxide._container import Container
from dioxide._inject import Inject, _add_metadata
from dioxide._introspect import describe
from dioxide._scope import ContainerScope
from dioxide.exceptions import DioxideTypeError, ResolutionError

__all__ = ["Inject", "attach", "request_scope"]

T = TypeVar("T")

#: Where :func:`attach` keeps the container (``app.state.dioxide_container``).
_STATE_ATTRIBUTE = "dioxide_container"


def attach(app: FastAPI, container: Container) -> None:
    """Serve ``app``'s ``Inject[...]`` parameters from ``container``, and close
    the container when the app shuts down (after the app's own lifespan)::

        container = Container()
        app = FastAPI(lifespan=my_lifespan)   # an existing lifespan keeps working
        attach(app, container)

    The container lives as long as the app: start the app once per container
    (in tests, make a new app and container per test, or share both for the
    whole session). Without a lifespan run (``TestClient(app)`` outside a
    ``with`` block) nothing closes it; close it yourself then. A mounted
    sub-application resolves from the container attached to it.
    """
    if not isinstance(container, Container):
        raise DioxideTypeError(
            f"attach(app, container) expects a dioxide.Container, got {container!r}",
            hint="pass the container the app should resolve from, e.g. attach(app, Container())",
        )
    if getattr(app.state, _STATE_ATTRIBUTE, None) is not None:
        raise DioxideTypeError(
            "attach(): this app already has a dioxide container",
            hint="attach one container per app; use container.override(...) to swap providers",
        )
    setattr(app.state, _STATE_ATTRIBUTE, container)
    app.router.lifespan_context = _closing(app.router.lifespan_context, container)


def _closing(inner: "Lifespan[Any]", container: Container) -> "Lifespan[Any]":
    """``inner`` wrapped so that ``container`` closes once it has ended (also
    when startup or shutdown fails: the error is thrown into finalizers)."""

    @asynccontextmanager
    async def lifespan(app: Any) -> AsyncIterator[Optional[Mapping[str, Any]]]:
        async with container:
            async with inner(app) as state:
                yield state

    return cast("Lifespan[Any]", lifespan)


def _container_of(connection: HTTPConnection) -> Container:
    container = getattr(connection.app.state, _STATE_ATTRIBUTE, None)
    if not isinstance(container, Container):
        raise ResolutionError(
            "this FastAPI app has no dioxide container",
            hint="call dioxide.fastapi.attach(app, container) where the app is created",
        )
    return container


async def request_scope(connection: HTTPConnection) -> AsyncIterator[ContainerScope]:
    """The current request's scope, as a FastAPI dependency: opened the first
    time a request needs it, shared by every ``Inject[...]`` of that request,
    and closed after the response has been sent::

        from fastapi import Depends

        @app.get("/report/{kind}")
        async def report(
            kind: str, scope: Annotated[ContainerScope, Depends(request_scope)]
        ) -> str:
            exporter = await scope.aresolve(EXPORTERS[kind])
            return exporter.render()

    Use it to resolve a type chosen at run time; for a type known in the
    signature, ``Inject[T]`` says the same more briefly.
    """
    async with _container_of(connection).create_scope() as scope:
        yield scope


def _resolver(type_: Any) -> Callable[..., Coroutine[Any, Any, Any]]:
    """The FastAPI dependency that resolves ``type_`` in the request's scope."""

    async def resolve(scope: Annotated[ContainerScope, Depends(request_scope)]) -> Any:
        return await scope.aresolve(type_)

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
