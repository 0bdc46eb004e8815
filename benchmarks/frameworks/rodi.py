"""rodi: ``add_singleton`` / ``add_transient`` / ``add_scoped`` per class
(wired from ``__init__`` hints), ``build_provider()`` once, then
``Services.get``; S6 passes an activation scope to ``get``."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, Callable

from rodi import Container, Services

from benchmarks import scenarios as sc
from benchmarks.scenarios import Op

LABEL = "rodi"
DISTRIBUTION = "rodi"
IMPORTS = ("rodi",)
AUTOWIRING = True


def _services(
    singletons: Iterable[type] = (), transients: Iterable[type] = (), scoped: Iterable[type] = ()
) -> Services:
    container = Container()
    for cls in singletons:
        container.add_singleton(cls)
    for cls in transients:
        container.add_transient(cls)
    for cls in scoped:
        container.add_scoped(cls)
    return container.build_provider()


def _get(services: Services, cls: type) -> Op:
    return Op("s.get(T)", {"s": services, "T": cls})


def s1() -> Op:
    return _get(_services(singletons=[sc.Config]), sc.Config)


def s2() -> Op:
    return _get(_services(transients=[sc.Clock]), sc.Clock)


def s3() -> Op:
    chain = [sc.Database, sc.Repository, sc.Service, sc.Handler]
    return _get(_services(transients=chain), sc.Handler)


def s4() -> Op:
    return _get(_services(sc.S4_SINGLETONS, sc.S4_TRANSIENTS), sc.App)


def s5() -> Op:
    return _get(_services(transients=[*sc.S5_DEPS, sc.Wide]), sc.Wide)


def s6() -> Op:
    services = _services(singletons=[sc.AppSettings], scoped=[sc.RequestContext])

    def probe() -> tuple[Any, Any, Any]:
        with services.create_scope() as one:
            a = services.get(sc.RequestContext, one)
            a_again = services.get(sc.RequestContext, one)
        with services.create_scope() as two:
            b = services.get(sc.RequestContext, two)
        return a, a_again, b

    return Op(
        "with s.create_scope() as scope:\n    s.get(T, scope)",
        {"s": services, "T": sc.RequestContext},
        probe=probe,
    )


def s7(graph: sc.Graph) -> tuple[Any, Callable[[], Any]]:
    services = _services(
        singletons=[n.cls for n in graph.nodes if n.singleton],
        transients=[n.cls for n in graph.nodes if not n.singleton],
    )
    return services.get(graph.root), lambda: services.get(graph.root)
