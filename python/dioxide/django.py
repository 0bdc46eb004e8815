"""Django integration: a scope per request (middleware), injected function
and class-based views, injected management commands.

Install with ``pip install 'dioxide[django]'``. In ``settings.py``::

    MIDDLEWARE = [..., "dioxide.django.DioxideMiddleware"]
    DIOXIDE_CONTAINER = "myproject.wiring.container"   # or a Container object

then in views::

    from dioxide.django import Inject, inject

    @inject
    def show_user(request: HttpRequest, user_id: int, users: Inject[UserService]) -> JsonResponse:
        return JsonResponse({"name": users.name_of(user_id)})

    class UserView(View):
        @inject
        def get(self, request: HttpRequest, users: Inject[UserService]) -> HttpResponse: ...

- ``DIOXIDE_CONTAINER`` names the container: a dotted path to a
  :class:`~dioxide.Container` (or to a function returning one, called
  once), or the container itself. :func:`container_of` gives it.
- :class:`DioxideMiddleware` (sync and async) opens a
  :class:`~dioxide.ContainerScope` per request, closed after the response
  has been built (an error the view raised is thrown into generator
  providers so they can roll back). The request (``HttpRequest``) is
  injectable in it.
- ``@inject`` fills ``Inject[T]`` parameters of views, view methods and
  anything called while a request is handled; called outside a request (a
  management command's ``handle``, a script) it opens a scope for that call
  and closes it when the call returns.
"""

from __future__ import annotations

import contextvars
import functools
import inspect
from collections.abc import Awaitable, Callable
from typing import Any, Optional, TypeVar, cast


try:
    from asgiref.sync import iscoroutinefunction, markcoroutinefunction
    from django.conf import settings
    from django.http import HttpRequest, HttpResponseBase
    from django.utils.module_loading import import_string
except ImportError as missing:  # pragma: no cover - exercised in a subprocess
    raise ImportError(
        "dioxide.django needs Django; install it with: pip install 'dioxide[django]'"
    ) from missing

from dioxide._container import Container
from dioxide._inject import INJECT_MARKER
from dioxide._inject import Inject as Inject
from dioxide._integration import (
    CurrentObjects,
    injected_parameters,
)
from dioxide._registry import caller_namespace
from dioxide._scope import ContainerScope
from dioxide.exceptions import DioxideTypeError, ResolutionError

__all__ = ["DioxideMiddleware", "Inject", "container_of", "inject"]

T = TypeVar("T")
R = TypeVar("R")

_CURRENT = CurrentObjects("django")
#: The scope of the request being handled (the middleware's).
_SCOPE: contextvars.ContextVar[Optional[ContainerScope]] = contextvars.ContextVar(
    "dioxide.django.scope", default=None
)


#: The containers dotted paths in DIOXIDE_CONTAINER named (a factory's
#: result, made once).
_NAMED: dict[str, Container] = {}


def container_of() -> Container:
    """The container ``settings.DIOXIDE_CONTAINER`` names::

    container_of().resolve(Settings)
    """
    configured = getattr(settings, "DIOXIDE_CONTAINER", None)
    if configured is None:
        raise ResolutionError(
            "this Django project has no dioxide container",
            hint='set DIOXIDE_CONTAINER = "yourproject.wiring.container" in settings.py',
        )
    found = _NAMED.get(configured) if isinstance(configured, str) else configured
    if found is None:
        found = import_string(configured)
        if not isinstance(found, Container) and callable(found):
            found = found()  # a factory is called once
        if isinstance(found, Container):
            _NAMED[configured] = found
    if not isinstance(found, Container):
        raise DioxideTypeError(
            f"settings.DIOXIDE_CONTAINER names {found!r}, not a dioxide.Container",
            hint="name a Container, or a function that returns one",
        )
    _CURRENT.register(found, HttpRequest)  # once per container: it remembers
    return found


class DioxideMiddleware:
    """A scope per request, for sync and async Django alike::

    MIDDLEWARE = [..., "dioxide.django.DioxideMiddleware"]
    """

    sync_capable = True
    async_capable = True

    def __init__(
        self, get_response: Callable[[HttpRequest], Any]
    ) -> None:
        self.get_response = get_response
        self._async = iscoroutinefunction(get_response)
        if self._async:
            markcoroutinefunction(self)

    def __call__(self, request: HttpRequest) -> Any:
        if self._async:
            return self._acall(request)
        scope = _CURRENT.open(container_of(), request)
        tokens = self._enter(request, scope)
        try:
            response = self.get_response(request)
        except BaseException as error:
            scope.close(error)
            raise
        else:
            scope.close(getattr(request, "_dioxide_error", None))
            return response
        finally:
            self._exit(tokens)

    async def _acall(self, request: HttpRequest) -> HttpResponseBase:
        from dioxide._asgi import run_sync
        from dioxide._integration import aclose_scope

        scope = _CURRENT.open(container_of(), request)
        tokens = self._enter(request, scope)
        try:
            response = await self.get_response(request)
        except BaseException as error:
            await aclose_scope(scope, error, run_sync)
            raise
        else:
            await aclose_scope(scope, getattr(request, "_dioxide_error", None), run_sync)
            return cast(HttpResponseBase, response)
        finally:
            self._exit(tokens)

    def process_exception(self, request: HttpRequest, exception: Exception) -> None:
        """Django turns a view's error into a response: remember it, so the
        scope closes with it (generator providers roll back)."""
        setattr(request, "_dioxide_error", exception)  # noqa: B010

    @staticmethod
    def _enter(request: HttpRequest, scope: ContainerScope) -> Any:
        setattr(request, "dioxide_scope", scope)  # noqa: B010
        return _SCOPE.set(scope)

    @staticmethod
    def _exit(token: Any) -> None:
        _SCOPE.reset(token)


_MARKER = INJECT_MARKER



def inject(function: Callable[..., R]) -> Callable[..., R]:
    """Fill ``function``'s ``Inject[T]`` parameters: from the current
    request's scope inside a request, else from a scope opened for this
    call (a management command, a script)::

        class Command(BaseCommand):
            @inject
            def handle(self, *args: Any, mailer: Inject[Mailer], **options: Any) -> None:
                mailer.send_digest()

    Works on function views, view methods (``get``, ``post``) and
    ``async def`` views. Arguments passed explicitly win over injection.
    """
    localns = caller_namespace(1)
    parameters: Optional[dict[str, Any]] = None

    def wanted(kwargs: dict[str, Any]) -> dict[str, Any]:
        nonlocal parameters
        if parameters is None:
            parameters = injected_parameters(function, _MARKER, localns)
        return {name: t for name, t in parameters.items() if name not in kwargs}

    if inspect.iscoroutinefunction(function):
        async_function = cast(Callable[..., Awaitable[Any]], function)

        @functools.wraps(function)
        async def ainjecting(*args: Any, **kwargs: Any) -> Any:
            needed = wanted(kwargs)
            scope = _SCOPE.get()
            if scope is None and needed:
                async with container_of().create_scope() as own:
                    for name, type_ in needed.items():
                        kwargs[name] = await own.aresolve(type_)
                    return await async_function(*args, **kwargs)
            for name, type_ in needed.items():
                kwargs[name] = await cast(ContainerScope, scope).aresolve(type_)
            return await async_function(*args, **kwargs)

        return cast(Callable[..., R], ainjecting)

    @functools.wraps(function)
    def injecting(*args: Any, **kwargs: Any) -> R:
        needed = wanted(kwargs)
        scope = _SCOPE.get()
        if scope is None and needed:
            with container_of().create_scope() as own:
                for name, type_ in needed.items():
                    kwargs[name] = own.resolve(type_)
                return function(*args, **kwargs)
        for name, type_ in needed.items():
            kwargs[name] = cast(ContainerScope, scope).resolve(type_)
        return function(*args, **kwargs)

    return injecting
