"""The registry of decorated providers, shared by every ``Container()``.

Decorators register here; each container copies what it has not seen yet
the next time it resolves (the Rust core compares generations, so this costs
nothing when nothing changed). A class whose constructor annotations name
something not defined yet (a forward reference to a class further down the
module) is registered as *pending* and wired, and cycle-checked, by the first
later decoration that makes its annotations resolvable, or by the next
decoration or ``Container()`` after a plain class definition did. A
completion that is refused (it would close a cycle) is reported once, by the
call that found it, and not retried.
"""

from __future__ import annotations

import sys
import threading
from types import FrameType
from collections.abc import Iterator, Mapping
from typing import Any, Callable, Optional

from dioxide._dioxide_core import _RustContainer
from dioxide._introspect import Dependency, UnresolvedReference
from dioxide.exceptions import DioxideError

__all__ = [
    "DECORATED",
    "caller_frame",
    "caller_namespace",
    "register_decorated",
    "retry_pending",
]

#: The providers of every ``@component`` / ``@singleton`` / ``@provider``.
DECORATED = _RustContainer()

#: Reads a provider's dependencies given a local namespace for annotations.
Analyzer = Callable[[Optional[Mapping[str, Any]]], list[Dependency]]


#: ``(interface, name or None)``: what else a provider answers for.
Exposure = tuple[type, Optional[str]]

#: One registration as the Rust core takes it: provides, target, lifetime,
#: kind, dependencies, pending forward reference, exposures, profiles.
Entry = tuple[
    Any, Any, str, str, list[Dependency], Optional[str], list[Exposure], Optional[list[str]]
]


class _Registration:
    """One decorated provider, kept while it waits for a forward reference."""

    __slots__ = (
        "analyze",
        "exposes",
        "frame",
        "kind",
        "lifetime",
        "profiles",
        "provides",
        "target",
        "unresolved",
    )

    def __init__(
        self,
        provides: Any,
        target: Any,
        lifetime: str,
        kind: str,
        analyze: Analyzer,
        exposes: list[Exposure],
        profiles: Optional[list[str]],
        frame: Optional[FrameType],
    ) -> None:
        #: The provider's own key: the class, or the provider function.
        self.provides = provides
        self.target = target
        self.lifetime = lifetime
        self.kind = kind
        self.analyze = analyze
        self.exposes = exposes
        self.profiles = profiles
        #: The frame the decorator was applied in, kept only while the
        #: registration is pending: reading its locals again later sees
        #: classes defined after the decorated one in the same function.
        self.frame = frame
        #: The name the core was told it waits for (its errors show it).
        self.unresolved: Optional[str] = None

    @property
    def localns(self) -> FrameNamespace:
        name = getattr(self.provides, "__name__", "")
        # The decorated class is not bound to its name yet while its
        # decorator runs; annotations that mention it must still resolve.
        return FrameNamespace(self.frame, {name: self.provides} if name else {})

    def entry(self, localns: Mapping[str, Any]) -> Entry:
        return self.pending_entry(None, self.analyze(localns))

    def pending_entry(self, unresolved: Optional[str], deps: list[Dependency]) -> Entry:
        return (
            self.provides,
            self.target,
            self.lifetime,
            self.kind,
            deps,
            unresolved,
            self.exposes,
            self.profiles,
        )


_lock = threading.RLock()
_pending: dict[Any, _Registration] = {}


_CO_NEWLOCALS = 0x02


def caller_frame(depth: int) -> Optional[FrameType]:
    """The frame ``depth`` calls above the caller, unless it is a module's:
    at module level annotations are evaluated in the module's globals anyway."""
    try:
        frame = sys._getframe(depth + 1)
    except (AttributeError, ValueError):
        return None
    # A function's locals are only read when an annotation needs them
    # (``f_locals`` copies them into a dict and keeps that alive).
    if not frame.f_code.co_flags & _CO_NEWLOCALS and frame.f_locals is frame.f_globals:
        return None
    return frame


class FrameNamespace(Mapping[str, Any]):
    """A frame's local names, plus ``extra``, read on first use.

    Annotations that are classes already never look names up, so most
    registrations never read (or copy) the caller's locals; string
    annotations and forward references do, and then see the locals as they
    are at that moment, including classes defined since.
    """

    __slots__ = ("_extra", "_frame", "_names")

    def __init__(self, frame: Optional[FrameType], extra: Mapping[str, Any]) -> None:
        self._frame = frame
        self._extra = extra
        self._names: Optional[dict[str, Any]] = None

    def _load(self) -> dict[str, Any]:
        if self._names is None:
            names = dict(self._frame.f_locals) if self._frame is not None else {}
            names.update(self._extra)
            self._names = names
        return self._names

    def __getitem__(self, name: str) -> Any:
        return self._load()[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._load())

    def __len__(self) -> int:
        return len(self._load())


def frame_namespace(frame: Optional[FrameType]) -> FrameNamespace:
    """A function frame's local names, read on first use (for forward
    references to classes defined inside a function)."""
    return FrameNamespace(frame, {})


def caller_namespace(depth: int) -> FrameNamespace:
    """The local names ``depth`` calls above the caller."""
    return frame_namespace(caller_frame(depth + 1))


def register_decorated(
    provides: Any,
    target: Any,
    lifetime: str,
    kind: str,
    analyze: Analyzer,
    frame: Optional[FrameType],
    *,
    exposes: Optional[list[Exposure]] = None,
    profiles: Optional[list[str]] = None,
) -> None:
    """Register one decorated provider, and every pending one that only it
    completes, as a single change: if any of them closes a cycle, nothing
    changes. Pending providers that other definitions completed are
    registered first (see :func:`retry_pending`)."""
    registration = _Registration(
        provides, target, lifetime, kind, analyze, exposes or [], profiles, frame
    )
    with _lock:
        _retry()
        localns = registration.localns
        try:
            entries = [registration.entry(localns)]
        except UnresolvedReference as unresolved:
            registration.unresolved = unresolved.name
            entries = [registration.pending_entry(unresolved.name, [])]
        completed, renamed = _complete_pending(skip=provides, extra=localns)
        DECORATED._register(
            entries + [entry for _, entry in completed + renamed], explicit=False
        )
        _settle(completed, renamed)
        if registration.unresolved is not None:
            _pending[provides] = registration
        else:
            registration.frame = None


def retry_pending() -> None:
    """Wire pending providers whose annotations have become resolvable
    (a class they name was defined without a decorator since)."""
    with _lock:
        _retry()


def _retry() -> None:
    """Register, each on its own, the pending providers whose annotations
    resolve now. One whose completion is refused (it closes a cycle, or a
    singleton would hold a scoped provider) leaves the pending list: it
    would be refused again by every later decoration and ``Container()``.
    The first refusal is raised once the others are registered."""
    completed, renamed = _complete_pending(skip=None, extra={})
    refused: Optional[DioxideError] = None
    for registration, entry in completed:
        try:
            DECORATED._register([entry], explicit=False)
        except DioxideError as error:
            refused = error if refused is None else refused
            registration.frame = None
            _pending.pop(registration.provides, None)
        else:
            _settle([(registration, entry)], [])
    if renamed:
        DECORATED._register([entry for _, entry in renamed], explicit=False)
        _settle([], renamed)
    if refused is not None:
        raise refused


def _complete_pending(
    skip: Any, extra: Mapping[str, Any]
) -> tuple[list[tuple[_Registration, Entry]], list[tuple[_Registration, Entry]]]:
    """The pending registrations whose annotations now resolve, and those
    still waiting but for another name than the core was told (so that
    resolving them names the right one)."""
    completed = []
    renamed = []
    for provides, waiting in _pending.items():
        if provides is skip:
            continue
        try:
            completed.append((waiting, waiting.entry({**waiting.localns, **extra})))
        except UnresolvedReference as unresolved:
            if unresolved.name != waiting.unresolved:
                renamed.append((waiting, waiting.pending_entry(unresolved.name, [])))
    return completed, renamed


def _settle(
    completed: list[tuple[_Registration, Entry]], renamed: list[tuple[_Registration, Entry]]
) -> None:
    """Forget pending registrations once the core has accepted them, and
    remember which name the core now has for those still waiting."""
    for registration, _ in completed:
        registration.frame = None
        _pending.pop(registration.provides, None)
    for registration, entry in renamed:
        registration.unresolved = entry[5]
