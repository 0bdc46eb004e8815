"""A reference model of dioxide's registry and resolver, in plain Python.

It is the specification that ``test_model_agreement.py`` holds dioxide to,
written to be obviously correct rather than fast: no caching, no iterative
tricks, every question answered by walking the whole registry again.

Types are names (``"C3"``). A registration is a :class:`Spec` (a class, its
lifetime and its constructor parameters). The rules it encodes, all from the
README:

- A registration, or a batch of them (a decorated class together with the
  pending forward references it completes), is checked provider by provider
  in batch order: first for a dependency cycle through it, then for a
  singleton capturing a scoped provider. The first refusal refuses the whole
  batch and nothing changes.
- Every parameter is an edge of the graph, whether or not it has a default.
- A provider waiting for a forward reference (*pending*) has no edges; it
  names the first parameter annotation that cannot be evaluated yet.
- ``resolve`` compiles a plan depth-first, parameters in order: the first
  missing required provider or pending provider on that walk is the error;
  then a singleton in the plan that reaches a scoped provider through
  transients is a captive dependency; nothing is built when the plan fails.
  A plan with a scoped provider needs a scope.
- Singletons are built once per container, scoped instances once per scope,
  transients for every injection.

:class:`Decorators` adds what the decorators do with forward references: a
class whose annotations name something not defined yet is registered
*pending*, and completed by the decoration (or ``Container()``) that finds
its annotations resolvable.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Optional

__all__ = [
    "Decorators",
    "Dep",
    "Expected",
    "Model",
    "Outcome",
    "Provider",
    "Refused",
    "Spec",
    "bfs_distance",
    "check_captive_chain",
    "check_cycle",
]

#: Lifetimes of the model; ``instance`` is ``register_instance`` (a singleton
#: that is never built).
LIFETIMES = ("transient", "singleton", "scoped", "instance")


@dataclass(frozen=True)
class Dep:
    """One constructor parameter: ``param: target`` (``= None`` if optional)."""

    param: str
    target: str
    optional: bool


@dataclass(frozen=True)
class Spec:
    """A class as written: its name, lifetime and constructor parameters."""

    name: str
    lifetime: str
    deps: tuple[Dep, ...]

    def unresolved(self, defined: Iterable[str]) -> Optional[str]:
        """The first annotation that names something not in ``defined``
        (the class itself always resolves), or None."""
        known = set(defined) | {self.name}
        return next((d.target for d in self.deps if d.target not in known), None)


@dataclass(frozen=True)
class Provider:
    spec: Spec
    #: The name the provider waits for, or None once wired.
    pending: Optional[str] = None

    @property
    def name(self) -> str:
        return self.spec.name

    @property
    def lifetime(self) -> str:
        return self.spec.lifetime

    @property
    def deps(self) -> tuple[Dep, ...]:
        return () if self.pending is not None else self.spec.deps


Graph = dict[str, list[str]]


def edges(providers: Mapping[str, Provider]) -> Graph:
    """``name -> [dependency, ...]`` in parameter order, without repeats."""
    graph: Graph = {}
    for name, provider in providers.items():
        targets: list[str] = []
        for dep in provider.deps:
            if dep.target not in targets:
                targets.append(dep.target)
        graph[name] = targets
    return graph


def bfs_distance(graph: Graph, start: str, goal: str) -> Optional[int]:
    """Number of edges on a shortest path ``start -> ... -> goal``."""
    seen = {start: 0}
    queue = deque([start])
    while queue:
        node = queue.popleft()
        if node == goal:
            return seen[node]
        for nxt in graph.get(node, []):
            if nxt not in seen:
                seen[nxt] = seen[node] + 1
                queue.append(nxt)
    return None


@dataclass(frozen=True)
class Refused:
    """Why a registration (batch) was refused, with what is needed to check
    the error's details."""

    kind: str  # "cycle" | "captive" | "duplicate" | "unresolved" | "closed"
    #: The provider that was refused (for a batch: the first that failed).
    offender: str
    #: The batch's first provider (the decorated class, if any).
    focus: str
    #: The graph as staged when the refusal happened.
    graph: Graph = field(default_factory=dict)
    lifetimes: Mapping[str, str] = field(default_factory=dict)


def check_cycle(cycle: Sequence[str], refused: Refused) -> None:
    """Assert ``cycle`` is the one dioxide reports for ``refused``: it starts
    and ends at the focus when the focus is on it (else at the offender), is
    simple, follows edges of the staged graph, leaves the offender through
    its first parameter that leads back, and is shortest from there."""
    assert refused.kind == "cycle"
    assert len(cycle) >= 2 and cycle[0] == cycle[-1], cycle
    ring = list(cycle[:-1])
    assert len(set(ring)) == len(ring), f"not a simple cycle: {cycle}"
    start = refused.focus if refused.focus in ring else refused.offender
    assert ring[0] == start, f"{cycle} should start at {start}"
    for a, b in zip(cycle, cycle[1:]):
        assert b in refused.graph.get(a, []), f"{a} -> {b} is not an edge of {cycle}"
    assert refused.offender in ring
    # Rotate to the offender to check how the cycle was found.
    at = ring.index(refused.offender)
    ring = ring[at:] + ring[:at]
    graph = refused.graph
    first = next(
        d for d in graph[refused.offender] if bfs_distance(graph, d, refused.offender) is not None
    )
    assert ring[1 % len(ring)] == first, (
        f"{cycle}: the cycle should leave {refused.offender} through {first}"
    )
    assert len(ring) - 1 == bfs_distance(graph, first, refused.offender), (
        f"{cycle} is not a shortest way back from {first}"
    )


def check_captive_chain(chain: Sequence[str], lifetimes: Mapping[str, str], graph: Graph) -> None:
    """Assert ``chain`` is a captive dependency: a singleton, then providers
    that are not scoped, ending at a scoped provider, along edges."""
    assert len(chain) >= 2, chain
    assert lifetimes[chain[0]] in ("singleton", "instance"), chain
    assert lifetimes[chain[-1]] == "scoped", chain
    assert all(lifetimes[name] != "scoped" for name in chain[:-1]), chain
    for a, b in zip(chain, chain[1:]):
        assert b in graph.get(a, []), f"{a} -> {b} is not an edge of {chain}"


@dataclass(frozen=True)
class Expected:
    """What one ``resolve`` should do.

    ``error`` is None for success, or the exception's name; ``chain`` (the
    names in the exception's chain) and ``detail`` (the missing type, or the
    unresolved name of a pending provider) come with it. ``built_nothing``
    says no constructor may run (errors found while planning).
    """

    error: Optional[str] = None
    chain: tuple[str, ...] = ()
    detail: Optional[str] = None
    built_nothing: bool = False
    #: For captive errors, what the chain is checked against.
    lifetimes: Mapping[str, str] = field(default_factory=dict)
    graph: Graph = field(default_factory=dict)


class Model:
    """The registry of one container (or of the decorators), and its rules."""

    def __init__(self) -> None:
        #: Providers in registration order; a replacement keeps its place.
        self.providers: dict[str, Provider] = {}
        #: Registered explicitly on the container (a second time is a duplicate).
        self.explicit: set[str] = set()
        self.closed = False

    # -- registering -------------------------------------------------------

    def lifetimes(self, extra: Iterable[Provider] = ()) -> dict[str, str]:
        found = {name: p.lifetime for name, p in self.providers.items()}
        found.update((p.name, p.lifetime) for p in extra)
        return found

    def check(self, batch: Sequence[Provider]) -> Optional[Refused]:
        """The refusal the batch runs into, or None if it is accepted."""
        if not batch:
            return None
        focus = batch[0].name
        staged = dict(self.providers)
        for provider in batch:
            staged[provider.name] = provider
            graph = edges(staged)
            if any(bfs_distance(graph, d, provider.name) is not None for d in graph[provider.name]):
                return Refused("cycle", provider.name, focus, graph)
            if self._captures_scoped(provider, staged):
                lifetimes = {name: p.lifetime for name, p in staged.items()}
                return Refused("captive", provider.name, focus, graph, lifetimes)
        return None

    @staticmethod
    def _captures_scoped(start: Provider, staged: Mapping[str, Provider]) -> bool:
        """A singleton that reaches a registered scoped provider through
        registered providers that are not scoped."""
        if start.lifetime not in ("singleton", "instance"):
            return False
        seen = {start.name}
        todo = [start]
        while todo:
            provider = todo.pop()
            for dep in provider.deps:
                target = staged.get(dep.target)
                if target is None:
                    continue
                if target.lifetime == "scoped":
                    return True
                if target.name not in seen:
                    seen.add(target.name)
                    todo.append(target)
        return False

    def register(self, batch: Sequence[Provider], *, explicit: bool) -> Optional[Refused]:
        """Apply the batch unless it is refused; returns the refusal."""
        if batch and self.closed:
            return Refused("closed", batch[0].name, batch[0].name)
        if explicit:
            for provider in batch:
                if provider.name in self.explicit:
                    return Refused("duplicate", provider.name, batch[0].name)
        refused = self.check(batch)
        if refused is None:
            for provider in batch:
                self.providers[provider.name] = provider
                if explicit:
                    self.explicit.add(provider.name)
        return refused

    # -- resolving ---------------------------------------------------------

    def plan(self, root: str) -> tuple[Optional[Expected], list[str]]:
        """The providers ``root`` needs, dependencies first, or the error the
        depth-first walk (parameters in order) runs into first."""
        order: list[str] = []
        done: set[str] = set()

        def enter(name: str, chain: list[str], param: Optional[Dep]) -> Optional[Expected]:
            provider = self.providers.get(name)
            if provider is None:
                return Expected("DependencyNotRegisteredError", tuple(chain), name, True)
            if provider.pending is not None:
                return Expected("DependencyNotRegisteredError", tuple(chain), provider.pending, True)
            return visit(name, chain)

        def visit(name: str, chain: list[str]) -> Optional[Expected]:
            for dep in self.providers[name].deps:
                if dep.target in done:
                    continue
                if dep.target not in self.providers:
                    if dep.optional:
                        continue
                    return Expected(
                        "DependencyNotRegisteredError", tuple(chain + [dep.target]), dep.target, True
                    )
                assert dep.target not in chain, "the registry must stay acyclic"
                error = enter(dep.target, chain + [dep.target], dep)
                if error is not None:
                    return error
            done.add(name)
            order.append(name)
            return None

        error = enter(root, [root], None)
        return error, order

    def resolve(self, root: str, in_scope: bool) -> Expected:
        """What ``resolve(root)`` should do, in a scope or not (the caller
        deals with closed containers and scopes)."""
        error, order = self.plan(root)
        if error is not None:
            return error
        lifetimes = {name: self.providers[name].lifetime for name in order}
        in_plan = set(order)
        graph = {
            name: [t for t in targets if t in in_plan]
            for name, targets in edges({name: self.providers[name] for name in order}).items()
        }
        for name in order:
            if lifetimes[name] not in ("singleton", "instance"):
                continue
            if self._captures_scoped_in_plan(name, lifetimes, graph):
                return Expected(
                    "CaptiveDependencyError", built_nothing=True, lifetimes=lifetimes, graph=graph
                )
        if not in_scope and any(lifetimes[name] == "scoped" for name in order):
            # Refused from the plan, before any constructor runs.
            return Expected("ScopeError", built_nothing=True)
        return Expected()

    @staticmethod
    def _captures_scoped_in_plan(start: str, lifetimes: Mapping[str, str], graph: Graph) -> bool:
        todo = list(graph[start])
        seen = set(todo)
        while todo:
            name = todo.pop()
            if lifetimes[name] == "scoped":
                return True
            if lifetimes[name] == "transient":
                for nxt in graph[name]:
                    if nxt not in seen:
                        seen.add(nxt)
                        todo.append(nxt)
        return False

    def dependencies(self, name: str) -> tuple[Dep, ...]:
        """The parameters dioxide fills for a built instance of ``name``."""
        return self.providers[name].deps


#: The exception a refused completion raises when its provider is resolved.
REFUSALS = {"cycle": "CircularDependencyError", "captive": "CaptiveDependencyError"}


@dataclass(frozen=True)
class Outcome:
    """What a decoration or ``Container()`` does: the refusal it raises, if
    any, and whether the registry is then exactly as before the call."""

    refused: Optional[Refused] = None
    unchanged: bool = True


class Decorators:
    """The decorators' registry, with forward references.

    - Every decoration, and every resolve that reaches a pending provider,
      first *retries*: each pending provider whose annotations now resolve
      (a class it names was defined without a decorator) is completed on its
      own. A refused completion leaves the pending list and stays
      registered as pending: resolving it raises the refusal, and nothing
      else does. ``Container()`` completes nothing (it takes a snapshot).
    - A decoration then registers the class (pending if an annotation names
      something undefined) together with the pending providers that only
      it completes, as one batch refused as a whole. The class's own name
      resolves while its decorator runs; it is bound only if accepted.
    - A pending provider names the first annotation it still waits for; the
      registry is told when that changes.
    """

    def __init__(self) -> None:
        self.model = Model()
        #: Pending providers in the order they were registered.
        self.pending: dict[str, Provider] = {}
        #: Names defined in the module so far.
        self.bound: set[str] = set()
        #: Pending providers whose completion was refused, with the refusal.
        self.broken: dict[str, Refused] = {}

    def _renamed(self, known: set[str], skip: Iterable[str]) -> list[Provider]:
        skipped = set(skip)
        out = []
        for name, provider in self.pending.items():
            now = provider.spec.unresolved(known)
            if name not in skipped and now is not None and now != provider.pending:
                out.append(Provider(provider.spec, now))
        return out

    def _retry(self) -> Outcome:
        changed = False
        for name, provider in list(self.pending.items()):
            if provider.spec.unresolved(self.bound) is not None:
                continue
            del self.pending[name]
            refused = self.model.register([Provider(provider.spec)], explicit=False)
            if refused is None:
                changed = True
            else:
                # It stays registered as pending; resolving it raises why.
                self.broken[name] = refused
        renamed = self._renamed(self.bound, ())
        if renamed:
            assert self.model.register(renamed, explicit=False) is None
            self.pending.update((p.name, p) for p in renamed)
            changed = True
        return Outcome(None, not changed)

    def new_container(self) -> Outcome:
        """``Container()`` takes a snapshot: it completes nothing, refuses nothing."""
        return Outcome()

    def resolve(self, root: str, in_scope: bool) -> Expected:
        """A resolve that reaches a pending provider first lets the registry
        complete what it can; a provider whose completion was refused fails
        with that refusal."""
        error, _ = self.model.plan(root)
        waiting = error.chain[-1] if error is not None and error.chain else None
        provider = self.model.providers.get(waiting) if waiting is not None else None
        if provider is not None and provider.pending is not None:
            self._retry()
            refused = self.broken.get(provider.name)
            if refused is not None:
                return Expected(REFUSALS[refused.kind], detail="refused", built_nothing=True)
        return self.model.resolve(root, in_scope)

    def define(self, name: str) -> None:
        """A plain class statement: the name is bound, nothing registered."""
        self.bound.add(name)

    def decorate(self, spec: Spec) -> Outcome:
        retried = self._retry()
        if retried.refused is not None:
            return retried
        known = self.bound | {spec.name}
        entry = Provider(spec, spec.unresolved(self.bound))
        completed = [
            Provider(p.spec) for p in self.pending.values() if p.spec.unresolved(known) is None
        ]
        batch = [entry, *completed, *self._renamed(known, (p.name for p in completed))]
        refused = self.model.register(batch, explicit=False)
        if refused is None:
            for provider in batch:
                if provider.pending is None:
                    self.pending.pop(provider.name, None)
                else:
                    self.pending[provider.name] = provider
            self.bound.add(spec.name)
        return Outcome(refused, retried.unchanged)
