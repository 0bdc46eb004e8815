"""dishka: a ``Provider`` with ``provide(cls, ...)`` per class (wired from
``__init__`` hints), the synchronous ``make_container`` with its defaults
(including its lock around cached APP-scope objects). Transients are
``cache=False``; S6's scope is ``Scope.REQUEST``."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, Callable

from dishka import Provider, Scope, make_container

from benchmarks import scenarios as sc
from benchmarks.scenarios import Op

LABEL = "dishka"
DISTRIBUTION = "dishka"
IMPORTS = ("dishka",)
AUTOWIRING = True


def _container(
    singletons: Iterable[type] = (), transients: Iterable[type] = (), scoped: Iterable[type] = ()
) -> Any:
    provider = Provider()
    for cls in singletons:
        provider.provide(cls, scope=Scope.APP)
    for cls in transients:
        provider.provide(cls, scope=Scope.APP, cache=False)
    for cls in scoped:
        provider.provide(cls, scope=Scope.REQUEST)
    return make_container(provider)


def _get(container: Any, cls: type) -> Op:
    return Op("c.get(T)", {"c": container, "T": cls}, teardown=container.close)


def s1() -> Op:
    return _get(_container(singletons=[sc.Config]), sc.Config)


def s2() -> Op:
    return _get(_container(transients=[sc.Clock]), sc.Clock)


def s3() -> Op:
    chain = [sc.Database, sc.Repository, sc.Service, sc.Handler]
    return _get(_container(transients=chain), sc.Handler)


def s4() -> Op:
    return _get(_container(sc.S4_SINGLETONS, sc.S4_TRANSIENTS), sc.App)


def s5() -> Op:
    return _get(_container(transients=[*sc.S5_DEPS, sc.Wide]), sc.Wide)


def s6() -> Op:
    container = _container(singletons=[sc.AppSettings], scoped=[sc.RequestContext])

    def probe() -> tuple[Any, Any, Any]:
        with container() as one:
            a, a_again = one.get(sc.RequestContext), one.get(sc.RequestContext)
        with container() as two:
            b = two.get(sc.RequestContext)
        return a, a_again, b

    return Op(
        "with c() as r:\n    r.get(T)",
        {"c": container, "T": sc.RequestContext},
        probe=probe,
        teardown=container.close,
    )


def s7(graph: sc.Graph) -> tuple[Any, Callable[[], Any]]:
    provider = Provider()
    for node in graph.nodes:
        provider.provide(node.cls, scope=Scope.APP, cache=node.singleton)
    container = make_container(provider)
    return container.get(graph.root), lambda: container.get(graph.root)
