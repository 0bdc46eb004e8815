"""punq: ``register(cls)`` per class (wired from ``__init__`` hints),
singletons with ``scope=Scope.singleton``; ``resolve``. Transients are
registered with ``cache=False``: punq's default shares one "transient" across
a whole resolve, which fails S4's check (two paths to ``UserRepo`` got the
same object)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, Callable

import punq

from benchmarks import scenarios as sc
from benchmarks.scenarios import Op

LABEL = "punq"
DISTRIBUTION = "punq"
IMPORTS = ("punq",)
AUTOWIRING = True
UNSUPPORTED = {"S6": "no scopes: only transient and singleton"}


def _container(singletons: Iterable[type] = (), transients: Iterable[type] = ()) -> punq.Container:
    container = punq.Container()
    for cls in singletons:
        container.register(cls, scope=punq.Scope.singleton)
    for cls in transients:
        container.register(cls, cache=False)
    return container


def _resolve(container: punq.Container, cls: type) -> Op:
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


def s7(graph: sc.Graph) -> tuple[Any, Callable[[], Any]]:
    container = _container(
        singletons=[n.cls for n in graph.nodes if n.singleton],
        transients=[n.cls for n in graph.nodes if not n.singleton],
    )
    return container.resolve(graph.root), lambda: container.resolve(graph.root)
