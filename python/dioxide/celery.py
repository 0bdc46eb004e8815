"""Celery integration: a scope per task run, injected task functions.

Install with ``pip install 'dioxide[celery]'``::

    from celery import Celery
    from dioxide import Container
    from dioxide.celery import Inject, inject, setup

    app = Celery("jobs", broker="redis://")
    setup(app, Container())

    @app.task
    @inject
    def send_digest(user_id: int, mailer: Inject[Mailer]) -> None:
        mailer.send_digest(user_id)

    send_digest.delay(7)          # the caller passes user_id only

- :func:`setup` attaches the container to the app (:func:`container_of`
  gives it back) and closes it when the worker shuts down.
- ``@inject`` (below ``@app.task``) opens a
  :class:`~dioxide.ContainerScope` for each run of the task, fills the
  ``Inject[T]`` parameters from it and closes it when the run ends (an
  error is thrown into generator providers so they can roll back; a retry
  is a new run). The ``Inject[T]`` parameters are hidden from the task's
  signature, so Celery's argument check and callers see only the others.
- The task's request (``celery.app.task.Context``: id, retries, headers) is
  injectable in the run's scope.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Optional, TypeVar

from typing_extensions import Annotated

try:
    from celery import Celery, current_task
    from celery.app.task import Context
    from celery.signals import worker_shutdown
except ImportError as missing:  # pragma: no cover - exercised in a subprocess
    raise ImportError(
        "dioxide.celery needs Celery; install it with: pip install 'dioxide[celery]'"
    ) from missing

from dioxide._container import Container
from dioxide._integration import (
    CurrentObjects,
    InjectMarker,
    check_container,
    inject_parameter_names,
    injected_parameters,
    make_inject,
    without_parameters,
    wrapped_signature,
)
from dioxide._registry import caller_namespace
from dioxide.exceptions import DioxideTypeError, ResolutionError

__all__ = ["Inject", "container_of", "inject", "setup"]

T = TypeVar("T")
R = TypeVar("R")

_ATTRIBUTE = "dioxide_container"
_CURRENT = CurrentObjects("celery")


def setup(app: Celery, container: Container) -> None:
    """Resolve ``app``'s injected tasks from ``container``, closed when the
    worker shuts down::

        app = Celery("jobs")
        setup(app, Container())
    """
    check_container(container, "setup(app, container)")
    if getattr(app, _ATTRIBUTE, None) is not None:
        raise DioxideTypeError(
            "setup(): this Celery app already has a dioxide container",
            hint="set up one container per app; use container.override(...) to swap providers",
        )
    setattr(app, _ATTRIBUTE, container)
    _CURRENT.register(container, Context)

    def close(sender: Any = None, **_: Any) -> None:
        if getattr(sender, "app", app) is app:  # this app's worker
            container.close()

    worker_shutdown.connect(close, weak=False)
    setattr(app, "_dioxide_close", close)  # noqa: B010 - keeps the receiver with the app


def container_of(app: Celery) -> Container:
    """The container :func:`setup` gave ``app``."""
    container = getattr(app, _ATTRIBUTE, None)
    if not isinstance(container, Container):
        raise ResolutionError(
            f"the Celery app {app.main!r} has no dioxide container",
            hint="call dioxide.celery.setup(app, container) where the app is created",
        )
    return container


_MARKER = InjectMarker("celery")

if TYPE_CHECKING:
    Inject = Annotated[T, _MARKER]
else:
    Inject = make_inject(_MARKER)


def inject(function: Callable[..., R]) -> Callable[..., R]:
    """A scope per run of the task, its ``Inject[T]`` parameters filled from
    it; put it below ``@app.task``::

        @app.task(bind=True)
        @inject
        def charge(self: Task, order_id: int, payments: Inject[PaymentPort]) -> None: ...

    Arguments passed explicitly win over injection (handy to call the
    function directly in a unit test).
    """
    localns = caller_namespace(1)
    parameters: Optional[dict[str, Any]] = None

    @functools.wraps(function)
    def injecting(*args: Any, **kwargs: Any) -> R:
        nonlocal parameters
        if parameters is None:
            parameters = injected_parameters(function, _MARKER, localns)
        wanted = {name: t for name, t in parameters.items() if name not in kwargs}
        if not wanted:
            return function(*args, **kwargs)
        if not current_task:  # the proxy of no task is false
            raise ResolutionError(
                f"{function.__qualname__} is not running as a Celery task",
                hint="call it through the task (.delay(), .apply()) or pass the injected "
                "arguments explicitly",
            )
        task = current_task._get_current_object()
        token = _CURRENT.set({Context: task.request})
        try:
            with container_of(task.app).create_scope() as scope:
                for name, type_ in wanted.items():
                    kwargs[name] = scope.resolve(type_)
                result = function(*args, **kwargs)
        finally:
            _CURRENT.reset(token)
        return result

    hidden = inject_parameter_names(function, _MARKER, localns)
    wrapped_signature(injecting, without_parameters(function, hidden))
    return injecting
