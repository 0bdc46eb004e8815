"""dioxide: ``register_class`` for S1-S6 (the same compiled plan the
decorators produce, without touching the default registry the decorators
fill); ``@component`` / ``@singleton`` for S7, as the start-up of a
decorated application."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, Callable

from dioxide import Container, Scope, component, singleton

from benchmarks import scenarios as sc
from benchmarks.scenarios import Op

LABEL = "dioxide"
DISTRIBUTION = "dioxide"
IMPORTS = ("dioxide",)
AUTOWIRING = True


def _container(
    singletons: Iterable[type] = (), transients: Iterable[type] = (), scoped: Iterable[type] = ()
) -> Container:
    container = Container()
    for cls in singletons:
        container.register_class(cls, scope=Scope.SINGLETON)
    for cls in transients:
        container.register_class(cls)
    for cls in scoped:
        container.register_class(cls, scope=Scope.SCOPED)
    return container


def _resolve(container: Container, cls: type) -> Op:
    return Op("c.resolve(T)", {"c": container, "T": cls})


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
        with container.create_scope() as one:
            a, a_again = one.resolve(sc.RequestContext), one.resolve(sc.RequestContext)
        with container.create_scope() as two:
            b = two.resolve(sc.RequestContext)
        return a, a_again, b

    return Op(
        "with c.create_scope() as s:\n    s.resolve(T)",
        {"c": container, "T": sc.RequestContext},
        probe=probe,
    )


def s7(graph: sc.Graph) -> tuple[Any, Callable[[], Any]]:
    for node in graph.nodes:
        if node.singleton:
            singleton(node.cls)
        else:
            component(node.cls)
    container = Container()
    return container.resolve(graph.root), lambda: container.resolve(graph.root)
