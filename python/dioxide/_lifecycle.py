"""Closing containers and scopes, and ``aresolve``.

The Rust core keeps finalizers in creation order and runs the synchronous
ones; this module only awaits what Rust cannot (async generators and async
provider functions) and raises collected errors together.
"""

from __future__ import annotations

import functools
import sys
import threading
from collections.abc import Awaitable, Callable
from types import TracebackType
from typing import TYPE_CHECKING, Any, Optional, Protocol

from typing_extensions import Self

if TYPE_CHECKING:
    import asyncio
else:
    from dioxide._lazy import asyncio

from dioxide._introspect import describe
from dioxide._dioxide_core import _raise_together
from dioxide.exceptions import CircularDependencyError, ResolutionError, ScopeError

__all__ = ["Closing", "aclose_owner", "aresolve_in"]


class _Owner(Protocol):
    def _begin_close(self) -> bool: ...
    def _finalize(
        self, error: Optional[BaseException] = None
    ) -> tuple[list[BaseException], Optional[tuple[type, Any]]]: ...
    def _release(self) -> None: ...


class Closing:
    """``aclose`` and the async context-manager protocol, shared by
    :class:`Container` and :class:`ContainerScope` (``close`` and the
    synchronous ``with`` are implemented in the Rust core): leaving the block
    closes the owner, and an exception that ended the block is thrown into
    generator providers so they can roll back."""

    __slots__ = ()

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


async def aclose_owner(owner: _Owner, error: Optional[BaseException]) -> None:
    """Run every finalizer, awaiting async generators in their turn."""
    if not owner._begin_close():
        return
    errors: list[BaseException] = []
    # A container closes the scopes still open on it first, newest first.
    open_scopes: Any = getattr(owner, "_open_scopes", None)
    for scope in open_scopes() if open_scopes is not None else ():
        try:
            await scope.aclose(error)
        except BaseException as failure:  # noqa: BLE001 - every finalizer must run
            errors.append(failure)
    while True:
        failed, pending = owner._finalize(error)
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


def _argument(
    keeper: Any, requested: Any, dep: Optional[int], flag: str, prebuilt: dict[int, Any]
) -> Any:
    if flag == "node" and dep is not None:
        return keeper._resolve_prebuilt(requested, prebuilt, dep)
    return [] if flag == "empty" else None


def _subject(provides: object) -> str:
    """How messages name what a provider provides: its class, or ``name()``
    for a decorated provider function (keyed by itself)."""
    name = describe(provides)
    return name if isinstance(provides, type) else f"{name}()"


def _describe(owner: object) -> str:
    return "a scope" if "Scope" in type(owner).__name__ else "the container"


async def aresolve_in(container: Any, scope: Any, type_: Any) -> Any:
    """Resolve ``type_``, first awaiting the async providers it needs.

    The Rust core lists those providers in dependency order; each is built
    here, stored where its lifetime says (container, scope, or just for this
    call) and the rest of the chain is then resolved natively.
    """
    owner = scope if scope is not None else container
    # Values awaited so far, by node index in the plan of ``type_``.
    prebuilt: dict[int, Any] = {}
    # Asked of the owner so that a closed scope refuses before building anything.
    steps: list[_Step] = owner._async_plan(type_)
    scoped = next((step[1] for step in steps if step[4] == "scoped"), None)
    if scoped is not None and scope is None:
        # Refused before anything is built (sync scoped types are refused by Rust).
        raise ScopeError(
            f"{_subject(scoped)} is scoped, "
            "so it can only be resolved inside a scope",
            requested=type_,
            chain=[type_, scoped] if scoped is not type_ else [type_],
            hint="use `async with container.create_scope() as scope: "
            "await scope.aresolve(...)`",
        )
    for index, provides, target, kind, lifetime, args, keeper_name in steps:
        if lifetime == "transient":
            # Built for this call only; a transient that an async singleton
            # holds is finalized with the container, like the singleton.
            keeper = container if keeper_name == "container" else owner
            prebuilt[index] = await _build(keeper, type_, provides, target, kind, args, prebuilt)
            continue
        holder = container if lifetime == "singleton" else scope
        await _build_once(
            holder,
            provides,
            functools.partial(_build, holder, type_, provides, target, kind, args, prebuilt),
        )
    return owner._resolve_prebuilt(type_, prebuilt)


#: One async step of a plan: node index, provided type, provider, kind,
#: lifetime, its arguments as ``(parameter, node index, "node" | "none" |
#: "empty")``, and who keeps it (``"container"`` when a singleton holds it).
_Step = tuple[int, Any, Any, str, str, list[tuple[str, Optional[int], str]], str]


class _Claim:
    """One build of a shared async instance in progress. ``done`` is a
    ``concurrent.futures.Future`` so that callers in any thread and any event
    loop can wait for it without blocking their loop; it carries no value
    (waiters read the built instance from its holder, and find nothing there
    when the build failed, so one of them builds it again)."""

    __slots__ = ("done", "task")

    def __init__(self, task: Optional[asyncio.Task[Any]]) -> None:
        import concurrent.futures  # already imported by asyncio

        self.done: concurrent.futures.Future[None] = concurrent.futures.Future()
        # Running, so that a waiter's cancellation (which cancels the future
        # it waits on through asyncio.wrap_future) cannot cancel it.
        self.done.set_running_or_notify_cancel()
        self.task = task


#: Guards every holder's table of claims; held only to look up or change it.
_claims_lock = threading.Lock()


async def _build_once(holder: Any, provides: Any, build: Callable[[], Awaitable[Any]]) -> None:
    """Build the shared (singleton or scoped) instance of ``provides`` into
    ``holder`` unless it is there: concurrent callers, whatever their thread
    or event loop, wait for the one that builds it. A failed build leaves
    nothing behind, so the next caller builds it again."""
    while holder._cached(provides) is None:
        with _claims_lock:
            claims: dict[Any, _Claim] = holder.__dict__.setdefault("_dioxide_async_claims", {})
            claim = claims.get(provides)
            mine = claim is None
            if claim is None:
                claim = claims[provides] = _Claim(_current_task())
        if not mine:
            if claim.task is not None and claim.task is _current_task():
                raise CircularDependencyError(
                    f"{_subject(provides)} was requested again while its own "
                    "async provider was running",
                    requested=provides,
                    chain=[provides, provides],
                    hint=f"an async provider awaits `aresolve({describe(provides)})` "
                    "(directly or through another provider) while building it; "
                    "inject what it needs as a parameter instead",
                )
            await asyncio.wrap_future(claim.done)
            continue
        try:
            # Built meanwhile by a caller that released its claim between
            # our look at the holder and our claim.
            if holder._cached(provides) is None:
                holder._store(provides, await build())
        finally:
            with _claims_lock:
                del claims[provides]
            claim.done.set_result(None)
        return


def _current_task() -> Optional[asyncio.Task[Any]]:
    try:
        return asyncio.current_task()
    except RuntimeError:  # no running loop
        return None


async def _build(
    keeper: Any,
    requested: Any,
    provides: Any,
    target: Any,
    kind: str,
    args: list[tuple[str, Optional[int], str]],
    prebuilt: dict[int, Any],
) -> Any:
    """Build one async provider of ``requested``'s plan. ``keeper`` (the
    container or a scope) is what the instance lives in: its dependencies are
    resolved there, and an async generator is handed to it to finalize."""
    kwargs = {name: _argument(keeper, requested, dep, flag, prebuilt) for name, dep, flag in args}
    if kind == "async_call":
        return await target(**kwargs)
    generator = target(**kwargs)
    try:
        value = await _first_step(generator)
    except StopAsyncIteration:
        raise ResolutionError(
            f"the async generator provider {'of ' if isinstance(provides, type) else ''}"
            f"{_subject(provides)} "
            "returned without yielding an instance",
            requested=provides,
            chain=[provides],
            hint="an async generator provider must `yield` exactly one instance",
        ) from None
    try:
        keeper._push_async_finalizer(provides, generator)
    except BaseException:
        # The scope closed while the provider ran: nobody would finalize it
        # later, so it is finalized now, the way close() would have.
        await _finish_async_generator(generator, None)
        raise
    return value
