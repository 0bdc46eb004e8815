"""Closing containers and scopes, and what ``aresolve`` needs of asyncio.

The Rust core keeps finalizers in creation order and runs the synchronous
ones; ``aclose`` awaits the async generators among them in their turn and
raises collected errors together. ``aresolve`` runs in the Rust core (the
executor of ``resolve``, suspended on awaitables); it calls back here only
to start async generators away from the event loop's hooks and to wait for
an instance another task or thread is building.
"""

from __future__ import annotations

import functools
import sys
from collections.abc import Awaitable, Callable
from types import TracebackType
from typing import TYPE_CHECKING, Any, Optional, Protocol

if TYPE_CHECKING:
    from typing_extensions import Self

    import asyncio
else:
    from dioxide._lazy import asyncio

from dioxide._introspect import describe
from dioxide._dioxide_core import _raise_together

__all__ = ["Closing", "RunSync", "aclose_owner", "task_token"]


class _Owner(Protocol):
    def _begin_close(self) -> bool: ...
    def _finalize(
        self, error: Optional[BaseException] = None
    ) -> tuple[list[BaseException], Optional[tuple[type, Any]]]: ...
    def _release(self) -> None: ...


def _is_private(name: str) -> bool:
    return name.startswith("_") and not (name.startswith("__") and name.endswith("__"))


class Closing:
    """``aclose``, the async context-manager protocol and ``dir()``, shared
    by :class:`Container` and :class:`ContainerScope` (``close`` and the
    synchronous ``with`` are implemented in the Rust core): leaving the block
    closes the owner, and an exception that ended the block is thrown into
    generator providers so they can roll back."""

    __slots__ = ()

    def __dir__(self) -> list[str]:
        """The public API only: the Rust core's private methods stay out of
        ``dir()`` and completion."""
        return sorted(name for name in super().__dir__() if not _is_private(name))

    if TYPE_CHECKING:

        def _begin_close(self) -> bool: ...
        def _finalize(
            self, error: Optional[BaseException] = None
        ) -> tuple[list[BaseException], Optional[tuple[type, Any]]]: ...
        def _release(self) -> None: ...

    async def aclose(self, error: Optional[BaseException] = None) -> None:
        """Like :meth:`close`, awaiting async generator finalizers in turn."""
        await aclose_owner(self, error)

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: Optional[type[BaseException]],
        exc: Optional[BaseException],
        tb: Optional[TracebackType],
    ) -> None:
        await self.aclose(exc)


#: Runs a blocking call away from the event loop (in a worker thread) and
#: gives its result: how integrations close scopes without blocking the loop.
RunSync = Callable[[Callable[[], Any]], Awaitable[Any]]


async def aclose_owner(
    owner: _Owner, error: Optional[BaseException], run_sync: Optional[RunSync] = None
) -> None:
    """Run every finalizer, awaiting async generators in their turn; with
    ``run_sync``, the synchronous finalizers run through it (in a worker
    thread) instead of on the event loop."""
    if not owner._begin_close():
        return
    errors: list[BaseException] = []
    # A container closes the scopes still open on it first, newest first.
    open_scopes: Any = getattr(owner, "_open_scopes", None)
    for scope in open_scopes() if open_scopes is not None else ():
        try:
            await aclose_owner(scope, error, run_sync)
        except BaseException as failure:  # noqa: BLE001 - every finalizer must run
            errors.append(failure)
    while True:
        if run_sync is None:
            failed, pending = owner._finalize(error)
        else:
            failed, pending = await run_sync(functools.partial(owner._finalize, error))
        errors.extend(failed)
        if pending is None:
            break
        provides, generator = pending
        try:
            await _finish_async_generator(generator, error)
        except BaseException as failure:  # noqa: BLE001 - every finalizer must run
            if hasattr(failure, "add_note"):
                failure.add_note(
                    f"dioxide: raised while finalizing {_subject(provides)}"
                )
            errors.append(failure)
    owner._release()
    _raise_together(errors, _describe(owner))


async def _finish_async_generator(generator: Any, error: Optional[BaseException]) -> None:
    try:
        if error is not None:
            await generator.athrow(error)
        else:
            await generator.__anext__()
    except StopAsyncIteration:
        return
    except BaseException as raised:
        if raised is error:
            return
        raise
    await generator.aclose()
    raise RuntimeError(
        "an async generator provider yielded more than once; it must yield exactly one instance"
    )


def _first_step(generator: Any) -> Awaitable[Any]:
    """``generator.__anext__()``, kept from the running event loop.

    An async generator registers with the loop's async generator hooks when
    it is first stepped (the call, not the await), and the loop then closes it
    when it shuts down: ``asyncio.run`` would close a singleton it built as it
    returns. Generators dioxide starts are finalized by their container or
    scope instead, so they are started with no hooks installed."""
    hooks = sys.get_asyncgen_hooks()
    sys.set_asyncgen_hooks(firstiter=None, finalizer=None)
    try:
        step: Awaitable[Any] = generator.__anext__()
    finally:
        sys.set_asyncgen_hooks(firstiter=hooks.firstiter, finalizer=hooks.finalizer)
    return step


def _subject(provides: object) -> str:
    """How messages name what a provider provides: its class, or ``name()``
    for a decorated provider function (keyed by itself)."""
    name = describe(provides)
    return name if isinstance(provides, type) else f"{name}()"


def _describe(owner: object) -> str:
    return "a scope" if "Scope" in type(owner).__name__ else "the container"


def _waiter() -> tuple[asyncio.Future[None], Callable[[], None]]:
    """A future of the running event loop, and a callable that completes it
    from any thread: how a task waits for a shared instance that another
    task or thread is building (the Rust core calls ``wake`` when that build
    ends, either way)."""
    loop = asyncio.get_running_loop()
    future: asyncio.Future[None] = loop.create_future()

    def wake() -> None:
        try:
            loop.call_soon_threadsafe(_settle, future)
        except RuntimeError:
            pass  # the loop is closed: its tasks are gone

    return future, wake


def _settle(future: asyncio.Future[None]) -> None:
    if not future.done():
        future.set_result(None)


def task_token() -> int:
    """Identifies the running task: the Rust core tells a task that waits
    for its own build (a cycle) from one that waits for another's."""
    task = asyncio.current_task()
    return id(task) if task is not None else 0
