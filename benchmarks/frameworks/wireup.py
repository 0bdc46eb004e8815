"""wireup: ``@injectable(lifetime=...)`` on each class (applied here, the
decorator only tags the class) and ``create_sync_container``. wireup refuses
to build transients from the root container, so S2-S5 resolve from one
scope opened before timing, as a request handler would."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, Callable, Literal

from wireup import create_sync_container, injectable

from benchmarks import scenarios as sc
from benchmarks.scenarios import Op

LABEL = "wireup"
DISTRIBUTION = "wireup"
IMPORTS = ("wireup",)
AUTOWIRING = True


def _container(
    singletons: Iterable[type] = (), transients: Iterable[type] = (), scoped: Iterable[type] = ()
) -> Any:
    lifetimes: tuple[tuple[Literal["singleton", "transient", "scoped"], Iterable[type]], ...] = (
        ("singleton", singletons),
        ("transient", transients),
        ("scoped", scoped),
    )
    classes = [injectable(lifetime=lifetime)(cls) for lifetime, group in lifetimes for cls in group]
    return create_sync_container(injectables=classes)


def _get_in_scope(container: Any, cls: type) -> Op:
    scope = container.enter_scope()

    def teardown() -> None:
        scope.__exit__(None, None, None)
        container.close()

    return Op("s.get(T)", {"s": scope, "T": cls}, teardown=teardown)


def s1() -> Op:
    container = _container(singletons=[sc.Config])
    return Op("c.get(T)", {"c": container, "T": sc.Config}, teardown=container.close)


def s2() -> Op:
    return _get_in_scope(_container(transients=[sc.Clock]), sc.Clock)


def s3() -> Op:
    chain = [sc.Database, sc.Repository, sc.Service, sc.Handler]
    return _get_in_scope(_container(transients=chain), sc.Handler)


def s4() -> Op:
    return _get_in_scope(_container(sc.S4_SINGLETONS, sc.S4_TRANSIENTS), sc.App)


def s5() -> Op:
    return _get_in_scope(_container(transients=[*sc.S5_DEPS, sc.Wide]), sc.Wide)


def s6() -> Op:
    container = _container(singletons=[sc.AppSettings], scoped=[sc.RequestContext])

    def probe() -> tuple[Any, Any, Any]:
        with container.enter_scope() as one:
            a, a_again = one.get(sc.RequestContext), one.get(sc.RequestContext)
        with container.enter_scope() as two:
            b = two.get(sc.RequestContext)
        return a, a_again, b

    return Op(
        "with c.enter_scope() as s:\n    s.get(T)",
        {"c": container, "T": sc.RequestContext},
        probe=probe,
        teardown=container.close,
    )


def s7(graph: sc.Graph) -> tuple[Any, Callable[[], Any]]:
    classes = [
        injectable(lifetime="singleton" if node.singleton else "transient")(node.cls)
        for node in graph.nodes
    ]
    container = create_sync_container(injectables=classes)

    def resolve_root() -> Any:
        with container.enter_scope() as scope:
            return scope.get(graph.root)

    return resolve_root(), resolve_root
