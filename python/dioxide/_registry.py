"""The registry of decorated providers, shared by every ``Container()``.

Decorators register here; each container copies what it has not seen yet
the next time it resolves (the Rust core compares generations, so this costs
nothing when nothing changed). A class whose constructor annotations name
something not defined yet (a forward reference to a class further down the
module) is registered as *pending* and wired, and cycle-checked, by the first
later decoration that makes its annotations resolvable.
"""

from __future__ import annotations

import sys
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Callable, Optional

from dioxide._dioxide_core import _RustContainer
from dioxide._introspect import Dependency, UnresolvedReference

__all__ = ["DECORATED", "caller_namespace", "register_decorated", "retry_pending"]

#: The providers of every ``@component`` / ``@singleton`` / ``@provider``.
DECORATED = _RustContainer()

#: Reads a provider's dependencies given a local namespace for annotations.
Analyzer = Callable[[Optional[Mapping[str, Any]]], list[Dependency]]


@dataclass
class _Registration:
    provides: type
    target: Any
    lifetime: str
    kind: str
    analyze: Analyzer
    localns: Mapping[str, Any]

    def entry(
        self, localns: Optional[Mapping[str, Any]] = None
    ) -> tuple[type, Any, str, str, list[Dependency], Optional[str]]:
        return (
            self.provides,
            self.target,
            self.lifetime,
            self.kind,
            self.analyze(localns if localns is not None else self.localns),
            None,
        )


_lock = threading.RLock()
_pending: dict[type, _Registration] = {}


def caller_namespace(depth: int) -> Mapping[str, Any]:
    """The local names where a decorator was applied (for forward references
    to classes defined inside a function)."""
    try:
        frame = sys._getframe(depth + 1)
    except (AttributeError, ValueError):
        return {}
    if frame.f_locals is frame.f_globals:
        # Module level: annotations are evaluated in the module's globals anyway.
        return {}
    return dict(frame.f_locals)


def register_decorated(
    provides: type,
    target: Any,
    lifetime: str,
    kind: str,
    analyze: Analyzer,
    localns: Mapping[str, Any],
) -> None:
    """Register one decorated provider, and every pending one it completes,
    as a single change: if any of them closes a cycle, nothing changes."""
    # The class being decorated is not bound to its name yet; annotations
    # that mention it (a self-dependency) must still resolve.
    own_name = getattr(provides, "__name__", "")
    localns = {**localns, own_name: provides} if own_name else localns
    registration = _Registration(provides, target, lifetime, kind, analyze, localns)
    with _lock:
        entries = []
        newly_pending = None
        try:
            entries.append(registration.entry())
        except UnresolvedReference as unresolved:
            entries.append((provides, target, lifetime, kind, [], unresolved.name))
            newly_pending = registration
        completed, still_pending = _complete_pending(provides, localns)
        entries.extend(completed)
        DECORATED._register(entries, explicit=False)
        _pending.clear()
        _pending.update(still_pending)
        if newly_pending is not None:
            _pending[provides] = newly_pending


def retry_pending() -> None:
    """Wire pending providers whose annotations have become resolvable."""
    with _lock:
        if not _pending:
            return
        completed, still_pending = _complete_pending(None, {})
        if completed:
            DECORATED._register(completed, explicit=False)
            _pending.clear()
            _pending.update(still_pending)


def _complete_pending(
    skip: Optional[type], extra: Mapping[str, Any]
) -> tuple[list[Any], dict[type, _Registration]]:
    completed = []
    still: dict[type, _Registration] = {}
    for provides, waiting in _pending.items():
        if provides is skip:
            continue
        try:
            completed.append(waiting.entry({**waiting.localns, **extra}))
        except UnresolvedReference:
            still[provides] = waiting
    return completed, still
