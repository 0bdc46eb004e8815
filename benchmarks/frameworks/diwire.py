"""diwire in its documented fast configuration: strict mode (explicit
registrations, no auto-registration), ``use_resolver_context=False`` and
``compile()``, which rebinds ``resolve`` to the generated resolver. Lock mode
is left at its default ("auto": thread locks for cached providers).
Singletons are ``Lifetime.SCOPED`` at ``Scope.APP``."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, Callable

from diwire import Container, DependencyRegistrationPolicy, Lifetime, MissingPolicy, Scope

from benchmarks import scenarios as sc
from benchmarks.scenarios import Op

LABEL = "diwire"
DISTRIBUTION = "diwire"
IMPORTS = ("diwire",)
AUTOWIRING = True


def _new() -> Container:
    return Container(
        missing_policy=MissingPolicy.ERROR,
        dependency_registration_policy=DependencyRegistrationPolicy.IGNORE,
        use_resolver_context=False,
    )


def _container(
    singletons: Iterable[type] = (), transients: Iterable[type] = (), scoped: Iterable[type] = ()
) -> Container:
    container = _new()
    for cls in singletons:
        container.add(cls, lifetime=Lifetime.SCOPED, scope=Scope.APP)
    for cls in transients:
        container.add(cls, lifetime=Lifetime.TRANSIENT)
    for cls in scoped:
        container.add(cls, lifetime=Lifetime.SCOPED, scope=Scope.REQUEST)
    container.compile()
    return container


def _resolve(container: Container, cls: type) -> Op:
    return Op("c.resolve(T)", {"c": container, "T": cls}, teardown=container.close)


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
        with container.enter_scope() as one:
            a, a_again = one.resolve(sc.RequestContext), one.resolve(sc.RequestContext)
        with container.enter_scope() as two:
            b = two.resolve(sc.RequestContext)
        return a, a_again, b

    return Op(
        "with c.enter_scope() as r:\n    r.resolve(T)",
        {"c": container, "T": sc.RequestContext},
        probe=probe,
        teardown=container.close,
    )


def s7(graph: sc.Graph) -> tuple[Any, Callable[[], Any]]:
    container = _new()
    for node in graph.nodes:
        if node.singleton:
            container.add(node.cls, lifetime=Lifetime.SCOPED, scope=Scope.APP)
        else:
            container.add(node.cls, lifetime=Lifetime.TRANSIENT)
    container.compile()
    return container.resolve(graph.root), lambda: container.resolve(graph.root)
