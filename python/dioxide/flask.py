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
- Each application context, so each request, gets a
  :class:`~dioxide.ContainerScope`, opened on first use and closed when the
  context is torn down, after the response has been built (an unhandled
  exception is thrown into generator providers so they can roll back).
- ``@inject`` fills the view's ``Inject[T]`` parameters (``Inject`` is
  ``dioxide.Inject``); :func:`resolve`
  asks for one type anywhere inside a request or app context.

Flask has no shutdown event, so the extension does not close the container:
close it where the process ends (``with container: app.run()``).
"""

import functools
import inspect
import typing
from typing import Any, Callable, Mapping, Optional, TypeVar

from typing_extensions import TypeForm, get_args

try:
    from flask import Flask, current_app, g, has_app_context
except ImportError as missing:  # pragma: no cover - exercised in a subprocess
    raise ImportError(
        "dioxide.flask needs Flask; install it with: pip install 'dioxide[flask]'"
    ) from missing

from dioxide._container import Container
from dioxide._inject import Inject, is_inject
from dioxide._introspect import describe
from dioxide._registry import caller_namespace
from dioxide._scope import ContainerScope
from dioxide.exceptions import DioxideTypeError, ScopeError

__all__ = ["Dioxide", "Inject", "inject", "resolve"]

T = TypeVar("T")
R = TypeVar("R")

#: The key of the extension in ``app.extensions`` and of the scope in ``g``.
_EXTENSION = "dioxide"
_SCOPE = "_dioxide_scope"


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
        app.teardown_appcontext(_close_scope)

    def __repr__(self) -> str:
        return f"<dioxide.flask.Dioxide {self.container!r}>"


def _current_scope() -> ContainerScope:
    """The scope of the current application context, opened on first use."""
    if not has_app_context():
        raise ScopeError(
            "dioxide.flask needs an application context (a request, a CLI command, "
            "or `with app.app_context():`)",
            hint="call resolve() inside a view or an app context",
        )
    scope: Optional[ContainerScope] = g.get(_SCOPE)
    if scope is None:
        extension = current_app.extensions.get(_EXTENSION)
        if not isinstance(extension, Dioxide):
            raise ScopeError(
                f"the Flask app {current_app.name!r} has no dioxide extension",
                hint="call Dioxide(app, container) (or dioxide.init_app(app)) "
                "where the app is created",
            )
        scope = extension.container.create_scope()
        setattr(g, _SCOPE, scope)
    return scope


def _close_scope(error: Optional[BaseException]) -> None:
    """Close the context's scope (when one was opened): finalizers run, and an
    unhandled error is thrown into generator providers."""
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


def _injected(view: Callable[..., Any], localns: Mapping[str, Any]) -> dict[str, Any]:
    """The parameters of ``view`` annotated ``Inject[T]``, with their ``T``."""
    try:
        hints = typing.get_type_hints(view, localns=dict(localns), include_extras=True)
    except NameError as undefined:
        raise DioxideTypeError(
            f"the annotations of {describe(view)} cannot be evaluated: {undefined}",
            hint="define or import every annotated type before the view runs",
        ) from None
    found: dict[str, Any] = {}
    for name, hint in hints.items():
        if name != "return" and is_inject(hint):
            found[name] = get_args(hint)[0]
    return found


def inject(view: Callable[..., R]) -> Callable[..., R]:
    """Fill the view's ``Inject[T]`` parameters from the request's scope;
    URL variables are passed as usual::

        @app.get("/orders/<int:order_id>")
        @inject
        def show_order(order_id: int, orders: Inject[OrderService]) -> str:
            return orders.describe(order_id)

    Put it below ``@app.route`` (closest to the function). Arguments passed
    explicitly win over injection, so a test can call
    ``show_order(1, orders=FakeOrders())``. Flask runs ``async def`` views
    outside the request's event loop, so ``@inject`` takes plain views only.
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

    @functools.wraps(view)
    def injecting(*args: Any, **kwargs: Any) -> R:
        nonlocal parameters
        if parameters is None:
            # Read on first call, so annotations may name classes defined after the view.
            parameters = _injected(view, localns)
        given = set(positional[: len(args)]).union(kwargs)
        wanted = {name: type_ for name, type_ in parameters.items() if name not in given}
        if wanted:
            scope = _current_scope()
            for name, type_ in wanted.items():
                kwargs[name] = scope.resolve(type_)
        return view(*args, **kwargs)

    return injecting
