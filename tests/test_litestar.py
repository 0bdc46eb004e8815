"""dioxide.litestar: the plugin's request scope and lifespan, ``provide``
dependencies; through Litestar's ``TestClient`` and httpx."""

import asyncio
from collections.abc import Iterator

import httpx
import pytest
from litestar import Litestar, Request, get
from litestar.di import NamedDependency, Provide
from litestar.params import FromPath
from litestar.testing import TestClient

from dioxide import Container, ResolutionError, Scope
from dioxide.litestar import DioxidePlugin, container_of, provide

from web_wiring import Clock, Database, Events, Repository, Session, record_events, wire


@pytest.fixture
def events(container: Container) -> Events:
    return record_events(container)


def test_handlers_get_dioxide_dependencies_one_session_per_request(
    container: Container, events: Events
) -> None:
    wire(container, events)

    @get("/same/{item:int}")
    async def same(
        item: FromPath[int], session: NamedDependency[Session], repo: NamedDependency[Repository]) -> dict[str, object]:
        return {"same": repo.session is session, "item": item}

    app = Litestar(
        [same],
        dependencies={"session": provide(Session), "repo": provide(Repository)},
        plugins=[DioxidePlugin(container)],
    )
    with TestClient(app) as client:
        assert client.get("/same/3").json() == {"same": True, "item": 3}
        assert client.get("/same/4").json() == {"same": True, "item": 4}
    assert events.log == ["session opened", "session closed"] * 2
    assert container_of(app) is container


def test_sync_handlers_and_litestar_dependencies_mix(container: Container, events: Events) -> None:
    wire(container, events)

    def greeting(clock: NamedDependency[Clock]) -> str:
        return f"hello at {clock.now()}"

    @get("/greet", sync_to_thread=True)
    def greet(message: NamedDependency[str]) -> str:
        return message

    app = Litestar(
        [greet],
        dependencies={"clock": provide(Clock), "message": Provide(greeting, sync_to_thread=False)},
        plugins=[DioxidePlugin(container)],
    )
    with TestClient(app) as client:
        assert client.get("/greet").text == "hello at real time"


def test_the_request_is_injectable_into_providers(container: Container) -> None:
    class Caller:
        def __init__(self, request: Request) -> None:  # type: ignore[type-arg]
            self.name = request.headers.get("x-name", "nobody")

    container.register_class(Caller, scope=Scope.SCOPED)

    @get("/whoami")
    async def whoami(caller: NamedDependency[Caller]) -> str:
        return caller.name

    app = Litestar(
        [whoami], dependencies={"caller": provide(Caller)}, plugins=[DioxidePlugin(container)]
    )
    with TestClient(app) as client:
        assert client.get("/whoami", headers={"x-name": "ada"}).text == "ada"


def test_a_handler_error_is_thrown_into_the_request_scope(
    container: Container, events: Events
) -> None:
    wire(container, events)

    @get("/crash")
    async def crash(session: NamedDependency[Session]) -> None:
        raise ValueError("the handler failed")

    app = Litestar(
        [crash], dependencies={"session": provide(Session)}, plugins=[DioxidePlugin(container)]
    )
    with TestClient(app) as client:
        assert client.get("/crash").status_code == 500
    # Litestar turns the error into a 500 response; the scope still sees it.
    assert events.log == ["session opened", "session rolled back: ValueError"]


def test_the_lifespan_runs_again_with_fresh_singletons(events: Events) -> None:
    container = Container()
    built: list[Database] = []

    def database() -> Iterator[Database]:
        built.append(Database())
        yield built[-1]
        events.log.append(f"database {len(built)} closed")

    container.register_factory(Database, database, scope=Scope.SINGLETON)

    @get("/db")
    async def use(db: NamedDependency[Database]) -> str:
        return str(built.index(db))

    app = Litestar([use], dependencies={"db": provide(Database)}, plugins=[DioxidePlugin(container)])
    with TestClient(app) as client:
        assert client.get("/db").text == "0"
    assert container.closed
    with TestClient(app) as client:
        assert client.get("/db").text == "1"
    assert events.log == ["database 1 closed", "database 2 closed"]


def test_concurrent_requests_each_get_their_own_scope(container: Container, events: Events) -> None:
    wire(container, events)
    both_arrived = asyncio.Event()
    sessions: list[Session] = []

    @get("/wait")
    async def wait(session: NamedDependency[Session]) -> str:
        sessions.append(session)
        if len(sessions) == 2:
            both_arrived.set()
        await asyncio.wait_for(both_arrived.wait(), 10)
        return "ok"

    app = Litestar([wait], dependencies={"session": provide(Session)}, plugins=[DioxidePlugin(container)])

    async def run() -> None:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            await asyncio.gather(client.get("/wait"), client.get("/wait"))

    asyncio.run(run())
    assert len(sessions) == 2 and sessions[0] is not sessions[1]
    assert events.log.count("session closed") == 2


def test_container_of_an_app_without_the_plugin_is_refused() -> None:
    with pytest.raises(ResolutionError, match="no dioxide container"):
        container_of(Litestar([]))
