"""Typer integration: a scope per command invocation, ``Inject[T]``
parameters filled from the container and hidden from the command line.

Install with ``pip install 'dioxide[typer]'``::

    import typer
    from dioxide import Container
    from dioxide.typer import Inject, setup

    app = typer.Typer()

    @app.command()
    def show(user_id: int, users: Inject[UserService]) -> None:
        typer.echo(users.name_of(user_id))

    setup(app, Container())      # after the commands are defined

- :func:`setup` wraps every command (and callback, and sub-app) that has
  ``Inject[T]`` parameters: Typer builds the command line from the other
  parameters only (``--help`` shows no ``users``); each invocation runs in
  its own :class:`~dioxide.ContainerScope`, closed when the command returns.
- The container is opened for each run of the command line and closed when
  the run ends (so ``CliRunner`` can invoke the app many times).
- ``typer.Context`` (the current one) is injectable in the scope;
  :func:`container_of` gives the container of an app.
"""

from __future__ import annotations

import importlib
import inspect
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

from typing_extensions import Annotated

try:
    import typer
except ImportError as missing:  # pragma: no cover - exercised in a subprocess
    raise ImportError(
        "dioxide.typer needs Typer; install it with: pip install 'dioxide[typer]'"
    ) from missing

from dioxide._container import Container
from dioxide._integration import (
    CurrentObjects,
    InjectMarker,
    check_container,
    injected_parameters,
    make_inject,
)
from dioxide.click import _CURRENT as _CLICK_CURRENT
from dioxide.click import injecting, visible_signature
from dioxide.exceptions import ResolutionError

__all__ = ["Inject", "container_of", "setup"]

T = TypeVar("T")

_ATTRIBUTE = "dioxide_container"
_MARKER = InjectMarker("typer")
_CURRENT: CurrentObjects = _CLICK_CURRENT

if TYPE_CHECKING:
    Inject = Annotated[T, _MARKER]
else:
    Inject = make_inject(_MARKER)


def setup(app: typer.Typer, container: Container) -> None:
    """Fill ``Inject[T]`` parameters of ``app``'s commands, callbacks and
    sub-apps (recursively) from ``container``, a scope per invocation, and
    hide them from the command line. Call it once the commands are defined.
    """
    check_container(container, "setup(app, container)")
    setattr(app, _ATTRIBUTE, container)
    _CURRENT.register(container, typer.Context)
    _wrap_app(app, container)


def container_of(app: typer.Typer) -> Container:
    """The container :func:`setup` gave ``app``."""
    container = getattr(app, _ATTRIBUTE, None)
    if not isinstance(container, Container):
        raise ResolutionError(
            "this Typer app has no dioxide container",
            hint="call setup(app, container) once the commands are defined",
        )
    return container


def _current_context() -> Any:
    """The running command's context: Typer's own, from Typer >= 0.25
    (which carries its own copy of Click), else Click's."""
    contexts: Any
    try:
        contexts = importlib.import_module("typer._click.globals")
    except ImportError:  # pragma: no cover - Typer on the click package
        contexts = importlib.import_module("click.globals")
    return contexts.get_current_context()


def _wrap_app(app: typer.Typer, container: Container) -> None:
    for command in app.registered_commands:
        command.callback = _wrapped(command.callback, container)
    if app.registered_callback is not None:
        info = app.registered_callback
        info.callback = _wrapped(info.callback, container)
    for group in app.registered_groups:
        if group.callback is not None:
            group.callback = _wrapped(group.callback, container)
        if group.typer_instance is not None:
            _wrap_app(group.typer_instance, container)


def _wrapped(callback: Any, container: Container) -> Any:
    if not inspect.isfunction(callback) or getattr(callback, "_dioxide_injecting", False):
        return callback  # None, Typer's placeholder, or wrapped already
    wanted = injected_parameters(callback, _MARKER, {})
    if not wanted:
        return callback
    run: Callable[..., Any] = injecting(callback, wanted, container, _current_context, (typer.Context,))
    signature = visible_signature(callback, set(wanted))
    setattr(run, "__signature__", signature)  # noqa: B010
    run.__annotations__ = {
        p.name: p.annotation for p in signature.parameters.values()
    } | {"return": signature.return_annotation}
    del run.__wrapped__  # type: ignore[attr-defined]
    return run


