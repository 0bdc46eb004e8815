"""dioxide agrees with the reference model on random registration sequences.

Hypothesis generates worlds of 1 to 60 classes with random lifetimes and
constructor parameters (some optional, some naming classes defined later or
never), registers them in a random order (on a container, or with the
decorators, so forward references stay pending until their target is
decorated) and interleaves resolves in and out of scopes. After every step
dioxide must agree with ``reference_model.Model``: which registration is
refused and why (the cycle it names, the captive chain), that a refused
registration changes nothing, which error each resolve raises (type, chain,
missing type) and, when it succeeds, that every instance was built as its
lifetime says: singletons once per container, scoped instances once per
scope, transients once per injection.

The example budget is fixed and the run derandomized so CI is deterministic;
``DIOXIDE_MODEL_EXAMPLES`` raises the budget for a longer local run.
"""

from __future__ import annotations

import builtins
import os
from dataclasses import dataclass, field
from typing import Any, Optional

import dioxide._registry as registry_module
import pytest
from decorator_registry import fresh_decorator_registry
from dioxide import (
    CaptiveDependencyError,
    CircularDependencyError,
    Container,
    DependencyNotRegisteredError,
    DioxideError,
    DioxideTypeError,
    DuplicateRegistrationError,
    ResolutionError,
    Scope,
    ScopeError,
    component,
    singleton,
)
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from reference_model import (
    Decorators,
    Dep,
    Expected,
    Model,
    Provider,
    Refused,
    Spec,
    check_captive_chain,
    check_cycle,
)

EXAMPLES = int(os.environ.get("DIOXIDE_MODEL_EXAMPLES", "300"))

settings.register_profile(
    "dioxide-model",
    max_examples=EXAMPLES,
    derandomize=True,
    deadline=None,
    database=None,
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
MODEL_SETTINGS = settings.get_profile("dioxide-model")

ERRORS: dict[str, type[DioxideError]] = {
    "cycle": CircularDependencyError,
    "captive": CaptiveDependencyError,
    "duplicate": DuplicateRegistrationError,
    "closed": ResolutionError,
    "unresolved": DioxideTypeError,
}
EXCEPTIONS: dict[str, type[DioxideError]] = {
    cls.__name__: cls
    for cls in (
        CaptiveDependencyError,
        CircularDependencyError,
        DependencyNotRegisteredError,
        ResolutionError,
        ScopeError,
    )
}

# -- generated worlds ------------------------------------------------------

#: Weights by repetition: instances only exist for explicit registration.
LIFETIME_CHOICES = ["transient"] * 3 + ["singleton"] * 3 + ["scoped"] * 2 + ["instance"]


@dataclass
class World:
    decorated: bool
    specs: list[Spec]
    #: ("register", i) / ("define", i) (decorated mode: a plain class) and probes.
    ops: list[tuple[Any, ...]] = field(default_factory=list)


def _probe(draw: st.DrawFn, n: int, decorated: bool, registered: list[int]) -> tuple[Any, ...]:
    """A step between registrations: mostly resolves (of a class registered
    so far, more often than not), some scope and duplicate traffic."""
    kind = draw(st.integers(0, 19))
    slot = draw(st.integers(0, 2))
    if kind < 11:
        where = None if draw(st.integers(0, 2)) == 0 else slot
        if registered and draw(st.integers(0, 9)) < 7:
            target = draw(st.sampled_from(registered))
        else:
            target = draw(st.integers(0, n - 1))
        return ("resolve", target, where)
    if kind < 14:
        return ("open", slot)
    if kind < 16:
        return ("close", slot)
    if kind < 18:
        return ("nested", slot, draw(st.integers(0, 2)))
    return ("container",) if decorated else ("again", draw(st.integers(0, n - 1)))


@st.composite
def worlds(draw: st.DrawFn, decorated: bool) -> World:
    n = draw(st.integers(1, 60))
    specs: list[Spec] = []
    for i in range(n):
        lifetime = draw(st.sampled_from(LIFETIME_CHOICES))
        if decorated and lifetime == "instance":
            lifetime = "singleton"
        deps: list[tuple[str, bool]] = []
        for _ in range(draw(st.integers(0, 3))):
            bucket = draw(st.integers(0, 19))
            if bucket < 14 and i > 0:
                target = f"C{draw(st.integers(0, i - 1))}"  # an earlier class
            elif bucket < 19:
                target = f"C{draw(st.integers(0, n - 1))}"  # anywhere: cycles possible
            else:
                target = f"Ghost{draw(st.integers(0, 1))}"  # never defined
            deps.append((target, draw(st.integers(0, 3)) == 0))
        # Required parameters first: a default must not precede them.
        deps.sort(key=lambda d: d[1])
        specs.append(
            Spec(f"C{i}", lifetime, tuple(Dep(f"p{j}", t, o) for j, (t, o) in enumerate(deps)))
        )
    world = World(decorated, specs)
    registered: list[int] = []
    for i in draw(st.permutations(range(n))):
        if draw(st.integers(0, 9)) < 9:
            world.ops.append(("register", i))
            registered.append(i)
        elif decorated:
            world.ops.append(("define", i))  # a plain class: defined, never decorated
        for _ in range(draw(st.integers(0, 2))):
            world.ops.append(_probe(draw, n, decorated, registered))
    for _ in range(draw(st.integers(0, 25))):
        world.ops.append(_probe(draw, n, decorated, registered))
    if draw(st.integers(0, 3)) == 0:
        world.ops.append(("close_container",))
        for _ in range(draw(st.integers(0, 3))):
            world.ops.append(_probe(draw, n, decorated, registered))
    return world


# -- running a world against dioxide and the model -------------------------


def _decorate(decorator: Any, cls: type) -> Any:
    # The decorator reads this frame's locals for forward references: keep
    # it free of names that look like generated classes.
    return decorator(cls)


def _snapshot(owner: Any) -> list[str]:
    """Everything the core tells about its providers (keys included)."""
    return [repr(row) for row in owner._providers()]


def _rows(owner: Any) -> list[tuple[str, str, list[tuple[str, str]]]]:
    """``(name, lifetime, [(parameter, dependency name)])`` per provider, in
    registration order, from the core's ``_providers`` rows
    ``((key, flavor, name, qualifier), lifetime, kind, implementation,
    [(parameter, node, resolvable)], exposes)``. The core names a scoped
    provider's lifetime by its level (``"request"``, the first level of a
    default container); the model calls it ``"scoped"``."""
    return [
        (
            node[2],
            "scoped" if lifetime == "request" else lifetime,
            [(param, dep[2]) for param, dep, _ in deps],
        )
        for node, lifetime, _kind, _implementation, deps, _exposes in owner._providers()
    ]


class Run:
    """One world: dioxide on one side, the model on the other."""

    def __init__(self, world: World) -> None:
        self.world = world
        self.log: list[Any] = []
        self.ns: dict[str, Any] = {"__builtins__": builtins, "_record": self._record}
        self.classes = {spec.name: self._make_class(spec) for spec in world.specs}
        #: Decorated mode: the decorators' registry; explicit: the container's.
        self.decorators = Decorators()
        self.model = self.decorators.model if world.decorated else Model()
        self.instances: dict[str, Any] = {}
        self.seen: set[int] = set()
        if not world.decorated:
            self.ns.update(self.classes)  # every class is defined up front
        self.container = Container()
        self.container_closed = False
        self._new_identities()

    def _new_identities(self) -> None:
        """A new container: no instances built yet. (The log keeps every
        object alive, so ``id``s stay unique for the whole world.)"""
        #: token -> the object dioxide built (or was given) for it.
        self.tokens: dict[tuple[Any, ...], Any] = {("S", n): o for n, o in self.instances.items()}
        #: slot -> [scope, scope id, closed]
        self.scopes: dict[int, list[Any]] = {}
        #: Every nested scope's entry, ``[scope, id, closed, parent entry]``.
        self.nested: list[list[Any]] = []
        self.next_scope = 0

    def _record(self, obj: Any, deps: dict[str, Any]) -> None:
        obj._deps = deps
        self.log.append(obj)

    def _make_class(self, spec: Spec) -> type:
        params = "".join(
            f", {d.param}: {d.target!r}" + (" = None" if d.optional else "") for d in spec.deps
        )
        record = "{" + ", ".join(f"{d.param!r}: {d.param}" for d in spec.deps) + "}"
        source = f"def __init__(self{params}) -> None:\n    _record(self, {record})\n"
        code: dict[str, Any] = {}
        exec(source, self.ns, code)  # noqa: S102 - generated test classes
        init = code["__init__"]
        init.__qualname__ = f"{spec.name}.__init__"
        return type(spec.name, (), {"__init__": init, "__module__": __name__, "__qualname__": spec.name})

    # -- registration --------------------------------------------------------

    def run(self) -> None:
        for op in self.world.ops:
            getattr(self, "op_" + op[0])(*op[1:])
        self.check_registry()

    def owner(self) -> Any:
        return registry_module.DEFAULT._core if self.world.decorated else self.container

    def check_registry(self) -> None:
        """dioxide's providers are the model's: same order, lifetimes and
        dependencies (none while pending)."""
        rows = _rows(self.owner())
        expected = [
            (
                name,
                "singleton" if p.lifetime == "instance" else p.lifetime,
                [(d.param, d.target) for d in p.deps],
            )
            for name, p in self.model.providers.items()
        ]
        assert rows == expected
        assert len(self.owner()) == len(expected)
        for name, cls in self.classes.items():
            assert (cls in self.owner()) == (name in self.model.providers), name

    def expect_refusal(self, refused: Optional[Refused], call: Any, unchanged: bool = True) -> None:
        """Run a registration; it must be refused exactly as the model says,
        and then leave the registry as it was (``unchanged=False``: as the
        model says, when the call made other registrations first)."""
        before = _snapshot(self.owner())
        if refused is None:
            call()
            self.check_registry()
            return
        with pytest.raises(ERRORS[refused.kind]) as info:
            call()
        error = info.value
        assert "hint:" in str(error), error
        names = [getattr(t, "__name__", t) for t in error.chain]
        if refused.kind == "cycle":
            check_cycle(names, refused)
        elif refused.kind == "captive":
            check_captive_chain(names, refused.lifetimes, refused.graph)
        if unchanged:
            assert _snapshot(self.owner()) == before, "a refused registration changed the registry"
        self.check_registry()

    def op_register(self, i: int) -> None:
        spec = self.world.specs[i]
        if self.world.decorated:
            self.decorate(spec)
        else:
            self.register_explicitly(spec)

    def op_again(self, i: int) -> None:
        spec = self.world.specs[i]
        if spec.name in self.model.explicit:
            self.register_explicitly(spec)

    def register_explicitly(self, spec: Spec) -> None:
        cls = self.classes[spec.name]
        if spec.lifetime == "instance":
            obj = self.instances.get(spec.name) or object.__new__(cls)
            provider = Provider(Spec(spec.name, "instance", ()))
            refused = self.model.register([provider], explicit=True)
            self.expect_refusal(refused, lambda: self.container.register_instance(cls, obj))
            if refused is None:
                self.instances[spec.name] = obj
                self.tokens[("S", spec.name)] = obj
                self.seen.add(id(obj))
            return
        ghost = spec.unresolved(self.classes)
        call = lambda: self.container.register_class(cls, scope=Scope(spec.lifetime))
        if ghost is not None:
            with pytest.raises(DioxideTypeError, match=f"'{ghost}'"):
                call()
            self.check_registry()
            return
        self.expect_refusal(self.model.register([Provider(spec)], explicit=True), call)

    def decorate(self, spec: Spec) -> None:
        cls = self.classes[spec.name]
        decorator = singleton if spec.lifetime == "singleton" else component(scope=Scope(spec.lifetime))
        outcome = self.decorators.decorate(spec)
        self.expect_refusal(outcome.refused, lambda: _decorate(decorator, cls), outcome.unchanged)
        if outcome.refused is None:
            self.ns[spec.name] = cls

    def op_define(self, i: int) -> None:
        name = self.world.specs[i].name
        self.decorators.define(name)
        self.ns[name] = self.classes[name]

    def op_container(self) -> None:
        """A new ``Container()`` completes what plain definitions made resolvable."""
        outcome = self.decorators.new_container()
        created: list[Container] = []
        self.expect_refusal(outcome.refused, lambda: created.append(Container()), outcome.unchanged)
        if created:
            self.container = created[0]
            self.container_closed = False
            self._new_identities()

    def op_close_container(self) -> None:
        self.container.close()
        self.container_closed = True
        # Closing a container closes the scopes still open on it.
        for scope in self.scopes.values():
            scope[2] = True
        if not self.world.decorated:
            self.model.closed = True

    # -- scopes --------------------------------------------------------------

    def op_open(self, slot: int) -> None:
        if self.container_closed:
            with pytest.raises(ResolutionError, match="hint:"):
                self.container.create_scope()
            return
        self.scopes[slot] = [self.container.create_scope(), self.next_scope, False]
        self.next_scope += 1

    def op_close(self, slot: int) -> None:
        if slot in self.scopes:
            self.scopes[slot][0].close()
            self.close_tree(self.scopes[slot])

    def close_tree(self, entry: list[Any]) -> None:
        """A scope closes with the scopes nested in it (README)."""
        entry[2] = True
        for other in self.nested:
            if other[3] is entry and not other[2]:
                self.close_tree(other)

    def op_nested(self, source: int, slot: int) -> None:
        if source not in self.scopes:
            return
        parent, _, closed = self.scopes[source][:3]
        if closed:
            with pytest.raises(ScopeError, match="hint:"):
                parent.create_scope()
            return
        if self.container_closed:
            with pytest.raises(ResolutionError, match="hint:"):
                parent.create_scope()
            return
        # A nested scope has scoped instances of its own (README).
        self.scopes[slot] = [
            parent.create_scope(),
            self.next_scope,
            False,
            self.scopes[source],
        ]
        # Kept after its slot is reused: it still closes with its parent.
        self.nested.append(self.scopes[slot])
        self.next_scope += 1

    # -- resolving -----------------------------------------------------------

    def op_resolve(self, i: int, slot: Optional[int]) -> None:
        name = self.world.specs[i].name
        scope = self.scopes.get(slot) if slot is not None else None
        target = scope[0] if scope is not None else self.container
        sid = scope[1] if scope is not None else None
        if scope is not None and scope[2]:
            expected = Expected("ScopeError", built_nothing=True)
        elif self.container_closed:
            expected = Expected("ResolutionError", built_nothing=True)
        elif self.world.decorated:
            expected = self.decorators.resolve(name, in_scope=scope is not None)
        else:
            expected = self.model.resolve(name, in_scope=scope is not None)
        before = len(self.log)
        try:
            result = target.resolve(self.classes[name])
            error: Optional[DioxideError] = None
        except DioxideError as raised:
            error = raised
        built = self.log[before:]
        if expected.error is None:
            assert error is None, f"resolve({name}) raised {error!r}"
        else:
            assert type(error) is EXCEPTIONS[expected.error], f"resolve({name}): {error!r}"
            assert "hint:" in str(error), error
            if expected.built_nothing:
                assert not built, f"resolve({name}) built {built} before failing"
            self.check_error(error, expected)
        unclaimed: dict[int, Any] = {}
        for obj in built:
            self.check_built(obj, sid, unclaimed)
        if error is None:
            self.check_result(name, result, sid, unclaimed, built)

    def check_error(self, error: DioxideError, expected: Expected) -> None:
        names = [getattr(t, "__name__", t) for t in error.chain]
        if expected.error == "DependencyNotRegisteredError":
            assert tuple(names) == expected.chain, (names, expected)
            waiting = self.model.providers.get(expected.chain[-1])
            if waiting is not None and waiting.pending is not None:
                # A pending provider: the message names what it waits for.
                assert f"refers to '{expected.detail}'" in str(error), (str(error), expected)
            else:
                assert error.missing is self.classes[expected.detail]
        elif expected.error == "CaptiveDependencyError" and expected.detail != "refused":
            check_captive_chain(names, expected.lifetimes, expected.graph)

    def token(self, name: str, sid: Optional[int]) -> Optional[tuple[Any, ...]]:
        lifetime = self.model.providers[name].lifetime
        if lifetime in ("singleton", "instance"):
            return ("S", name)
        if lifetime == "scoped":
            assert sid is not None, f"scoped {name} built outside a scope"
            return ("P", sid, name)
        return None

    def check_built(self, obj: Any, sid: Optional[int], unclaimed: dict[int, Any]) -> None:
        """A constructor ran: it got the right arguments, and it ran because
        nothing of its lifetime existed yet."""
        name = type(obj).__name__
        assert id(obj) not in self.seen
        self.seen.add(id(obj))
        token = self.token(name, sid)
        if token is None:
            unclaimed[id(obj)] = obj
        else:
            assert token not in self.tokens, f"{token} built twice"
            self.tokens[token] = obj
        for dep in self.model.dependencies(name):
            value = obj._deps[dep.param]
            if dep.target not in self.model.providers:
                assert dep.optional and value is None, (name, dep, value)
                continue
            expected = self.token(dep.target, sid)
            if expected is not None:
                assert value is self.tokens[expected], (name, dep)
            else:
                assert type(value).__name__ == dep.target, (name, dep, value)
                assert unclaimed.pop(id(value), None) is value, f"{dep.target} injected twice"

    def check_result(
        self, name: str, result: Any, sid: Optional[int], unclaimed: dict[int, Any], built: list[Any]
    ) -> None:
        token = self.token(name, sid)
        if token is not None:
            assert result is self.tokens[token], f"{name} is not the shared instance"
        else:
            assert unclaimed.pop(id(result), None) is result, f"{name} is not a new instance"
        assert not unclaimed, f"transients built but not injected: {list(unclaimed.values())}"
        # Everything built was needed: it is reachable from the result.
        fresh = {id(obj) for obj in built}
        reached: set[int] = set()
        todo = [result]
        while todo:
            obj = todo.pop()
            if id(obj) in fresh and id(obj) not in reached:
                reached.add(id(obj))
                todo.extend(v for v in getattr(obj, "_deps", {}).values() if v is not None)
        assert reached == fresh, "a resolve built something it did not need"


@MODEL_SETTINGS
@given(world=worlds(decorated=False))
def test_explicit_registrations_agree_with_the_model(world: World) -> None:
    # Thousands of generated classes: keep them out of the real registry.
    with fresh_decorator_registry():
        run = Run(world)
        run.run()
        run.container.close()


@MODEL_SETTINGS
@given(world=worlds(decorated=True))
def test_decorated_registrations_and_forward_references_agree_with_the_model(world: World) -> None:
    with fresh_decorator_registry():
        run = Run(world)
        run.run()
        run.container.close()


# -- what the model found, as examples ---------------------------------------


def test_a_pending_completion_that_closes_a_cycle_fails_only_that_class() -> None:
    """A plain class definition can complete a pending provider into a
    cycle. Resolving that provider reports the cycle; ``Container()`` and
    everything else keep working (they used to raise about it)."""
    with fresh_decorator_registry():

        @component
        class Handler:
            def __init__(self, service: Service, helper: Helper) -> None: ...

        @component
        class Service:
            def __init__(self, handler: Handler) -> None: ...

        class Helper: ...  # completes Handler: Handler -> Service -> Handler

        container = Container()  # does not raise about Handler
        with pytest.raises(CircularDependencyError) as info:
            container.resolve(Handler)
        assert [t.__name__ for t in info.value.cycle] == ["Handler", "Service", "Handler"]
        with pytest.raises(CircularDependencyError):
            container.resolve(Service)

        @component
        class Unrelated: ...

        assert isinstance(container.resolve(Unrelated), Unrelated)
        assert isinstance(Container().resolve(Unrelated), Unrelated)


def test_a_pending_provider_names_the_annotation_it_still_waits_for() -> None:
    with fresh_decorator_registry():

        @component
        class Service:
            def __init__(self, repository: Repository, cache: Cache) -> None: ...  # noqa: F821

        @component
        class Repository: ...

        with pytest.raises(DependencyNotRegisteredError, match="refers to 'Cache'"):
            Container().resolve(Service)


def test_a_captive_dependency_completed_late_fails_only_its_own_resolves() -> None:
    """A singleton accepted while its dependency was pending, which then
    completes into a path to a scoped provider: resolving the singleton is
    refused, and nothing else is affected (every resolve of every container
    used to fail, as containers took in the decorated providers)."""
    with fresh_decorator_registry():

        @component(scope=Scope.SCOPED)
        class Request: ...

        @component
        class Session:
            def __init__(self, request: Request, clock: Clock) -> None: ...

        @singleton
        class Cache:
            def __init__(self, session: Session) -> None: ...

        @component
        class Clock: ...

        container = Container()
        assert isinstance(container.resolve(Clock), Clock)
        with container.create_scope() as scope, pytest.raises(CaptiveDependencyError):
            scope.resolve(Cache)
