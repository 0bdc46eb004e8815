"""Flask integration: an app extension, a scope per request, injected views.

Install with ``pip install 'dioxide[flask]'``::

    from flask import Flask
    from dioxide import Container
    from dioxide.flask import Dioxide, Inject, inject

    app = Flask(__name__)
    Dioxide(app, Container())

    @app.get("/users/<int:user_id>")
    @inject
    def show_user(user_id: int, users: Inject[UserService]) -> dict[str, str]:
        return {"name": users.name_of(user_id)}

- :class:`Dioxide` is the extension (``Dioxide(app, container)`` or
  ``init_app(app)`` in an app factory); it keeps the container in
  ``app.extensions["dioxide"]``.
- Each request gets a :class:`~dioxide.ContainerScope`, opened on first use
  and closed when the request is torn down, after the response has been
  built (an unhandled exception is thrown into generator providers so they
  can roll back) -- also when an application context is already active
  (``with app.app_context():`` around test requests, pytest-flask). Outside
  a request (a CLI command, ``with app.app_context():``) the application
  context gets a scope, closed with it.
- ``flask.Request`` is injectable: the current request, one per scope.
- ``@inject`` fills the view's ``Inject[T]`` parameters (``Inject`` is
  ``dioxide.Inject``); :func:`resolve`
  asks for one type anywhere inside a request or app context;
  :func:`container_of` gives the container attached to an app.

Flask has no shutdown event, so the extension does not close the container:
close it where the process ends (``with container: app.run()``).
"""

import functools
import inspect
from typing import Any, Callable, Optional, TypeVar

from typing_extensions import ParamSpec, TypeForm

try:
    from flask import Flask, Request, current_app, g, has_app_context, has_request_context
    from flask import request as current_request
except ImportError as missing:  # pragma: no cover - exercised in a subprocess
    raise ImportError(
        "dioxide.flask needs Flask; install it with: pip install 'dioxide[flask]'"
    ) from missing

from dioxide._container import Container
from dioxide._inject import INJECT_MARKER, Inject
from dioxide._integration import CurrentObjects, injected_parameters
from dioxide._introspect import describe
from dioxide._registry import caller_namespace
from dioxide._scope import ContainerScope
from dioxide.exceptions import DioxideTypeError, ScopeError

__all__ = ["Dioxide", "Inject", "container_of", "inject", "resolve"]

T = TypeVar("T")
R = TypeVar("R")
P = ParamSpec("P")

#: The key of the extension in ``app.extensions`` and of the scope in ``g``.
_EXTENSION = "dioxide"
_SCOPE = "_dioxide_scope"

#: The request, a context value of each request's scope.
_CURRENT = CurrentObjects("flask")


class Dioxide:
    """The Flask extension: gives ``app`` a container and a scope per request::

        container = Container()
        app = Flask(__name__)
        Dioxide(app, container)

        # or, in an application factory
        dioxide = Dioxide(container=container)

        def create_app() -> Flask:
            app = Flask(__name__)
            dioxide.init_app(app)
            return app

    Without ``container``, the extension makes a new ``Container()``; either
    way it is ``extension.container``.
    """

    def __init__(self, app: Optional[Flask] = None, container: Optional[Container] = None) -> None:
        if container is not None and not isinstance(container, Container):
            raise DioxideTypeError(
                f"Dioxide(app, container) expects a dioxide.Container, got {container!r}",
                hint="pass the container the app resolves from: Dioxide(app, Container())",
            )
        self.container = container if container is not None else Container()
        if app is not None:
            self.init_app(app)

    def init_app(self, app: Flask) -> None:
        """Register the extension on ``app`` (the app-factory pattern)::

        dioxide = Dioxide(container=container)
        dioxide.init_app(app)
        """
        if _EXTENSION in app.extensions:
            raise DioxideTypeError(
                f"Dioxide.init_app(): {app.name!r} already has a dioxide extension",
                hint="register one extension per app; "
                "use container.override(...) to swap providers",
            )
        app.extensions[_EXTENSION] = self
        _CURRENT.register(self.container, Request)
        app.teardown_request(_close_request_scope)
        app.teardown_appcontext(_close_scope)

    def __repr__(self) -> str:
        return f"<dioxide.flask.Dioxide {self.container!r}>"


def container_of(app: Flask) -> Container:
    """The container attached to ``app`` (by :class:`Dioxide`)::

        container_of(app).resolve(Config)
    """
    extension = app.extensions.get(_EXTENSION)
    if not isinstance(extension, Dioxide):
        raise ScopeError(
            f"the Flask app {app.name!r} has no dioxide extension",
            hint="call Dioxide(app, container) (or dioxide.init_app(app)) "
            "where the app is created",
        )
    return extension.container


def _current_scope() -> ContainerScope:
    """The scope of the current request (else of the application context),
    opened on first use."""
    if has_request_context():
        request = current_request._get_current_object()  # type: ignore[attr-defined]
        scope: Optional[ContainerScope] = request.environ.get(_SCOPE)
        if scope is None:
            scope = _CURRENT.open(container_of(current_app), request)
            request.environ[_SCOPE] = scope
        return scope
    if not has_app_context():
        raise ScopeError(
            "dioxide.flask needs an application context (a request, a CLI command, "
            "or `with app.app_context():`)",
            hint="call resolve() inside a view or an app context",
        )
    context_scope: Optional[ContainerScope] = g.get(_SCOPE)
    if context_scope is None:
        context_scope = container_of(current_app).create_scope()
        setattr(g, _SCOPE, context_scope)
    return context_scope


def _close_request_scope(error: Optional[BaseException]) -> None:
    """Close the request's scope (when one was opened): finalizers run, and
    an unhandled error is thrown into generator providers."""
    scope: Optional[ContainerScope] = current_request.environ.pop(_SCOPE, None)
    if scope is not None:
        scope.close(error)


def _close_scope(error: Optional[BaseException]) -> None:
    """Close the application context's scope (when one was opened)."""
    scope: Optional[ContainerScope] = g.pop(_SCOPE, None)
    if scope is not None:
        scope.close(error)


def resolve(type_: TypeForm[T], /) -> T:
    """Resolve ``type_`` in the current request's scope (or the app context's,
    in a CLI command)::

        @app.post("/signup")
        def signup() -> str:
            resolve(SignupService).signup(request.form["email"])
            return "ok"

    Scoped providers get one instance per request, finalized after it.
    """
    return _current_scope().resolve(type_)


def inject(view: Callable[P, R]) -> Callable[P, R]:
    """Fill the view's ``Inject[T]`` parameters from the request's scope;
    URL variables are passed as usual::

        @app.get("/orders/<int:order_id>")
        @inject
        def show_order(order_id: int, orders: Inject[OrderService]) -> str:
            return orders.describe(order_id)

    Put it below ``@app.route`` (closest to the function). Arguments passed
    explicitly win over injection, so a test can call
    ``show_order(1, orders=FakeOrders())``. The decorated view keeps its
    signature for type checkers (a ``ParamSpec``). Flask runs ``async def``
    views outside the request's event loop, so ``@inject`` takes plain views
    only.
    """
    if inspect.iscoroutinefunction(view):
        raise DioxideTypeError(
            f"@inject takes a plain (def) view, got the coroutine function {describe(view)}",
            hint="make the view a plain `def`, or call dioxide.flask.resolve() inside it",
        )
    localns = caller_namespace(1)
    positional = [
        parameter.name
        for parameter in inspect.signature(view).parameters.values()
        if parameter.kind in (parameter.POSITIONAL_ONLY, parameter.POSITIONAL_OR_KEYWORD)
    ]
    parameters: Optional[dict[str, Any]] = None

    call: Callable[..., R] = view

    @functools.wraps(view)
    def injecting(*args: P.args, **kwargs: P.kwargs) -> R:
        nonlocal parameters
        if parameters is None:
            # Read on first call, so annotations may name classes defined after the view.
            parameters = injected_parameters(view, INJECT_MARKER, localns)
        given = set(positional[: len(args)]).union(kwargs)
        wanted = {name: type_ for name, type_ in parameters.items() if name not in given}
        if not wanted:
            return call(*args, **kwargs)
        scope = _current_scope()
        filled: dict[str, Any] = dict(kwargs)
        for name, type_ in wanted.items():
            filled[name] = scope.resolve(type_)
        return call(*args, **filled)

    return injecting
