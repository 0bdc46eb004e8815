"""modern-di: ``providers.Factory(cls, ...)`` per class (wired from
``__init__`` hints by type), singletons as ``cache=True`` at ``Scope.APP``,
S6's scoped class as ``cache=True`` at ``Scope.REQUEST`` resolved in a
child container."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, Callable

from modern_di import Container, Scope, providers

from benchmarks import scenarios as sc
from benchmarks.scenarios import Op

LABEL = "modern-di"
DISTRIBUTION = "modern-di"
IMPORTS = ("modern_di",)
AUTOWIRING = True


def _container(
    singletons: Iterable[type] = (), transients: Iterable[type] = (), scoped: Iterable[type] = ()
) -> Container:
    container = Container()
    container.add_providers(
        *(providers.Factory(cls, scope=Scope.APP, cache=True) for cls in singletons),
        *(providers.Factory(cls, scope=Scope.APP) for cls in transients),
        *(providers.Factory(cls, scope=Scope.REQUEST, cache=True) for cls in scoped),
    )
    return container


def _resolve(container: Container, cls: type) -> Op:
    return Op("c.resolve(T)", {"c": container, "T": cls}, teardown=container.close_sync)


def s1() -> Op:
    return _resolve(_container(singletons=[sc.Config]), sc.Config)


def s2() -> Op:
    return _resolve(_container(transients=[sc.Clock]), sc.Clock)


def s3() -> Op:
    chain = [sc.Database, sc.Repository, sc.Service, sc.Handler]
    return _resolve(_container(transients=chain), sc.Handler)


def s4() -> Op:
    return _resolve(_container(sc.S4_SINGLETONS, sc.S4_TRANSIENTS), sc.App)


def s5() -> Op:
    return _resolve(_container(transients=[*sc.S5_DEPS, sc.Wide]), sc.Wide)


def s6() -> Op:
    container = _container(singletons=[sc.AppSettings], scoped=[sc.RequestContext])

    def probe() -> tuple[Any, Any, Any]:
        with container.build_child_container(scope=Scope.REQUEST) as one:
            a, a_again = one.resolve(sc.RequestContext), one.resolve(sc.RequestContext)
        with container.build_child_container(scope=Scope.REQUEST) as two:
            b = two.resolve(sc.RequestContext)
        return a, a_again, b

    return Op(
        "with c.build_child_container(scope=REQUEST) as r:\n    r.resolve(T)",
        {"c": container, "T": sc.RequestContext, "REQUEST": Scope.REQUEST},
        probe=probe,
        teardown=container.close_sync,
    )


def s7(graph: sc.Graph) -> tuple[Any, Callable[[], Any]]:
    container = Container()
    container.add_providers(
        *(providers.Factory(node.cls, scope=Scope.APP, cache=node.singleton) for node in graph.nodes)
    )
    return container.resolve(graph.root), lambda: container.resolve(graph.root)
