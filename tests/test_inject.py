"""``@inject``: ``Inject[T]`` parameters of any function resolved per call."""

from __future__ import annotations

import asyncio
import gc
import inspect
import threading
import weakref
from collections.abc import AsyncIterator, Iterator
from typing import Annotated, Any

import pytest

import dioxide
from dioxide import (
    INJECTED,
    Container,
    ContainerScope,
    DependencyNotRegisteredError,
    DioxideTypeError,
    Inject,
    Named,
    Registry,
    Scope,
    ScopeError,
    Value,
    inject,
    provider,
    singleton,
)


class Config:
    pass


class Session:
    """Scoped: one per call of an @inject function; records its finalization."""

    def __init__(self) -> None:
        self.closed_with: object = "open"


@pytest.fixture
def app(registry: Registry) -> Container:
    @singleton(registry=registry)
    class _Config(Config):
        pass

    @provider(scope=Scope.SCOPED, registry=registry)
    def session() -> Iterator[Session]:
        made = Session()
        try:
            yield made
        except Exception as error:
            made.closed_with = error
            raise
        else:
            made.closed_with = None

    container = Container(registry=registry)
    container.register_class(Config, _Config, scope=Scope.SINGLETON)
    return container


def test_injected_parameters_are_resolved_and_others_passed_through(app: Container) -> None:
    @inject(app)
    def export(path: str, config: Inject[Config], *, limit: int = 5) -> tuple[str, Config, int]:
        return path, config, limit

    path, config, limit = export("out.csv", limit=2)
    assert (path, limit) == ("out.csv", 2)
    assert config is app.resolve(Config)


def test_each_call_opens_a_scope_finalized_when_it_returns(app: Container) -> None:
    seen: list[Session] = []

    @inject(app)
    def handle(session: Inject[Session]) -> None:
        assert session.closed_with == "open"
        seen.append(session)

    handle()
    handle()
    assert seen[0] is not seen[1]
    assert [s.closed_with for s in seen] == [None, None]


def test_the_scope_is_finalized_with_the_error_when_the_call_raises(app: Container) -> None:
    seen: list[Session] = []

    @inject(app)
    def handle(session: Inject[Session]) -> None:
        seen.append(session)
        raise ValueError("boom")

    with pytest.raises(ValueError, match="boom"):
        handle()
    assert isinstance(seen[0].closed_with, ValueError)


def test_one_scope_serves_every_injected_parameter_of_a_call(app: Container) -> None:
    @inject(app)
    def handle(a: Inject[Session], b: Inject[Session]) -> bool:
        return a is b

    assert handle()


def test_a_caller_may_pass_an_injected_parameter_by_keyword(app: Container) -> None:
    mine = Session()

    @inject(app)
    def handle(session: Inject[Session], config: Inject[Config]) -> tuple[Session, Config]:
        return session, config

    session, config = handle(session=mine)
    assert session is mine
    assert config is app.resolve(Config)
    assert mine.closed_with == "open"  # not finalized: dioxide did not build it


def test_the_injected_default_marker_is_replaced(app: Container) -> None:
    @inject(app)
    def handle(path: str, config: Inject[Config] = INJECTED) -> Config:
        return config

    assert handle("x") is app.resolve(Config)
    assert handle("x", config=INJECTED) is app.resolve(Config)


def test_wrapping_keeps_name_doc_wrapped_and_shows_the_signature_without_injected(
    app: Container,
) -> None:
    def export(path: str, config: Inject[Config], *, limit: int = 5) -> str:
        """Export everything."""
        return path

    wrapped = inject(app)(export)
    assert wrapped.__name__ == "export"
    assert wrapped.__doc__ == "Export everything."
    assert wrapped.__wrapped__ is export
    assert list(inspect.signature(wrapped).parameters) == ["path", "limit"]
    assert str(inspect.signature(wrapped)) == "(path: str, *, limit: int = 5) -> str"


def test_an_injected_parameter_before_the_others_takes_no_position(app: Container) -> None:
    @inject(app)
    def export(config: Inject[Config], path: str, limit: int = 1) -> tuple[Config, str, int]:
        return config, path, limit

    assert export("out.csv", 3) == (app.resolve(Config), "out.csv", 3)
    assert list(inspect.signature(export).parameters) == ["path", "limit"]
    with pytest.raises(TypeError, match="takes 2 positional arguments but 3 were given"):
        export("a", 1, 2)


def test_scope_false_resolves_from_the_container(app: Container) -> None:
    @inject(app, scope=False)
    def config_of(config: Inject[Config]) -> Config:
        return config

    @inject(app, scope=False)
    def session_of(session: Inject[Session]) -> Session:
        return session

    assert config_of() is app.resolve(Config)
    with pytest.raises(ScopeError, match="can only be resolved inside a scope") as caught:
        session_of()
    assert "session_of -> Session" in str(caught.value)


def test_a_given_scope_is_used_and_left_open(app: Container) -> None:
    def handle(session: Inject[Session]) -> Session:
        return session

    with app.create_scope() as scope:
        first = inject(scope)(handle)()
        second = inject(scope)(handle)()
        assert first is second is scope.resolve(Session)
        assert first.closed_with == "open"
    assert first.closed_with is None


def test_wrapping_a_decorated_function_with_a_scope_wraps_its_original(app: Container) -> None:
    @inject(app)
    def handle(path: str, session: Inject[Session]) -> tuple[str, Session]:
        return path, session

    with app.create_scope() as scope:
        path, session = inject(scope)(handle)("x")
        assert session is scope.resolve(Session)
        assert inject(scope)(handle).__wrapped__ is handle.__wrapped__
    assert path == "x"


def test_scope_true_on_a_scope_opens_a_scope_per_call(app: Container) -> None:
    def handle(session: Inject[Session]) -> Session:
        return session

    with app.create_scope() as scope:
        per_call = inject(scope, scope=True)(handle)
        assert per_call() is not scope.resolve(Session)
        assert per_call().closed_with is None


def test_methods_static_and_class_methods_in_either_order(app: Container) -> None:
    class Commands:
        def __init__(self, prefix: str) -> None:
            self.prefix = prefix

        @inject(app)
        def run(self, name: str, config: Inject[Config]) -> tuple[str, Config]:
            return self.prefix + name, config

        @staticmethod
        @inject(app)
        def static_below(config: Inject[Config]) -> Config:
            return config

        @inject(app)
        @staticmethod
        def static_above(config: Inject[Config]) -> Config:
            return config

        @classmethod
        @inject(app)
        def class_below(cls, config: Inject[Config]) -> tuple[type, Config]:
            return cls, config

        @inject(app)
        @classmethod
        def class_above(cls, config: Inject[Config]) -> tuple[type, Config]:
            return cls, config

    config = app.resolve(Config)
    assert Commands("> ").run("go") == ("> go", config)
    assert Commands.static_below() is config
    assert Commands.static_above() is config
    assert Commands("").static_above() is config
    assert Commands.class_below() == (Commands, config)
    assert Commands.class_above() == (Commands, config)
    assert list(inspect.signature(Commands("").run).parameters) == ["name"]


def test_named_and_value_annotations(registry: Registry) -> None:
    class Cache:
        pass

    @dioxide.component(provides=Cache, name="local", registry=registry)
    class Local(Cache):
        pass

    container = Container(registry=registry)
    container.register_value("db_url", "sqlite://")

    @inject(container)
    def handle(
        cache: Inject[Annotated[Cache, Named("local")]],
        url: Inject[Annotated[str, Value("db_url")]],
    ) -> tuple[Cache, str]:
        return cache, url

    cache, url = handle()
    assert isinstance(cache, Local)
    assert url == "sqlite://"


def test_forward_references_are_read_at_the_first_call(registry: Registry) -> None:
    container = Container(registry=registry)

    @inject(container)
    def handle(later: Inject[Later]) -> Later:
        return later

    assert list(inspect.signature(handle).parameters) == []

    class Later:
        pass

    container.register_class(Later)
    assert isinstance(handle(), Later)


def test_generator_functions_keep_their_scope_until_they_finish(app: Container) -> None:
    @inject(app)
    def rows(count: int, session: Inject[Session]) -> Iterator[Session]:
        for _ in range(count):
            yield session

    produced = rows(2)
    first = next(produced)
    assert first.closed_with == "open"
    assert list(produced) == [first]
    assert first.closed_with is None


def test_async_functions_use_an_async_scope(registry: Registry) -> None:
    closed: list[str] = []

    class Client:
        pass

    @provider(scope=Scope.SCOPED, registry=registry)
    async def client() -> AsyncIterator[Client]:
        yield Client()
        closed.append("client")

    container = Container(registry=registry)

    @inject(container)
    async def fetch(url: str, client: Inject[Client]) -> tuple[str, Client]:
        assert closed == []
        return url, client

    url, made = asyncio.run(fetch("/x"))
    assert url == "/x" and isinstance(made, Client)
    assert closed == ["client"]
    assert inspect.iscoroutinefunction(fetch)


def test_async_generators_are_iterated_in_their_scope(app: Container) -> None:
    @inject(app)
    async def stream(session: Inject[Session]) -> AsyncIterator[Session]:
        yield session
        yield session

    async def collect() -> list[Session]:
        return [item async for item in stream()]

    items = asyncio.run(collect())
    assert items[0] is items[1]
    assert items[0].closed_with is None


def test_a_synchronous_function_refuses_an_async_provider(registry: Registry) -> None:
    class Client:
        pass

    @provider(registry=registry)
    async def client() -> Client:
        return Client()

    container = Container(registry=registry)

    @inject(container)
    def fetch(client: Inject[Client]) -> Client:
        return client

    with pytest.raises(dioxide.DioxideError, match="cannot be built by the synchronous resolve"):
        fetch()


def test_a_missing_provider_names_the_function_in_the_chain(registry: Registry) -> None:
    class Missing:
        pass

    container = Container(registry=registry)

    @inject(container)
    def handle(path: str, missing: Inject[Missing]) -> None:
        raise AssertionError("not called")

    with pytest.raises(DependencyNotRegisteredError) as caught:
        handle("x")
    assert caught.value.chain == [caught.value.chain[0], Missing]
    assert caught.value.chain[0].__name__ == "handle"


@pytest.mark.parametrize(
    ("source", "message"),
    [
        (object(), "inject\\(\\) takes a Container or a ContainerScope"),
        (None, "inject\\(\\) takes a Container or a ContainerScope"),
    ],
)
def test_inject_refuses_what_is_not_a_container_or_scope(source: object, message: str) -> None:
    with pytest.raises(DioxideTypeError, match=message):
        inject(source)  # type: ignore[call-overload, arg-type, unused-ignore]


def test_inject_refuses_a_non_boolean_scope_option(app: Container) -> None:
    with pytest.raises(DioxideTypeError, match="takes True or False"):
        inject(app, scope="yes")  # type: ignore[arg-type]


def test_a_positional_only_injected_parameter_is_refused(app: Container) -> None:
    def handle(config: Inject[Config], /) -> None: ...

    with pytest.raises(DioxideTypeError, match="must be a plain or keyword-only parameter"):
        inject(app)(handle)


def test_inject_is_an_annotation_not_a_call() -> None:
    with pytest.raises(DioxideTypeError, match="used as a type annotation"):
        Inject()


def test_one_inject_marker_for_the_whole_library() -> None:
    fastapi = pytest.importorskip("dioxide.fastapi")
    flask = pytest.importorskip("dioxide.flask")
    assert fastapi.Inject is dioxide.Inject
    assert flask.Inject is dioxide.Inject


def test_concurrent_calls_each_get_their_own_scope(app: Container) -> None:
    threads = 16
    barrier = threading.Barrier(threads)
    seen: list[Session] = []
    lock = threading.Lock()

    @inject(app)
    def handle(session: Inject[Session], config: Inject[Config]) -> Config:
        barrier.wait()
        with lock:
            seen.append(session)
        return config

    results: list[Config] = []

    def worker() -> None:
        results.append(handle())

    workers = [threading.Thread(target=worker) for _ in range(threads)]
    for worker_thread in workers:
        worker_thread.start()
    for worker_thread in workers:
        worker_thread.join()
    assert len({id(s) for s in seen}) == threads
    assert all(s.closed_with is None for s in seen)
    assert len({id(c) for c in results}) == 1


def test_a_scope_argument_is_a_container_scope(app: Container) -> None:
    with app.create_scope() as scope:
        assert isinstance(scope, ContainerScope)


def test_wrapping_again_in_new_scopes_registers_nothing_new(app: Container) -> None:
    def handle(session: Inject[Session]) -> Session:
        return session

    with app.create_scope() as scope:
        inject(scope)(handle)()
    size = len(app)
    for _ in range(3):
        with app.create_scope() as scope:
            inject(scope)(handle)()
    assert len(app) == size


def test_a_wrapped_function_is_not_kept_alive_by_dioxide(app: Container) -> None:
    def call_once() -> weakref.ref[Any]:
        def handle(config: Inject[Config]) -> Config:
            return config

        with app.create_scope() as scope:
            result = inject(scope)(handle)()
        assert result is app.resolve(Config)
        return weakref.ref(handle)

    alive = call_once()
    gc.collect()
    assert alive() is None
