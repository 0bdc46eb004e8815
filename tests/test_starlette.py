"""dioxide.starlette: the ASGI middleware's request scope, ``@inject``
endpoints, lifespan runs; through Starlette's ``TestClient`` and httpx."""

import asyncio
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse
from starlette.routing import Mount, Route, WebSocketRoute
from starlette.testclient import TestClient
from starlette.websockets import WebSocket

from dioxide import Container, ResolutionError, Scope, ScopeError
from dioxide.starlette import (
    DioxideMiddleware,
    Inject,
    attach,
    container_of,
    inject,
    request_scope,
)

from web_wiring import Clock, Database, Events, Repository, Session, record_events, wire


@pytest.fixture
def events(container: Container) -> Events:
    return record_events(container)


def make_app(container: Container, *routes: object) -> Starlette:
    app = Starlette(routes=list(routes), middleware=[Middleware(DioxideMiddleware)])
    attach(app, container)
    return app


def test_endpoints_get_injected_parameters_and_a_scope_per_request(
    container: Container, events: Events
) -> None:
    wire(container, events)

    @inject
    async def same(request: Request, session: Inject[Session], repo: Inject[Repository]) -> JSONResponse:
        return JSONResponse({"same": repo.session is session, "id": request.path_params["id"]})

    app = make_app(container, Route("/same/{id:int}", same))
    with TestClient(app) as client:
        assert client.get("/same/3").json() == {"same": True, "id": 3}
        assert client.get("/same/4").json() == {"same": True, "id": 4}
    assert events.log == ["session opened", "session closed"] * 2


def test_sync_endpoints_run_in_a_worker_thread(container: Container, events: Events) -> None:
    wire(container, events)

    @inject
    def clock(request: Request, clock: Inject[Clock]) -> PlainTextResponse:
        return PlainTextResponse(clock.now())

    with TestClient(make_app(container, Route("/clock", clock))) as client:
        assert client.get("/clock").text == "real time"


def test_an_error_is_thrown_into_the_request_scope(container: Container, events: Events) -> None:
    wire(container, events)

    @inject
    async def crash(request: Request, session: Inject[Session]) -> PlainTextResponse:
        raise ValueError("the endpoint failed")

    with TestClient(make_app(container, Route("/crash", crash))) as client:
        with pytest.raises(ValueError):
            client.get("/crash")
    assert events.log == ["session opened", "session rolled back: ValueError"]


def test_the_request_is_injectable_into_providers(container: Container) -> None:
    class Caller:
        def __init__(self, request: Request) -> None:
            self.path = request.url.path

    container.register_class(Caller, scope=Scope.SCOPED)

    @inject
    async def whoami(request: Request, caller: Inject[Caller]) -> PlainTextResponse:
        return PlainTextResponse(caller.path)

    with TestClient(make_app(container, Route("/whoami", whoami))) as client:
        assert client.get("/whoami").text == "/whoami"


def test_websockets_get_a_scope_and_injection(container: Container, events: Events) -> None:
    wire(container, events)

    @inject
    async def chat(websocket: WebSocket, clock: Inject[Clock], ws: Inject[WebSocket]) -> None:
        await websocket.accept()
        await websocket.send_text(f"{clock.now()} {ws is websocket}")
        await websocket.close()

    with TestClient(make_app(container, WebSocketRoute("/ws", chat))) as client:
        with client.websocket_connect("/ws") as websocket:
            assert websocket.receive_text() == "real time True"


def test_concurrent_requests_each_get_their_own_scope(
    container: Container, events: Events
) -> None:
    wire(container, events)
    both_arrived = asyncio.Event()
    sessions: list[Session] = []

    @inject
    async def wait(request: Request, session: Inject[Session]) -> PlainTextResponse:
        sessions.append(session)
        if len(sessions) == 2:
            both_arrived.set()
        await asyncio.wait_for(both_arrived.wait(), 10)
        return PlainTextResponse("ok")

    app = make_app(container, Route("/wait", wait))

    async def run() -> None:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            await asyncio.gather(client.get("/wait"), client.get("/wait"))

    asyncio.run(run())
    assert len(sessions) == 2 and sessions[0] is not sessions[1]
    assert events.log.count("session closed") == 2


def test_lifespan_runs_again_and_mounted_containers_are_finalized(events: Events) -> None:
    parent, child = Container(), Container()
    built: list[Database] = []

    def database() -> Iterator[Database]:
        built.append(Database())
        yield built[-1]
        events.log.append(f"database {len(built)} closed")

    child.register_factory(Database, database, scope=Scope.SINGLETON)

    @inject
    async def use(request: Request, db: Inject[Database]) -> PlainTextResponse:
        return PlainTextResponse(str(built.index(db)))

    sub = make_app(child, Route("/db", use))
    app = make_app(parent, Mount("/sub", sub))
    with TestClient(app) as client:
        assert client.get("/sub/db").text == "0"
    with TestClient(app) as client:
        assert client.get("/sub/db").text == "1"
    assert events.log == ["database 1 closed", "database 2 closed"]
    assert container_of(sub) is child


def test_without_the_middleware_the_endpoint_says_so(container: Container) -> None:
    container.register_class(Clock)

    @inject
    async def clock(request: Request, clock: Inject[Clock]) -> PlainTextResponse:
        return PlainTextResponse(clock.now())

    app = Starlette(routes=[Route("/clock", clock)])
    attach(app, container)
    with TestClient(app) as client:
        with pytest.raises(ScopeError, match="no dioxide scope"):
            client.get("/clock")


def test_container_of_an_app_without_one_is_refused() -> None:
    with pytest.raises(ResolutionError, match="no dioxide container"):
        container_of(Starlette())


def test_the_middleware_serves_any_asgi_app_from_an_explicit_container(
    container: Container,
) -> None:
    container.register_class(Clock, scope=Scope.SINGLETON)

    async def raw_app(scope: Any, receive: Any, send: Any) -> None:
        clock = await request_scope(Request(scope)).aresolve(Clock)
        response = PlainTextResponse(clock.now())
        await response(scope, receive, send)

    client = TestClient(DioxideMiddleware(raw_app, container=container))  # no lifespan
    assert client.get("/").text == "real time"
