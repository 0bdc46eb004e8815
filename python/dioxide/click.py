"""Click integration: a scope per command invocation, ``Inject[T]``
parameters filled from the container.

Install with ``pip install 'dioxide[click]'``::

    import click
    from dioxide import Container
    from dioxide.click import Inject, setup

    @click.group()
    def cli() -> None: ...

    @cli.command()
    @click.argument("user_id", type=int)
    def show(user_id: int, users: Inject[UserService]) -> None:
        click.echo(users.name_of(user_id))

    setup(cli, Container())      # after the commands are defined

- :func:`setup` wraps the callback of the command and of every subcommand
  that has ``Inject[T]`` parameters: each invocation runs in its own
  :class:`~dioxide.ContainerScope`, closed when the callback returns (an
  error is thrown into generator providers). Only the options and arguments
  you declare are part of the command line; ``Inject[T]`` parameters are
  not.
- The container lives as long as one run of the command line: it is
  opened (again) when a run starts and closed, its singletons finalized,
  when the run's root context closes, so a ``CliRunner`` can invoke the
  same command many times.
- ``click.Context`` (the current one) is injectable in the scope;
  :func:`container_of` gives the container of a command.
"""

from __future__ import annotations

import functools
import inspect
import typing
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, Optional, TypeVar

from typing_extensions import Annotated

try:
    import click
except ImportError as missing:  # pragma: no cover - exercised in a subprocess
    raise ImportError(
        "dioxide.click needs Click; install it with: pip install 'dioxide[click]'"
    ) from missing

from dioxide._container import Container
from dioxide._integration import (
    CurrentObjects,
    InjectMarker,
    check_container,
    injected_parameters,
    make_inject,
)
from dioxide.exceptions import ResolutionError

__all__ = ["Inject", "container_of", "setup"]

T = TypeVar("T")

_ATTRIBUTE = "dioxide_container"
_RUN_KEY = "dioxide.run"
_CURRENT = CurrentObjects("click")
_MARKER = InjectMarker("click")

if TYPE_CHECKING:
    Inject = Annotated[T, _MARKER]
else:
    Inject = make_inject(_MARKER)


def setup(command: click.Command, container: Container) -> None:
    """Fill ``Inject[T]`` parameters of ``command`` and its subcommands
    (recursively) from ``container``, a scope per invocation. Call it once
    the commands are defined."""
    check_container(container, "setup(command, container)")
    setattr(command, _ATTRIBUTE, container)
    _CURRENT.register(container, click.Context)
    wrap_commands(command, container, _MARKER)


def container_of(command: click.Command) -> Container:
    """The container :func:`setup` gave ``command``."""
    container = getattr(command, _ATTRIBUTE, None)
    if not isinstance(container, Container):
        raise ResolutionError(
            f"the command {command.name!r} has no dioxide container",
            hint="call setup(command, container) once the commands are defined",
        )
    return container


def wrap_commands(command: click.Command, container: Container, marker: InjectMarker) -> None:
    """Wrap the callbacks of ``command`` and its subcommands that have
    ``Inject[T]`` parameters (with ``marker``)."""
    callback = command.callback
    if callback is not None and not getattr(callback, "_dioxide_injecting", False):
        wanted = injected_parameters(callback, marker, {})
        if wanted:
            command.callback = injecting(callback, wanted, container, click.get_current_context)
    if isinstance(command, click.Group):
        for sub in command.commands.values():
            wrap_commands(sub, container, marker)



def injecting(
    callback: Callable[..., Any],
    wanted: Mapping[str, Any],
    container: Container,
    current_context: Callable[[], Any],
    context_types: tuple[type, ...] = (click.Context,),
) -> Callable[..., Any]:
    """``callback`` run in a scope of its own, ``wanted`` resolved in it;
    ``current_context`` gives the running command's context (Click's, or
    Typer's own), injectable as each of ``context_types``."""

    @functools.wraps(callback)
    def run(*args: Any, **kwargs: Any) -> Any:
        context = current_context()
        _open_for_run(context, container)
        token = _CURRENT.set(dict.fromkeys(context_types, context))
        try:
            with container.create_scope() as scope:
                for name, type_ in wanted.items():
                    if name not in kwargs:
                        kwargs[name] = scope.resolve(type_)
                return callback(*args, **kwargs)
        finally:
            _CURRENT.reset(token)

    setattr(run, "_dioxide_injecting", True)  # noqa: B010
    return run


def _open_for_run(context: Any, container: Container) -> None:
    """The container, opened for this run of the command line (again, if an
    earlier run closed it) and closed when the run's root context closes."""
    root = context.find_root()
    if root.meta.get(_RUN_KEY) is container:
        return
    if container.closed:
        container._reopen()
    root.meta[_RUN_KEY] = container
    root.call_on_close(container.close)


def visible_signature(callback: Callable[..., Any], hidden: set[str]) -> inspect.Signature:
    """``callback``'s signature without ``hidden``, annotations evaluated
    (so a framework reading the wrapper sees real types)."""
    hints: Optional[dict[str, Any]]
    try:
        hints = typing.get_type_hints(callback, include_extras=True)
    except NameError:
        hints = None
    parameters = []
    for parameter in inspect.signature(callback).parameters.values():
        if parameter.name in hidden:
            continue
        if hints is not None and parameter.name in hints:
            parameter = parameter.replace(annotation=hints[parameter.name])
        parameters.append(parameter)
    return_annotation = inspect.signature(callback).return_annotation
    if hints is not None and "return" in hints:
        return_annotation = hints["return"]
    return inspect.Signature(parameters, return_annotation=return_annotation)
