"""The :class:`Registry`: where decorated providers are kept.

Decorators register into a registry (the default one unless told
otherwise); every ``Container`` made from it resolves from an immutable
snapshot of it, shared between containers, and sees later decorations at
its next resolve. A class whose constructor annotations name something not
defined yet (a forward reference to a class further down the module) is
registered as *pending* and wired, and cycle-checked, by the first later
decoration that makes its annotations resolvable, or when something asks
for it. A completion that cannot be made (the name turned out not to be a
class, or wiring it would close a cycle) is an error about that one class:
resolving it raises it, and nothing else does.
"""

from __future__ import annotations

import copy
import functools
import sys
import threading
from types import FrameType
from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, Any, Callable, NamedTuple, Optional, get_origin

from dioxide._dioxide_core import _RustContainer
from dioxide._introspect import (
    Dependency,
    Fallback,
    UnresolvedReference,
    describe,
    parametrised_generic,
)
from dioxide.exceptions import DioxideError, DioxideTypeError

if TYPE_CHECKING:
    from dioxide._generics import OpenProvider

__all__ = [
    "DEFAULT",
    "Registry",
    "caller_frame",
    "caller_namespace",
    "make_entry",
    "register_decorated",
]

#: Reads a provider's dependencies given a local namespace for annotations.
Analyzer = Callable[[Optional[Mapping[str, Any]]], list[Dependency]]


#: ``(interface, name or None)``: what else a provider answers for.
Exposure = tuple[type, Optional[str]]

class Entry(NamedTuple):
    """One registration, as the Rust core reads it (by field name)."""

    #: The key: a class, or the provider function itself.
    provides: Any
    #: What builds it: a class, a function, or the instance itself.
    target: Any
    #: "transient", "singleton" or "scoped".
    lifetime: str
    #: "call", "instance", "generator", "context_manager", "async_call" or
    #: "async_generator".
    kind: str
    dependencies: list[Dependency]
    #: The name of a forward reference it still waits for.
    pending: Optional[str] = None
    #: Interfaces it also answers for.
    exposes: list[Exposure] = []
    #: Profiles it is limited to (``None``: every profile).
    profiles: Optional[list[str]] = None

def make_entry(
    provides: Any,
    target: Any,
    lifetime: str,
    kind: str,
    dependencies: list[Dependency],
    exposes: Optional[list[Exposure]] = None,
    profiles: Optional[list[str]] = None,
    pending: Optional[str] = None,
) -> Entry:
    """An :class:`Entry`, its constant arguments (dependencies of flavor
    "const": ``type[T]`` of a generic class) bound to the target with
    ``functools.partial`` (named like the target, for messages and graphs)."""
    constants = {d.param: d.annotation for d in dependencies if d.flavor == "const"}
    if constants:
        bound = functools.partial(target, **constants)
        bound.__qualname__ = describe(target)  # type: ignore[attr-defined]
        target = bound
        dependencies = [d for d in dependencies if d.flavor != "const"]
    return Entry(
        provides, target, lifetime, kind, dependencies, pending, exposes or [], profiles
    )


#: The dependency flavors whose annotation must be a class.
_TYPED_FLAVORS = frozenset({"type", "named", "list", "lazy", "factory"})


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
    def localns(self) -> Mapping[str, Any]:
        name = getattr(self.provides, "__name__", "")
        # The decorated class is not bound to its name yet while its
        # decorator runs; annotations that mention it must still resolve.
        extra = {name: self.provides} if name else {}
        if self.frame is None:
            # Module level: a plain dict, looked up directly (no frame to read).
            return extra
        return FrameNamespace(self.frame, extra)

    def entry(self, localns: Mapping[str, Any]) -> Entry:
        return self.pending_entry(None, self.analyze(localns))

    def pending_entry(self, unresolved: Optional[str], deps: list[Dependency]) -> Entry:
        return make_entry(
            self.provides,
            self.target,
            self.lifetime,
            self.kind,
            deps,
            self.exposes,
            self.profiles,
            unresolved,
        )


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


class Registry:
    """Where ``@component``, ``@singleton`` and ``@provider`` keep what they
    register; a :class:`Container` resolves from one.

    The decorators use a default registry shared by the process unless given
    ``registry=``; a registry of your own keeps a test, or a plugin, apart
    from every other class decorated in the process::

        registry = Registry()

        @component(registry=registry)
        class Service: ...

        container = Container(registry=registry)

    Containers share an immutable snapshot of their registry, so making one
    costs the same however many classes are decorated, and each sees what
    is decorated later at its next resolve.
    """

    __slots__ = (
        "__weakref__",
        "_broken",
        "_core",
        "_lock",
        "_materialised",
        "_open",
        "_pending",
    )

    def __init__(self) -> None:
        self._core = _RustContainer()
        self._lock = threading.RLock()
        #: Providers waiting for a forward reference, by their key.
        self._pending: dict[Any, _Registration] = {}
        #: Pending providers whose completion was refused, with the error
        #: resolving them raises.
        self._broken: dict[Any, DioxideError] = {}
        #: Open generic providers, by each generic class they serve.
        self._open: dict[type, list[OpenProvider]] = {}
        #: The keys of parametrisations registered from open providers.
        self._materialised: set[Any] = set()
        self._core._set_completer(self._complete)

    def __len__(self) -> int:
        """The number of providers registered, pending ones included."""
        return len(self._core)

    def __contains__(self, type_: object) -> bool:
        """Whether ``type_`` has a provider here (or is an interface one
        implements); a generic class registered once, and each of its
        parametrisations, count."""
        if type_ in self._core or type_ in self._open:
            return True
        generic = parametrised_generic(type_)
        return generic is not None and get_origin(generic) in self._open

    def _register_open(self, provider: OpenProvider) -> None:
        """Keep a generic class, decorated once, for every parametrisation
        of the generic classes it serves."""
        with self._lock:
            for served in provider.serves:
                providers = self._open.setdefault(served, [])
                providers[:] = [
                    p for p in providers if p.implementation is not provider.implementation
                ]
                providers.append(provider)

    def _materialise(self, entries: list[Entry], key: Any) -> None:
        """Register parametrisations of open providers (``key`` is the one
        needed), unless something provides them by now: idempotent."""
        with self._lock:
            if key in self._core:
                return
            fresh = [e for e in entries if e.provides not in self._core]
            if fresh:
                self._core._register(fresh, explicit=False)
                self._materialised.update(e.provides for e in fresh)

    def _take_over(self, entries: list[Entry]) -> list[Entry]:
        """A decorated class that provides a parametrisation already
        materialised (``provides=Repository[User]`` after something needed
        ``Repository[User]``) wins over it: the materialised registration
        is replaced by one that hands out the decorated class."""
        if not self._materialised:
            return []
        taken: list[Entry] = []
        for entry in entries:
            for interface, name in entry.exposes:
                if name is None and interface in self._materialised:
                    self._materialised.discard(interface)
                    taken.append(_forwarding(interface, entry.provides))
        return taken

    def __repr__(self) -> str:
        return f"<dioxide.Registry {len(self)} providers>"

    def _register(self, registration: _Registration) -> None:
        """Register one decorated provider, and every pending one that it
        completes, as one change: if that change closes a cycle, the
        decoration is refused and nothing changes."""
        with self._lock:
            localns = registration.localns
            try:
                entries = [registration.entry(localns)]
            except UnresolvedReference as unresolved:
                registration.unresolved = unresolved.name
                entries = [registration.pending_entry(unresolved.name, [])]
            completed, renamed = self._complete_pending(skip=registration.provides, extra=localns)
            _register_with_conversions(
                self._core,
                entries
                + [entry for _, entry in completed + renamed]
                + self._take_over(entries),
            )
            self._settle(completed, renamed)
            if registration.unresolved is not None:
                self._pending[registration.provides] = registration
            else:
                registration.frame = None

    def _register_plain(self, cls: type, lifetime: str, module_level: bool) -> bool:
        """Register ``cls`` through the core's fast path for plain classes
        (see ``src/bindings/container/plain.rs``); False, registering
        nothing, when it is not plain or when pending providers wait (the
        general path completes them)."""
        if self._pending:
            return False
        with self._lock:
            return not self._pending and self._core._register_plain(cls, lifetime, module_level)

    def _retry(self) -> None:
        """Register, each on its own, the pending providers whose
        annotations resolve now. One whose completion is refused leaves the
        pending list, and resolving it raises why."""
        if not self._pending:
            return
        with self._lock:
            completed, renamed = self._complete_pending(skip=None, extra={})
            for registration, entry in completed:
                try:
                    _register_with_conversions(self._core, [entry])
                except DioxideError as error:
                    self._refuse(registration, error)
                else:
                    self._settle([(registration, entry)], [])
            if renamed:
                _register_with_conversions(self._core, [entry for _, entry in renamed])
                self._settle([], renamed)

    def _complete(self, provides: Any) -> None:
        """Called by a container that found ``provides`` pending: complete
        what can be completed; raise why ``provides`` cannot be."""
        self._retry()
        broken = self._broken.get(provides)
        if broken is not None:
            # A copy each time: raising one object again would stack tracebacks.
            raise copy.copy(broken)

    def _reason(self, problem: DioxideError) -> DioxideError:
        """A problem ``validate()`` found, or, for a pending provider whose
        completion was refused, why it was."""
        waiting = problem.chain[-1] if problem.chain else None
        broken = self._broken.get(waiting) if waiting is not None else None
        if broken is None:
            return problem
        return copy.copy(broken)

    def _refuse(self, registration: _Registration, error: DioxideError) -> None:
        registration.frame = None
        self._pending.pop(registration.provides, None)
        self._broken[registration.provides] = error

    def _complete_pending(
        self, skip: Any, extra: Mapping[str, Any]
    ) -> tuple[list[tuple[_Registration, Entry]], list[tuple[_Registration, Entry]]]:
        """The pending registrations whose annotations now resolve, and those
        still waiting but for another name than the core was told (so that
        resolving them names the right one). One whose annotations now name
        something that is not a class is refused on its own."""
        completed: list[tuple[_Registration, Entry]] = []
        renamed: list[tuple[_Registration, Entry]] = []
        if not self._pending:
            return completed, renamed
        for provides, waiting in list(self._pending.items()):
            if provides is skip:
                continue
            try:
                entry = waiting.entry({**waiting.localns, **extra})
            except UnresolvedReference as unresolved:
                if unresolved.name != waiting.unresolved:
                    renamed.append((waiting, waiting.pending_entry(unresolved.name, [])))
                continue
            except DioxideError as error:
                self._refuse(waiting, error)
                continue
            not_a_class = next(
                (
                    dep
                    for dep in entry.dependencies
                    if dep.flavor in _TYPED_FLAVORS
                    and not isinstance(dep.annotation, type)
                    and parametrised_generic(dep.annotation) is None
                ),
                None,
            )
            if not_a_class is not None:
                self._refuse(waiting, _not_a_class(provides, not_a_class))
                continue
            completed.append((waiting, entry))
        return completed, renamed

    def _settle(
        self,
        completed: list[tuple[_Registration, Entry]],
        renamed: list[tuple[_Registration, Entry]],
    ) -> None:
        """Forget pending registrations once the core has accepted them, and
        remember which name the core now has for those still waiting."""
        for registration, _ in completed:
            registration.frame = None
            self._pending.pop(registration.provides, None)
        for registration, entry in renamed:
            registration.unresolved = entry.pending


def needs_conversions(entries: list[Entry]) -> bool:
    """Whether a registration injects a value converted to a type."""
    return any(dep.flavor == "converted" for entry in entries for dep in entry.dependencies)


def _register_with_conversions(core: _RustContainer, entries: list[Entry]) -> None:
    if needs_conversions(entries):
        from dioxide._convert import with_conversions

        entries = with_conversions(entries)
    core._register(entries, explicit=False)


def _hand_over(provided: Any) -> Any:
    """What a parametrisation taken over by a decorated class builds: that
    class's instance."""
    return provided


def _forwarding(key: Any, provider: Any) -> Entry:
    """The registration of ``key`` that hands out what ``provider`` builds."""
    dependency = Dependency("provided", provider, Fallback.REQUIRED, "type", None, True)
    return make_entry(key, _hand_over, "transient", "call", [dependency])


def _not_a_class(owner: Any, dep: Dependency) -> DioxideTypeError:
    param, annotation = dep.param, dep.annotation
    return DioxideTypeError(
        f"the annotation of parameter '{param}' of {describe(owner)} names "
        f"{annotation!r}, which is not a class",
        requested=owner,
        chain=[owner],
        hint="annotate the parameter with the class itself (a NewType or an alias of a "
        "value type cannot be injected); for a value use Annotated[T, Value(name)]",
    )


#: The registry the decorators use when not given one.
DEFAULT = Registry()


def registry_of(registry: Optional[Registry]) -> Registry:
    """The registry a decorator's ``registry=`` names (the default one for
    ``None``), checked."""
    target = DEFAULT if registry is None else registry
    if not isinstance(target, Registry):
        raise DioxideTypeError(
            f"registry= takes a dioxide.Registry, got {registry!r}",
            hint="make one with dioxide.Registry() and pass it to the decorators and "
            "to Container(registry=...)",
        )
    return target


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
    registry: Optional[Registry] = None,
) -> None:
    """Register one decorated provider into ``registry`` (the default one
    when ``None``), with every pending one that only it completes."""
    target_registry = registry_of(registry)
    target_registry._retry()
    target_registry._register(
        _Registration(provides, target, lifetime, kind, analyze, exposes or [], profiles, frame)
    )
