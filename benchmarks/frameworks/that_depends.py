"""that-depends: a ``BaseContainer`` subclass with explicit providers, each
dependency passed as a provider argument (``provider.cast``, its typed
spelling; it does not read type hints);
``resolve_sync()`` on the provider. S6's scoped object is a
``ContextResource`` (its only per-scope lifetime, so it takes a generator)
in ``ContextScopes.REQUEST``, entered with ``container_context``."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, Callable

from that_depends import BaseContainer, ContextScopes, container_context, providers

from benchmarks import scenarios as sc
from benchmarks.scenarios import Op

LABEL = "that-depends"
DISTRIBUTION = "that-depends"
IMPORTS = ("that_depends",)
AUTOWIRING = False


def _container(name: str, **members: Any) -> type[BaseContainer]:
    return type(name, (BaseContainer,), members)


def _resolve(container: type[BaseContainer], attribute: str) -> Op:
    return Op(f"C.{attribute}.resolve_sync()", {"C": container})


def s1() -> Op:
    return _resolve(_container("S1", config=providers.Singleton(sc.Config)), "config")


def s2() -> Op:
    return _resolve(_container("S2", clock=providers.Factory(sc.Clock)), "clock")


def s3() -> Op:
    database = providers.Factory(sc.Database)
    repository = providers.Factory(sc.Repository, db=database.cast)
    service = providers.Factory(sc.Service, repo=repository.cast)
    handler = providers.Factory(sc.Handler, service=service.cast)
    container = _container(
        "S3", database=database, repository=repository, service=service, handler=handler
    )
    return _resolve(container, "handler")


def s4() -> Op:
    settings = providers.Singleton(sc.Settings)
    logger = providers.Singleton(sc.Logger, settings=settings.cast)
    pool = providers.Singleton(sc.Pool, settings=settings.cast)
    cache = providers.Factory(sc.Cache, settings=settings.cast)
    user_repo = providers.Factory(sc.UserRepo, pool=pool.cast, logger=logger.cast)
    order_repo = providers.Factory(sc.OrderRepo, pool=pool.cast, logger=logger.cast)
    user_service = providers.Factory(sc.UserService, repo=user_repo.cast, cache=cache.cast)
    order_service = providers.Factory(sc.OrderService, repo=order_repo.cast, users=user_repo.cast)
    notifier = providers.Factory(sc.Notifier, logger=logger.cast)
    app = providers.Factory(
        sc.App, users=user_service.cast, orders=order_service.cast, notifier=notifier.cast
    )
    container = _container(
        "S4",
        settings=settings,
        logger=logger,
        pool=pool,
        cache=cache,
        user_repo=user_repo,
        order_repo=order_repo,
        user_service=user_service,
        order_service=order_service,
        notifier=notifier,
        app=app,
    )
    return _resolve(container, "app")


def s5() -> Op:
    deps: dict[str, Any] = {
        f"d{i}": providers.Factory(cls) for i, cls in enumerate(sc.S5_DEPS, start=1)
    }
    wide = providers.Factory(sc.Wide, **{name: p.cast for name, p in deps.items()})
    return _resolve(_container("S5", wide=wide, **deps), "wide")


def _request_context(settings: sc.AppSettings) -> Iterator[sc.RequestContext]:
    yield sc.RequestContext(settings)


def s6() -> Op:
    settings = providers.Singleton(sc.AppSettings)
    request_context = providers.ContextResource(_request_context, settings=settings.cast).with_config(
        scope=ContextScopes.REQUEST
    )
    container = _container("S6", settings=settings, request_context=request_context)

    def probe() -> tuple[Any, Any, Any]:
        with container_context(container, scope=ContextScopes.REQUEST):
            a = request_context.resolve_sync()
            a_again = request_context.resolve_sync()
        with container_context(container, scope=ContextScopes.REQUEST):
            b = request_context.resolve_sync()
        return a, a_again, b

    return Op(
        "with context(C, scope=REQUEST):\n    C.request_context.resolve_sync()",
        {"C": container, "context": container_context, "REQUEST": ContextScopes.REQUEST},
        probe=probe,
    )


def s7(graph: sc.Graph) -> tuple[Any, Callable[[], Any]]:
    made: dict[type, Any] = {}
    for node in graph.nodes:
        kind = providers.Singleton if node.singleton else providers.Factory
        made[node.cls] = kind(node.cls, **{name: made[dep].cast for name, dep in node.params})
    container = _container("S7", **{cls.__name__.lower(): p for cls, p in made.items()})
    root = getattr(container, graph.root.__name__.lower())
    return root.resolve_sync(), root.resolve_sync
