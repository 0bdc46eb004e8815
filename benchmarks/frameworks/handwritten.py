"""Hand-written construction: the floor every framework is compared with.

Each scenario is what a careful programmer writes without a container: a
factory function that calls the constructors, singletons held in closures,
and a minimal scope object for S6.
"""

from __future__ import annotations

from typing import Any, Callable, Optional

from benchmarks import scenarios as sc
from benchmarks.scenarios import Op, call

LABEL = "hand-written"
DISTRIBUTION = None
IMPORTS: tuple[str, ...] = ()
AUTOWIRING = False


def s1() -> Op:
    config = sc.Config()

    def get_config() -> sc.Config:
        return config

    return call(get_config)


def s2() -> Op:
    return call(sc.Clock)


def s3() -> Op:
    Handler, Service, Repository, Database = sc.Handler, sc.Service, sc.Repository, sc.Database

    def make_handler() -> sc.Handler:
        return Handler(Service(Repository(Database())))

    return call(make_handler)


def s4() -> Op:
    settings = sc.Settings()
    logger = sc.Logger(settings)
    pool = sc.Pool(settings)
    App, UserService, OrderService, Notifier = sc.App, sc.UserService, sc.OrderService, sc.Notifier
    UserRepo, OrderRepo, Cache = sc.UserRepo, sc.OrderRepo, sc.Cache

    def make_app() -> sc.App:
        return App(
            UserService(UserRepo(pool, logger), Cache(settings)),
            OrderService(OrderRepo(pool, logger), UserRepo(pool, logger)),
            Notifier(logger),
        )

    return call(make_app)


def s5() -> Op:
    Wide, D1, D2, D3, D4, D5, D6, D7, D8 = sc.Wide, *sc.S5_DEPS

    def make_wide() -> sc.Wide:
        return Wide(D1(), D2(), D3(), D4(), D5(), D6(), D7(), D8())

    return call(make_wide)


def s6() -> Op:
    settings = sc.AppSettings()
    RequestContext = sc.RequestContext

    class RequestScope:
        """Caches the scoped instance; forgets it on exit."""

        __slots__ = ("_context",)

        def __init__(self) -> None:
            self._context: Optional[sc.RequestContext] = None

        def __enter__(self) -> RequestScope:
            return self

        def __exit__(self, *exc: object) -> None:
            self._context = None

        def request_context(self) -> sc.RequestContext:
            context = self._context
            if context is None:
                context = self._context = RequestContext(settings)
            return context

    def probe() -> tuple[Any, Any, Any]:
        with RequestScope() as one:
            a, a_again = one.request_context(), one.request_context()
        with RequestScope() as two:
            b = two.request_context()
        return a, a_again, b

    return Op(
        "with Scope() as s:\n    s.request_context()",
        {"Scope": RequestScope},
        probe=probe,
    )


def s7_prepare(graph: sc.Graph) -> Callable[[], Any]:
    """The hand-written module for the graph: singletons built at import,
    a factory function for the root. Compiled here, untimed, as Python
    compiles a module before it runs; running it is what S7 times."""
    index = {node.cls: i for i, node in enumerate(graph.nodes)}
    by_cls = {node.cls: node for node in graph.nodes}

    def expr(cls: type) -> str:
        node = by_cls[cls]
        if node.singleton:
            return f"s{index[cls]}"
        return f"{cls.__name__}({', '.join(expr(dep) for _, dep in node.params)})"

    lines = ["def start():"]
    for node in graph.nodes:  # leaves first: a singleton's dependencies exist
        if node.singleton:
            args = ", ".join(expr(dep) for _, dep in node.params)
            lines.append(f"    s{index[node.cls]} = {node.cls.__name__}({args})")
    lines.append(f"    def build_root():\n        return {expr(graph.root)}")
    lines.append("    return build_root")
    namespace = dict(graph.module.__dict__)
    exec(compile("\n".join(lines), "<handwritten graph>", "exec"), namespace)
    start: Callable[[], Any] = namespace["start"]
    return start


def s7(graph: sc.Graph, start: Callable[[], Callable[[], Any]]) -> tuple[Any, Callable[[], Any]]:
    build_root = start()
    return build_root(), build_root
