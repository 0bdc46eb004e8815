"""Closing containers and scopes, and ``aresolve``.

The Rust core keeps finalizers in creation order and runs the synchronous
ones; this module only awaits what Rust cannot (async generators and async
provider functions) and raises collected errors together.
"""

from __future__ import annotations

import asyncio
import sys
from typing import Any, Optional, Protocol

from dioxide.exceptions import ResolutionError, ScopeError

__all__ = ["aclose_owner", "aresolve_in", "close_owner", "raise_together"]


class _Owner(Protocol):
    def _begin_close(self) -> bool: ...
    def _finalize(
        self, error: Optional[BaseException] = None
    ) -> tuple[list[BaseException], Optional[tuple[type, Any]]]: ...
    def _release(self) -> None: ...


def raise_together(errors: list[BaseException], what: str) -> None:
    """Raise finalizer errors as one: an ``ExceptionGroup`` on Python 3.11+;
    before that, the first error with the others listed in its notes."""
    if not errors:
        return
    message = f"{len(errors)} finalizer(s) failed while closing {what}"
    if sys.version_info >= (3, 11):
        raise BaseExceptionGroup(message, errors)
    first = errors[0]  # pragma: no cover - Python < 3.11 only
    notes = list(getattr(first, "__notes__", []))  # pragma: no cover
    notes.append(message + ": " + ", ".join(repr(e) for e in errors[1:]))  # pragma: no cover
    first.__notes__ = notes  # type: ignore[attr-defined]  # pragma: no cover
    raise first  # pragma: no cover


def close_owner(owner: _Owner, error: Optional[BaseException]) -> None:
    """Run every finalizer of a container or scope, newest first."""
    if not owner._begin_close():
        return
    errors: list[BaseException] = []
    while True:
        failed, pending = owner._finalize(error)
        errors.extend(failed)
        if pending is None:
            break
        provides, generator = pending
        errors.append(
            ResolutionError(
                f"{getattr(provides, '__name__', provides)} has an async finalizer, "
                "which a synchronous close() cannot run",
                requested=provides,
                chain=[provides],
                hint="close with `await container.aclose()` or `async with`",
            )
        )
    owner._release()
    raise_together(errors, _describe(owner))


async def aclose_owner(owner: _Owner, error: Optional[BaseException]) -> None:
    """Run every finalizer, awaiting async generators in their turn."""
    if not owner._begin_close():
        return
    errors: list[BaseException] = []
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
                    f"dioxide: raised while finalizing {getattr(provides, '__name__', provides)}"
                )
            errors.append(failure)
    owner._release()
    raise_together(errors, _describe(owner))


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


def _describe(owner: object) -> str:
    return "a scope" if "Scope" in type(owner).__name__ else "the container"


async def aresolve_in(container: Any, scope: Any, type_: Any) -> Any:
    """Resolve ``type_``, first awaiting the async providers it needs.

    The Rust core lists those providers in dependency order; each is built
    here, stored where its lifetime says (container, scope, or just for this
    call) and the rest of the chain is then resolved natively.
    """
    owner = scope if scope is not None else container
    prebuilt: dict[Any, Any] = {}
    for provides, target, kind, lifetime, args in container._async_plan(type_):
        holder = None
        if lifetime == "singleton":
            holder = container
        elif lifetime == "scoped":
            if scope is None:
                raise ScopeError(
                    f"{getattr(provides, '__name__', provides)} is scoped, "
                    "so it can only be resolved inside a scope",
                    requested=type_,
                    chain=[type_, provides] if provides is not type_ else [type_],
                    hint="use `async with container.create_scope() as scope: "
                    "await scope.aresolve(...)`",
                )
            holder = scope
        if holder is None:
            prebuilt[provides] = await _build(owner, holder, provides, target, kind, args, prebuilt)
            continue
        if holder._cached(provides) is not None:
            continue
        async with _construction_lock(holder, provides):
            if holder._cached(provides) is None:
                value = await _build(owner, holder, provides, target, kind, args, prebuilt)
                holder._store(provides, value)
    return owner._resolve_prebuilt(type_, prebuilt)


def _construction_lock(holder: Any, provides: Any) -> asyncio.Lock:
    """One lock per (container or scope, type): concurrent ``aresolve`` calls
    build a shared async instance once."""
    locks: dict[Any, asyncio.Lock] = holder.__dict__.setdefault("_dioxide_async_locks", {})
    lock = locks.get(provides)
    if lock is None:
        lock = locks[provides] = asyncio.Lock()
    return lock


async def _build(
    owner: Any,
    holder: Any,
    provides: Any,
    target: Any,
    kind: str,
    args: list[tuple[str, Any]],
    prebuilt: dict[Any, Any],
) -> Any:
    kwargs = {
        name: (owner._resolve_prebuilt(dep, prebuilt) if dep is not None else None)
        for name, dep in args
    }
    if kind == "async_call":
        return await target(**kwargs)
    generator = target(**kwargs)
    try:
        value = await generator.__anext__()
    except StopAsyncIteration:
        raise ResolutionError(
            f"the async generator provider of {getattr(provides, '__name__', provides)} "
            "returned without yielding an instance",
            requested=provides,
            chain=[provides],
            hint="an async generator provider must `yield` exactly one instance",
        ) from None
    (holder if holder is not None else owner)._push_async_finalizer(provides, generator)
    return value
