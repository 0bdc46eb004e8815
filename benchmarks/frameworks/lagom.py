"""lagom (mypyc-compiled): singletons defined with ``Singleton(cls)``,
everything else built by reflection on type hints with no registration;
``container[T]``. S6 uses ``temporary_singletons``, lagom's per-context
singletons."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, Callable

from lagom import Container, Singleton

from benchmarks import scenarios as sc
from benchmarks.scenarios import Op

LABEL = "lagom"
DISTRIBUTION = "lagom"
IMPORTS = ("lagom",)
AUTOWIRING = True


def _container(singletons: Iterable[type] = ()) -> Container:
    container = Container()
    for cls in singletons:
        container[cls] = Singleton(cls)
    return container


def _get(container: Container, cls: type) -> Op:
    return Op("c[T]", {"c": container, "T": cls})


def s1() -> Op:
    return _get(_container([sc.Config]), sc.Config)


def s2() -> Op:
    return _get(_container(), sc.Clock)


def s3() -> Op:
    return _get(_container(), sc.Handler)


def s4() -> Op:
    return _get(_container(sc.S4_SINGLETONS), sc.App)


def s5() -> Op:
    return _get(_container(), sc.Wide)


def s6() -> Op:
    container = _container([sc.AppSettings])
    scoped = [sc.RequestContext]

    def probe() -> tuple[Any, Any, Any]:
        with container.temporary_singletons(scoped) as one:
            a, a_again = one[sc.RequestContext], one[sc.RequestContext]
        with container.temporary_singletons(scoped) as two:
            b = two[sc.RequestContext]
        return a, a_again, b

    return Op(
        "with c.temporary_singletons(scoped) as s:\n    s[T]",
        {"c": container, "T": sc.RequestContext, "scoped": scoped},
        probe=probe,
    )


def s7(graph: sc.Graph) -> tuple[Any, Callable[[], Any]]:
    container = _container(graph.singletons)
    return container[graph.root], lambda: container[graph.root]
