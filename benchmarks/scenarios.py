"""The benchmark scenarios: plain classes, the checks every framework must
pass before it is timed, and the generated start-up graph (S7).

The classes here know nothing about any framework: each adapter in
``benchmarks/frameworks/`` registers these same classes its own way, so every
row of the results builds the same objects.
"""

# No ``from __future__ import annotations``: the classes below carry
# evaluated annotations, as the generated S7 classes do.
import sys
import types
from dataclasses import dataclass, field
from typing import Any, Callable, Optional

__all__ = [
    "SCENARIOS",
    "CheckFailed",
    "Graph",
    "Node",
    "Op",
    "Scenario",
    "call",
    "check_s7",
    "make_graph",
]


class CheckFailed(AssertionError):
    """A framework did not build what the scenario asks for; it is not timed."""


def expect(condition: bool, message: str) -> None:
    if not condition:
        raise CheckFailed(message)


@dataclass(frozen=True)
class Op:
    """One timed operation, as the user would write it.

    ``stmt`` is the statement a user writes (``c.resolve(Handler)``); the
    runner compiles it into a loop with the names of ``ns`` as locals, so no
    wrapper call is timed. For S1-S5 it is an expression whose value the
    checks inspect. For S6 it is a block (enter a scope, resolve, exit), and
    ``probe`` returns ``(a, a_again, b)``: the scoped instance twice from one
    scope and once from another.
    """

    stmt: str
    ns: dict[str, Any] = field(default_factory=dict)
    probe: Optional[Callable[[], tuple[Any, Any, Any]]] = None
    teardown: Optional[Callable[[], None]] = None


def call(fn: Callable[..., Any], *args: Any) -> Op:
    """An op calling ``fn(*args)``: for hand-written factories and the like."""
    names = [f"_a{i}" for i in range(len(args))]
    return Op(f"_fn({', '.join(names)})", {"_fn": fn, **dict(zip(names, args))})


# --- S1: cached singleton -------------------------------------------------


class Config:
    """S1: a singleton; every resolve after the first returns the cached one."""

    def __init__(self) -> None:
        self.dsn = "sqlite://"


def check_s1(a: Any, b: Any) -> None:
    expect(type(a) is Config, f"expected a Config, got {type(a).__name__}")
    expect(a is b, "two resolves of a singleton returned different objects")


# --- S2: transient, no dependencies ---------------------------------------


class Clock:
    """S2: a transient with no dependencies."""

    def __init__(self) -> None:
        pass


def check_s2(a: Any, b: Any) -> None:
    expect(type(a) is Clock, f"expected a Clock, got {type(a).__name__}")
    expect(a is not b, "two resolves of a transient returned the same object")


# --- S3: transient chain of 4 ---------------------------------------------


class Database:
    def __init__(self) -> None:
        pass


class Repository:
    def __init__(self, db: Database) -> None:
        self.db = db


class Service:
    def __init__(self, repo: Repository) -> None:
        self.repo = repo


class Handler:
    """S3: ``Handler -> Service -> Repository -> Database``, all transient."""

    def __init__(self, service: Service) -> None:
        self.service = service


def check_s3(a: Any, b: Any) -> None:
    expect(type(a) is Handler, f"expected a Handler, got {type(a).__name__}")
    expect(type(a.service) is Service, "Handler.service is not a Service")
    expect(type(a.service.repo) is Repository, "Service.repo is not a Repository")
    expect(type(a.service.repo.db) is Database, "Repository.db is not a Database")
    for path in ("", ".service", ".service.repo", ".service.repo.db"):
        expect(
            _attr(a, path) is not _attr(b, path),
            f"Handler{path} was shared between two resolves of a transient chain",
        )


def _attr(obj: Any, path: str) -> Any:
    for name in filter(None, path.split(".")):
        obj = getattr(obj, name)
    return obj


# --- S4: 10-class graph, singletons and transients, with a diamond --------
#
#   App ─┬─ UserService ─┬─ UserRepo ─┬─ Pool* ── Settings*
#        │               │            └─ Logger* ─ Settings*
#        │               └─ Cache ──── Settings*
#        ├─ OrderService ┬─ OrderRepo ┬─ Pool*, Logger*
#        │               └─ UserRepo (a second, distinct transient)
#        └─ Notifier ──── Logger*
#
# (* = singleton.) Both services reach Pool: the diamond shares one Pool,
# while each path builds its own UserRepo. A resolve of App builds 8
# transients and fetches 3 cached singletons.


class Settings:
    def __init__(self) -> None:
        self.pool_size = 10


class Logger:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings


class Pool:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings


class Cache:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings


class UserRepo:
    def __init__(self, pool: Pool, logger: Logger) -> None:
        self.pool = pool
        self.logger = logger


class OrderRepo:
    def __init__(self, pool: Pool, logger: Logger) -> None:
        self.pool = pool
        self.logger = logger


class UserService:
    def __init__(self, repo: UserRepo, cache: Cache) -> None:
        self.repo = repo
        self.cache = cache


class OrderService:
    def __init__(self, repo: OrderRepo, users: UserRepo) -> None:
        self.repo = repo
        self.users = users


class Notifier:
    def __init__(self, logger: Logger) -> None:
        self.logger = logger


class App:
    """S4: the root of the 10-class graph."""

    def __init__(self, users: UserService, orders: OrderService, notifier: Notifier) -> None:
        self.users = users
        self.orders = orders
        self.notifier = notifier


S4_SINGLETONS: tuple[type, ...] = (Settings, Logger, Pool)
S4_TRANSIENTS: tuple[type, ...] = (Cache, UserRepo, OrderRepo, UserService, OrderService, Notifier, App)


def check_s4(a: Any, b: Any) -> None:
    expect(type(a) is App, f"expected an App, got {type(a).__name__}")
    expect(type(a.users.repo) is UserRepo, "UserService.repo is not a UserRepo")
    expect(type(a.orders.users) is UserRepo, "OrderService.users is not a UserRepo")
    expect(type(a.orders.repo.pool) is Pool, "OrderRepo.pool is not a Pool")
    expect(type(a.users.cache) is Cache, "UserService.cache is not a Cache")
    pool = a.users.repo.pool
    expect(
        pool is a.orders.repo.pool is a.orders.users.pool is b.users.repo.pool,
        "the singleton Pool at the bottom of the diamond was built more than once",
    )
    logger = a.notifier.logger
    expect(
        logger is a.users.repo.logger is b.orders.repo.logger,
        "the singleton Logger was built more than once",
    )
    expect(pool.settings is logger.settings is a.users.cache.settings, "Settings not shared")
    expect(a.users.repo is not a.orders.users, "two paths to the transient UserRepo shared it")
    for path in ("", ".users", ".orders", ".notifier", ".users.cache", ".orders.repo"):
        expect(_attr(a, path) is not _attr(b, path), f"App{path} shared between resolves")


# --- S5: a transient with 8 transient dependencies ------------------------


class Dep1:
    def __init__(self) -> None:
        pass


class Dep2:
    def __init__(self) -> None:
        pass


class Dep3:
    def __init__(self) -> None:
        pass


class Dep4:
    def __init__(self) -> None:
        pass


class Dep5:
    def __init__(self) -> None:
        pass


class Dep6:
    def __init__(self) -> None:
        pass


class Dep7:
    def __init__(self) -> None:
        pass


class Dep8:
    def __init__(self) -> None:
        pass


class Wide:
    """S5: one transient with eight transient dependencies."""

    def __init__(
        self, d1: Dep1, d2: Dep2, d3: Dep3, d4: Dep4, d5: Dep5, d6: Dep6, d7: Dep7, d8: Dep8
    ) -> None:
        self.deps = (d1, d2, d3, d4, d5, d6, d7, d8)


S5_DEPS: tuple[type, ...] = (Dep1, Dep2, Dep3, Dep4, Dep5, Dep6, Dep7, Dep8)


def check_s5(a: Any, b: Any) -> None:
    expect(type(a) is Wide, f"expected a Wide, got {type(a).__name__}")
    expect(a is not b, "two resolves of a transient returned the same object")
    for i, (cls, x, y) in enumerate(zip(S5_DEPS, a.deps, b.deps), start=1):
        expect(type(x) is cls, f"Wide.d{i} is not a {cls.__name__}")
        expect(x is not y, f"Wide.d{i} was shared between two resolves")


# --- S6: scoped resolve with scope enter/exit -----------------------------


class AppSettings:
    """S6: a singleton the scoped class depends on."""

    def __init__(self) -> None:
        self.name = "bench"


class RequestContext:
    """S6: one instance per scope."""

    def __init__(self, settings: AppSettings) -> None:
        self.settings = settings


def check_s6(probe: Callable[[], tuple[Any, Any, Any]]) -> None:
    a, a_again, b = probe()
    expect(type(a) is RequestContext, f"expected a RequestContext, got {type(a).__name__}")
    expect(a is a_again, "one scope returned two different scoped instances")
    expect(a is not b, "two scopes shared a scoped instance")
    expect(type(a.settings) is AppSettings, "RequestContext.settings is not an AppSettings")
    expect(a.settings is b.settings, "the singleton AppSettings differs between scopes")


# --- S7: start-up with a generated graph of 500 classes -------------------


@dataclass(frozen=True)
class Node:
    """One generated class: its parameters in order, and its lifetime."""

    cls: type
    params: tuple[tuple[str, type], ...]
    singleton: bool


@dataclass(frozen=True)
class Graph:
    """A generated class graph, listed leaves first (definition order).

    Node ``i`` depends on its tree children ``3i+1 .. 3i+3``. Every fourth
    leaf is a singleton (infrastructure at the bottom; singletons only ever
    depend on singletons, a rule some frameworks enforce), and every seventh
    inner node also depends on a singleton leaf elsewhere in the tree (a
    cross edge, so the graph has diamonds). Transients are only reached along
    the tree, so resolving the root builds each class once.
    """

    nodes: tuple[Node, ...]
    root: type
    module: types.ModuleType

    @property
    def singletons(self) -> list[type]:
        return [n.cls for n in self.nodes if n.singleton]


def make_graph(size: int = 500, module_name: str = "_bench_graph") -> Graph:
    """Generate ``size`` classes with real (evaluated) ``__init__`` annotations,
    defined in a fresh module so annotation-reading frameworks find them."""

    def is_singleton(i: int) -> bool:
        return 3 * i + 1 >= size and i % 4 == 0

    deps: dict[int, list[int]] = {}
    for i in range(size):
        children = [c for c in range(3 * i + 1, 3 * i + 4) if c < size]
        if children and i % 7 == 0:
            cross = next((j for j in range(3 * i + 4, size) if is_singleton(j)), None)
            if cross is not None:
                children.append(cross)
        deps[i] = children
    lines: list[str] = []
    for i in reversed(range(size)):
        params = ", ".join(f"n{j}: N{j}" for j in deps[i])
        lines.append(f"class N{i}:")
        lines.append(f"    def __init__(self{', ' if params else ''}{params}) -> None:")
        lines.append(f"        self.deps = ({''.join(f'n{j}, ' for j in deps[i])})")
        lines.append("")
    module = types.ModuleType(module_name)
    sys.modules[module_name] = module
    exec(compile("\n".join(lines), f"<{module_name}>", "exec"), module.__dict__)
    classes = {i: getattr(module, f"N{i}") for i in range(size)}
    nodes = tuple(
        Node(
            cls=classes[i],
            params=tuple((f"n{j}", classes[j]) for j in deps[i]),
            singleton=is_singleton(i),
        )
        for i in reversed(range(size))
    )
    return Graph(nodes=nodes, root=classes[0], module=module)


def check_s7(graph: Graph, root: Any, root_again: Any) -> None:
    expect(type(root) is graph.root, f"expected a {graph.root.__name__}, got {type(root).__name__}")
    expect(root is not root_again, "the transient root was shared between two resolves")
    count = 0
    by_cls = {n.cls: n for n in graph.nodes}
    seen_singletons: dict[type, Any] = {}
    # (x, y, shared): the same position in both graphs; below a singleton
    # both resolves hold the very same subtree.
    stack = [(root, root_again, False)]
    while stack:
        x, y, shared = stack.pop()
        node = by_cls[type(x)]
        count += 1
        expect(type(y) is node.cls, f"{node.cls.__name__} built as {type(y).__name__}")
        if node.singleton:
            expect(x is y, f"singleton {node.cls.__name__} differs between resolves")
            known = seen_singletons.setdefault(node.cls, x)
            expect(known is x, f"singleton {node.cls.__name__} was built twice")
            shared = True
        elif not shared:
            expect(x is not y, f"transient {node.cls.__name__} shared between resolves")
        expect(len(x.deps) == len(node.params), f"{node.cls.__name__} has wrong dependencies")
        for (_, dep_cls), dx, dy in zip(node.params, x.deps, y.deps):
            expect(type(dx) is dep_cls, f"{node.cls.__name__} got a {type(dx).__name__}")
            stack.append((dx, dy, shared))
    expect(count >= len(graph.nodes), f"only {count} objects reachable from the root")


# --- the table of scenarios -----------------------------------------------


@dataclass(frozen=True)
class Scenario:
    id: str
    title: str
    check: Callable[..., None]
    kind: str = "value"  # "value": the op's value is checked; "scope": op.probe is


SCENARIOS: dict[str, Scenario] = {
    s.id: s
    for s in (
        Scenario("S1", "cached singleton resolve", check_s1),
        Scenario("S2", "transient, no dependencies", check_s2),
        Scenario("S3", "transient chain of 4", check_s3),
        Scenario("S4", "10-class graph with a diamond", check_s4),
        Scenario("S5", "transient with 8 dependencies", check_s5),
        Scenario("S6", "scope enter + scoped resolve + exit", check_s6, kind="scope"),
        Scenario("S7", "start-up: 500 classes + first resolve", check_s7, kind="startup"),
    )
}
