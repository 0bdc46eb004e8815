"""dioxide.aiohttp: the middleware's request scope, ``@inject`` handlers, the
container's cleanup context; through aiohttp's own test client."""

import asyncio
from collections.abc import Awaitable, Callable, Iterator
from typing import TypeVar

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer, make_mocked_request

from dioxide import Container, ResolutionError, Scope, ScopeError
from dioxide.aiohttp import Inject, container_of, inject, request_scope, setup

from web_wiring import Clock, Database, Events, Repository, Session, record_events, wire

R = TypeVar("R")


@pytest.fixture
def events(container: Container) -> Events:
    return record_events(container)


def serve(app: web.Application, test: Callable[[TestClient], Awaitable[R]]) -> R:
    """Run ``test`` against ``app`` with aiohttp's test client (startup and
    cleanup included)."""

    async def run() -> R:
        async with TestClient(TestServer(app)) as client:
            return await test(client)

    return asyncio.run(run())


def test_handlers_get_injected_parameters_and_a_scope_per_request(
    container: Container, events: Events
) -> None:
    wire(container, events)

    @inject
    async def same(
        request: web.Request, session: Inject[Session], repo: Inject[Repository]
    ) -> web.Response:
        return web.json_response({"same": repo.session is session, "id": request.match_info["id"]})

    app = web.Application()
    app.router.add_get("/same/{id}", same)
    setup(app, container)

    async def check(client: TestClient) -> list[object]:
        return [await (await client.get(f"/same/{i}")).json() for i in (1, 2)]

    assert serve(app, check) == [{"same": True, "id": "1"}, {"same": True, "id": "2"}]
    assert events.log == ["session opened", "session closed"] * 2
    assert container.closed  # finalized at cleanup


def test_an_error_is_thrown_into_the_request_scope(container: Container, events: Events) -> None:
    wire(container, events)

    @inject
    async def crash(request: web.Request, session: Inject[Session]) -> web.Response:
        raise web.HTTPConflict()

    app = web.Application()
    app.router.add_get("/crash", crash)
    setup(app, container)

    async def check(client: TestClient) -> int:
        return (await client.get("/crash")).status

    assert serve(app, check) == 409
    assert events.log == ["session opened", "session rolled back: HTTPConflict"]


def test_the_request_is_injectable_into_providers(container: Container) -> None:
    class Caller:
        def __init__(self, request: web.Request) -> None:
            self.name = request.headers.get("x-name", "nobody")

    container.register_class(Caller, scope=Scope.SCOPED)

    @inject
    async def whoami(request: web.Request, caller: Inject[Caller]) -> web.Response:
        return web.Response(text=caller.name)

    app = web.Application()
    app.router.add_get("/whoami", whoami)
    setup(app, container)

    async def check(client: TestClient) -> str:
        return await (await client.get("/whoami", headers={"x-name": "ada"})).text()

    assert serve(app, check) == "ada"


def test_concurrent_requests_each_get_their_own_scope(
    container: Container, events: Events
) -> None:
    wire(container, events)
    both_arrived = asyncio.Event()
    sessions: list[Session] = []

    @inject
    async def wait(request: web.Request, session: Inject[Session]) -> web.Response:
        sessions.append(session)
        if len(sessions) == 2:
            both_arrived.set()
        await asyncio.wait_for(both_arrived.wait(), 10)
        return web.Response(text="ok")

    app = web.Application()
    app.router.add_get("/wait", wait)
    setup(app, container)

    async def check(client: TestClient) -> None:
        await asyncio.gather(client.get("/wait"), client.get("/wait"))

    serve(app, check)
    assert len(sessions) == 2 and sessions[0] is not sessions[1]
    assert events.log.count("session closed") == 2


def test_singletons_are_finalized_at_cleanup_and_rebuilt_on_restart(events: Events) -> None:
    container = Container()
    built: list[Database] = []

    def database() -> Iterator[Database]:
        built.append(Database())
        yield built[-1]
        events.log.append(f"database {len(built)} closed")

    container.register_factory(Database, database, scope=Scope.SINGLETON)

    @inject
    async def use(request: web.Request, db: Inject[Database]) -> web.Response:
        return web.Response(text=str(built.index(db)))

    def make_app() -> web.Application:
        app = web.Application()
        app.router.add_get("/db", use)
        setup(app, container)
        return app

    async def check(client: TestClient) -> str:
        return await (await client.get("/db")).text()

    assert serve(make_app(), check) == "0"
    assert serve(make_app(), check) == "1"
    assert events.log == ["database 1 closed", "database 2 closed"]


def test_without_setup_the_handler_says_so(container: Container) -> None:
    container.register_class(Clock)

    @inject
    async def clock(request: web.Request, clock: Inject[Clock]) -> web.Response:
        return web.Response(text=clock.now())

    app = web.Application()
    app.router.add_get("/clock", clock)

    async def check(client: TestClient) -> int:
        return (await client.get("/clock")).status

    assert serve(app, check) == 500
    with pytest.raises(ResolutionError, match="no dioxide container"):
        container_of(app)
    with pytest.raises(ScopeError, match="no dioxide scope"):
        request_scope(make_mocked_request("GET", "/clock"))
