"""Factories: ``container.factory(T)`` builds ``T`` from the caller's
arguments plus injected ones."""

from __future__ import annotations

import threading
from typing import Annotated

import pytest

from dioxide import (
    Container,
    DependencyNotRegisteredError,
    DioxideTypeError,
    Factory,
    Inject,
    Registry,
    Scope,
    ScopeError,
    Value,
    component,
    inject,
    singleton,
)


class MovieFinder:
    pass


class MovieLister:
    def __init__(self, path: str, finder: MovieFinder, limit: int = 10) -> None:
        self.path = path
        self.finder = finder
        self.limit = limit


@pytest.fixture
def app(registry: Registry) -> Container:
    singleton(registry=registry)(MovieFinder)
    return Container(registry=registry)


def test_the_caller_passes_some_arguments_and_the_rest_are_injected(app: Container) -> None:
    make_lister = app.factory(MovieLister)
    assert isinstance(make_lister, Factory)
    first = make_lister("movies.csv")
    second = make_lister(path="other.csv", limit=3)
    assert (first.path, first.limit) == ("movies.csv", 10)
    assert (second.path, second.limit) == ("other.csv", 3)
    assert first.finder is second.finder is app.resolve(MovieFinder)
    assert first is not second


def test_a_passed_argument_wins_over_injection(app: Container) -> None:
    mine = MovieFinder()
    assert app.factory(MovieLister)("x", finder=mine).finder is mine


def test_the_target_need_not_be_registered_and_each_call_builds_anew(app: Container) -> None:
    registered = MovieLister("registered", MovieFinder())
    app.register_instance(MovieLister, registered)
    make_lister = app.factory(MovieLister)
    assert make_lister("a") is not make_lister("a")
    assert make_lister("a") is not registered


def test_a_scope_factory_resolves_scoped_dependencies_in_the_scope(registry: Registry) -> None:
    class Session:
        pass

    class Report:
        def __init__(self, title: str, session: Session) -> None:
            self.title = title
            self.session = session

    container = Container(registry=registry)
    container.register_class(Session, scope=Scope.SCOPED)
    with container.create_scope() as scope:
        report = scope.factory(Report)("weekly")
        assert report.session is scope.resolve(Session)
    with pytest.raises(ScopeError, match="can only be resolved inside a scope"):
        container.factory(Report)("weekly")


def test_values_are_injected_too(registry: Registry) -> None:
    class Client:
        def __init__(self, name: str, url: Annotated[str, Value("api_url")]) -> None:
            self.name = name
            self.url = url

    container = Container(registry=registry)
    container.register_value("api_url", "https://api")
    client = container.factory(Client)("billing")
    assert (client.name, client.url) == ("billing", "https://api")


def test_a_missing_argument_that_cannot_be_injected_is_named(app: Container) -> None:
    with pytest.raises(DioxideTypeError, match="needs the argument 'path'") as caught:
        app.factory(MovieLister)()
    assert isinstance(caught.value, TypeError)


def test_an_unknown_argument_is_refused(app: Container) -> None:
    with pytest.raises(
        DioxideTypeError, match="factory\\(MovieLister\\) got an unexpected argument 'title'"
    ) as caught:
        app.factory(MovieLister)("x", title="y")
    assert "path, finder, limit" in str(caught.value)


def test_too_many_positional_arguments_are_refused(app: Container) -> None:
    with pytest.raises(DioxideTypeError, match="takes at most 3 positional arguments"):
        app.factory(MovieLister)("x", MovieFinder(), 1, 2)


def test_an_argument_given_twice_is_refused(app: Container) -> None:
    with pytest.raises(DioxideTypeError, match="got two values for 'path'"):
        app.factory(MovieLister)("x", path="y")


def test_a_missing_provider_is_reported_with_the_chain(registry: Registry) -> None:
    class Unregistered:
        pass

    class Needs:
        def __init__(self, name: str, dep: Unregistered) -> None: ...

    container = Container(registry=registry)
    with pytest.raises(DependencyNotRegisteredError) as caught:
        container.factory(Needs)("x")
    assert caught.value.chain[-1] is Unregistered


@pytest.mark.parametrize("bad", [MovieLister("x", MovieFinder()), "MovieLister", None])
def test_factory_takes_a_class(app: Container, bad: object) -> None:
    with pytest.raises(DioxideTypeError, match="factory\\(\\) expects a class"):
        app.factory(bad)  # type: ignore[arg-type]


def test_star_arguments_are_refused(app: Container) -> None:
    class Loose:
        def __init__(self, *parts: str) -> None: ...

    with pytest.raises(DioxideTypeError, match="a factory passes arguments by name"):
        app.factory(Loose)


def test_threads_share_one_factory(app: Container) -> None:
    threads = 16
    barrier = threading.Barrier(threads)
    make_lister = app.factory(MovieLister)
    built: list[MovieLister] = []
    lock = threading.Lock()

    def worker(n: int) -> None:
        barrier.wait()
        lister = make_lister(f"{n}.csv")
        with lock:
            built.append(lister)

    workers = [threading.Thread(target=worker, args=(n,)) for n in range(threads)]
    for thread in workers:
        thread.start()
    for thread in workers:
        thread.join()
    assert sorted(b.path for b in built) == sorted(f"{n}.csv" for n in range(threads))
    assert len({id(b.finder) for b in built}) == 1


def test_a_factory_is_injected_into_a_constructor(app: Container, registry: Registry) -> None:
    @component(registry=registry)
    class Catalogue:
        def __init__(self, listers: Factory[MovieLister]) -> None:
            self.listers = listers

    container = Container(registry=registry)
    catalogue = container.resolve(Catalogue)
    lister = catalogue.listers("movies.csv", limit=2)
    assert (lister.path, lister.limit) == ("movies.csv", 2)
    assert lister.finder is container.resolve(MovieFinder)
    container.validate()


class Session:
    pass


class Report:
    """Built by injected factories: a module-level class, since an injected
    ``Factory[T]`` reads ``T``'s annotations in ``T``'s module."""

    def __init__(self, title: str, session: Session) -> None:
        self.title = title
        self.session = session


def test_an_injected_factory_resolves_in_the_scope_of_its_holder(registry: Registry) -> None:
    @component(scope=Scope.SCOPED, registry=registry)
    class Reports:
        def __init__(self, make: Factory[Report]) -> None:
            self.make = make

    container = Container(registry=registry)
    container.register_class(Session, scope=Scope.SCOPED)
    with container.create_scope() as scope:
        reports = scope.resolve(Reports)
        assert reports.make("weekly").session is scope.resolve(Session)
    with pytest.raises(ScopeError, match="the scope that built its holder is closed"):
        reports.make("late")


def test_inject_passes_a_factory_bound_to_the_call_scope(registry: Registry) -> None:
    container = Container(registry=registry)
    container.register_class(Session, scope=Scope.SCOPED)

    @inject(container)
    def publish(titles: list[str], reports: Inject[Factory[Report]]) -> list[Report]:
        return [reports(title) for title in titles]

    made = publish(["a", "b"])
    assert [r.title for r in made] == ["a", "b"]
    assert made[0].session is made[1].session
    assert publish(["c"])[0].session is not made[0].session


def test_making_factories_again_registers_nothing_new(app: Container) -> None:
    before = len(app)
    with app.create_scope() as scope:
        scope.factory(MovieLister)("a")
    size = len(app)
    for _ in range(3):
        with app.create_scope() as scope:
            scope.factory(MovieLister)("a")
    assert len(app) == size
    assert size == before + 1  # one argument-gathering provider


def test_factory_of_a_value_is_refused(registry: Registry) -> None:
    class Holder:
        def __init__(self, make: Factory[str]) -> None: ...

    container = Container(registry=registry)
    with pytest.raises(DioxideTypeError, match=r"Factory\[...\] takes a class"):
        container.register_class(Holder)
