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
- ``Inject[T]`` is ``Annotated[T, Depends(...)]``: FastAPI fills the parameter,
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
from typing import TYPE_CHECKING, Any, Callable, TypeVar

from typing_extensions import Annotated

try:
    from fastapi import Depends, FastAPI
    from fastapi.requests import HTTPConnection
except ImportError as missing:  # pragma: no cover - exercised in a subprocess
    raise ImportError(
        "dioxide.fastapi needs FastAPI; install it with: pip install 'dioxide[fastapi]'"
    ) from missing

from dioxide._container import Container
from dioxide._asgi import run_sync
from dioxide._integration import aclose_scope, aresolve_in
from dioxide._introspect import describe
from dioxide._scope import ContainerScope
from dioxide.exceptions import DioxideTypeError, ResolutionError
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
    scope = _container_of(connection).create_scope()
    token = _starlette.CURRENT.set(_starlette.connection_types(connection))
    try:
        yield scope
    except BaseException as error:
        await aclose_scope(scope, error, run_sync)
        raise
    else:
        await aclose_scope(scope, None, run_sync)
    finally:
        try:
            _starlette.CURRENT.reset(token)
        except ValueError:  # pragma: no cover - reset from another context
            pass


def _resolver(type_: Any) -> Callable[..., Coroutine[Any, Any, Any]]:
    """The FastAPI dependency that resolves ``type_`` in the request's scope
    (in a worker thread when building it blocks)."""

    async def resolve(scope: Annotated[ContainerScope, Depends(request_scope)]) -> Any:
        return await aresolve_in(scope, type_, _starlette.POLICY, run_sync)

    resolve.__name__ = resolve.__qualname__ = f"inject_{describe(type_)}"
    return resolve

if TYPE_CHECKING:
    Inject = Annotated[T, "dioxide.fastapi.Inject"]
else:

    class Inject:
        """``Inject[T]`` marks an endpoint (or dependency) parameter to be
        resolved from the app's container; type checkers see plain ``T``::

            @app.post("/signup")
            def signup(form: SignupForm, service: Inject[SignupService]) -> None:
                service.signup(form.email)

            # composes with FastAPI's own dependencies
            def current_user(
                token: Annotated[str, Header()], users: Inject[UserRepository]
            ) -> User:
                return users.by_token(token)

        It stands for ``Annotated[T, Depends(...)]``, so the parameter is not
        part of the request and does not appear in the OpenAPI schema.
        Every ``Inject[T]`` asks the request scope, which applies ``T``'s
        lifetime: one instance per request for scoped providers, the
        container's for singletons, a new one per parameter for transients.
        """

        def __new__(cls, *args: Any, **kwargs: Any) -> Any:
            raise DioxideTypeError(
                "Inject is used as a type annotation, not called",
                hint="annotate the parameter: `service: Inject[UserService]`",
            )

        def __class_getitem__(cls, type_: Any) -> Any:
            return Annotated[type_, Depends(_resolver(type_), use_cache=False)]
