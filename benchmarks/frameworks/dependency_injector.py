"""dependency-injector (Cython core): providers declared explicitly, each
dependency passed as a keyword argument (it does not read type hints)."""

from __future__ import annotations

from typing import Any, Callable

from dependency_injector import containers, providers

from benchmarks import scenarios as sc
from benchmarks.scenarios import Op

LABEL = "dependency-injector"
DISTRIBUTION = "dependency-injector"
IMPORTS = ("dependency_injector.containers", "dependency_injector.providers")
AUTOWIRING = False
UNSUPPORTED = {
    "S6": "no scope object: per-request lifetimes are left to the web framework "
    "(Resource/ContextLocalSingleton reset by hand)",
}


def _call(container: Any, attribute: str) -> Op:
    return Op(f"c.{attribute}()", {"c": container})


def s1() -> Op:
    class Root(containers.DeclarativeContainer):
        config = providers.Singleton(sc.Config)

    return _call(Root(), "config")


def s2() -> Op:
    class Root(containers.DeclarativeContainer):
        clock = providers.Factory(sc.Clock)

    return _call(Root(), "clock")


def s3() -> Op:
    class Root(containers.DeclarativeContainer):
        database = providers.Factory(sc.Database)
        repository = providers.Factory(sc.Repository, db=database)
        service = providers.Factory(sc.Service, repo=repository)
        handler = providers.Factory(sc.Handler, service=service)

    return _call(Root(), "handler")


def s4() -> Op:
    class Root(containers.DeclarativeContainer):
        settings = providers.Singleton(sc.Settings)
        logger = providers.Singleton(sc.Logger, settings=settings)
        pool = providers.Singleton(sc.Pool, settings=settings)
        cache = providers.Factory(sc.Cache, settings=settings)
        user_repo = providers.Factory(sc.UserRepo, pool=pool, logger=logger)
        order_repo = providers.Factory(sc.OrderRepo, pool=pool, logger=logger)
        user_service = providers.Factory(sc.UserService, repo=user_repo, cache=cache)
        order_service = providers.Factory(sc.OrderService, repo=order_repo, users=user_repo)
        notifier = providers.Factory(sc.Notifier, logger=logger)
        app = providers.Factory(
            sc.App, users=user_service, orders=order_service, notifier=notifier
        )

    return _call(Root(), "app")


def s5() -> Op:
    class Root(containers.DeclarativeContainer):
        d1 = providers.Factory(sc.Dep1)
        d2 = providers.Factory(sc.Dep2)
        d3 = providers.Factory(sc.Dep3)
        d4 = providers.Factory(sc.Dep4)
        d5 = providers.Factory(sc.Dep5)
        d6 = providers.Factory(sc.Dep6)
        d7 = providers.Factory(sc.Dep7)
        d8 = providers.Factory(sc.Dep8)
        wide = providers.Factory(sc.Wide, d1=d1, d2=d2, d3=d3, d4=d4, d5=d5, d6=d6, d7=d7, d8=d8)

    return _call(Root(), "wide")


def s7(graph: sc.Graph) -> tuple[Any, Callable[[], Any]]:
    container = containers.DynamicContainer()
    made: dict[type, Any] = {}
    for node in graph.nodes:
        kind = providers.Singleton if node.singleton else providers.Factory
        provider = kind(node.cls, **{name: made[dep] for name, dep in node.params})
        made[node.cls] = provider
        setattr(container, node.cls.__name__.lower(), provider)
    root = getattr(container, graph.root.__name__.lower())
    return root(), root
