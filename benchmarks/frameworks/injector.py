"""injector: ``@inject`` on each class (applied here; it only records the
constructor's bindings), a module function binding each class, singletons
with ``scope=singleton``; ``Injector.get``."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, Callable

from injector import Binder, Injector, inject, singleton

from benchmarks import scenarios as sc
from benchmarks.scenarios import Op

LABEL = "injector"
DISTRIBUTION = "injector"
IMPORTS = ("injector",)
AUTOWIRING = True
UNSUPPORTED = {
    "S6": "no request scope in injector itself (flask-injector adds one for Flask)",
}


def _injector(singletons: Iterable[type] = (), transients: Iterable[type] = ()) -> Injector:
    singletons, transients = list(singletons), list(transients)
    for cls in (*singletons, *transients):
        inject(cls)

    def configure(binder: Binder) -> None:
        for cls in singletons:
            binder.bind(cls, scope=singleton)
        for cls in transients:
            binder.bind(cls)

    return Injector([configure])


def _get(injector: Injector, cls: type) -> Op:
    return Op("i.get(T)", {"i": injector, "T": cls})


def s1() -> Op:
    return _get(_injector(singletons=[sc.Config]), sc.Config)


def s2() -> Op:
    return _get(_injector(transients=[sc.Clock]), sc.Clock)


def s3() -> Op:
    chain = [sc.Database, sc.Repository, sc.Service, sc.Handler]
    return _get(_injector(transients=chain), sc.Handler)


def s4() -> Op:
    return _get(_injector(sc.S4_SINGLETONS, sc.S4_TRANSIENTS), sc.App)


def s5() -> Op:
    return _get(_injector(transients=[*sc.S5_DEPS, sc.Wide]), sc.Wide)


def s7(graph: sc.Graph) -> tuple[Any, Callable[[], Any]]:
    injector = _injector(
        singletons=[n.cls for n in graph.nodes if n.singleton],
        transients=[n.cls for n in graph.nodes if not n.singleton],
    )
    return injector.get(graph.root), lambda: injector.get(graph.root)
