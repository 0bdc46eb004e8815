"""dioxide.fastapi: a container per app, a scope per request, ``Inject[T]``.

Every test drives a real FastAPI app through FastAPI's ``TestClient``.
Providers are registered on the test's own container (not decorated), so
nothing leaks into other tests.
"""

import asyncio
import subprocess
import sys
import threading
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Annotated, Any, Optional

import httpx
import pytest
from fastapi import Depends, FastAPI, Header, HTTPException, Request, WebSocket
from fastapi.responses import StreamingResponse
from fastapi.testclient import TestClient

from dioxide import Container, ContainerScope, DioxideTypeError, ResolutionError, Scope
from dioxide.fastapi import Inject, attach, container_of, request_scope

from web_wiring import (
    Clock,
    Database,
    Events,
    FixedClock,
    Repository,
    Session,
    record_events,
    wire,
)

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


@pytest.fixture
def events(container: Container) -> Events:
    return record_events(container)


@pytest.fixture
def app(container: Container, events: Events) -> FastAPI:
    """An app whose Session is scoped and logs when it opens and closes."""
    wire(container, events)
    application = FastAPI()
    attach(application, container)
    return application


@pytest.fixture
def client(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app) as test_client:
        yield test_client


def test_sync_endpoint_gets_injected_parameters(app: FastAPI, client: TestClient) -> None:
    @app.get("/clock")
    def read_clock(clock: Inject[Clock]) -> str:
        return clock.now()

    assert client.get("/clock").json() == "real time"


def test_async_endpoint_gets_injected_parameters(app: FastAPI, client: TestClient) -> None:
    @app.get("/clock")
    async def read_clock(clock: Inject[Clock]) -> str:
        return clock.now()

    assert client.get("/clock").json() == "real time"


def test_path_and_query_parameters_are_passed_next_to_injected_ones(
    app: FastAPI, client: TestClient
) -> None:
    @app.get("/items/{item_id}")
    def show(item_id: int, clock: Inject[Clock], q: str = "none") -> dict[str, Any]:
        return {"item": item_id, "q": q, "at": clock.now()}

    assert client.get("/items/7?q=x").json() == {"item": 7, "q": "x", "at": "real time"}


def test_scoped_instance_is_shared_within_one_request(app: FastAPI, client: TestClient) -> None:
    @app.get("/same")
    def same(session: Inject[Session], repo: Inject[Repository]) -> bool:
        return repo.session is session

    assert client.get("/same").json() is True


def test_each_request_gets_its_own_scoped_instance(app: FastAPI, client: TestClient) -> None:
    seen: list[Session] = []

    @app.get("/session")
    async def record(session: Inject[Session]) -> None:
        seen.append(session)

    client.get("/session")
    client.get("/session")

    assert len(seen) == 2 and seen[0] is not seen[1]
    assert seen[0].db is seen[1].db  # the singleton is the container's


def test_transient_provider_gives_each_parameter_its_own_instance(
    app: FastAPI, client: TestClient
) -> None:
    @app.get("/repos")
    def repos(first: Inject[Repository], second: Inject[Repository]) -> list[bool]:
        return [first is second, first.session is second.session]

    assert client.get("/repos").json() == [False, True]


def test_request_scope_is_finalized_after_the_response_is_sent(
    app: FastAPI, client: TestClient, events: Events
) -> None:
    @app.get("/stream")
    def stream(session: Inject[Session]) -> StreamingResponse:
        def body() -> Iterator[str]:
            events.log.append("body sent")
            yield "streamed"

        return StreamingResponse(body())

    assert client.get("/stream").text == "streamed"
    assert events.log == ["session opened", "body sent", "session closed"]


def test_endpoint_error_is_thrown_into_the_request_scope(
    app: FastAPI, client: TestClient, events: Events
) -> None:
    @app.get("/missing")
    async def missing(session: Inject[Session]) -> None:
        raise HTTPException(status_code=404, detail="no such thing")

    assert client.get("/missing").status_code == 404
    assert events.log == ["session opened", "session rolled back: HTTPException"]


def test_request_without_injection_opens_no_scope(
    app: FastAPI, client: TestClient, events: Events
) -> None:
    @app.get("/plain")
    def plain() -> str:
        return "ok"

    assert client.get("/plain").json() == "ok"
    assert events.log == []


def test_async_providers_are_awaited_for_sync_endpoints(
    app: FastAPI, container: Container, client: TestClient, events: Events
) -> None:
    class Token:
        def __init__(self, value: str) -> None:
            self.value = value

    async def fetch_token() -> AsyncIterator[Token]:
        yield Token("secret")
        events.log.append("token released")

    container.register_factory(Token, fetch_token, scope=Scope.SCOPED)

    @app.get("/token")
    def token(token: Inject[Token]) -> str:
        return token.value

    assert client.get("/token").json() == "secret"
    assert events.log == ["token released"]


def test_injected_parameters_stay_out_of_openapi(app: FastAPI, client: TestClient) -> None:
    @app.get("/items/{item_id}")
    def show(item_id: int, repo: Inject[Repository], clock: Inject[Clock]) -> str:
        return clock.now()

    operation = client.get("/openapi.json").json()["paths"]["/items/{item_id}"]["get"]

    assert [p["name"] for p in operation["parameters"]] == ["item_id"]
    assert "requestBody" not in operation


def test_fastapi_dependencies_can_take_injected_parameters(
    app: FastAPI, client: TestClient
) -> None:
    def greeting(clock: Inject[Clock], x_name: Annotated[str, Header()]) -> str:
        return f"hello {x_name} at {clock.now()}"

    @app.get("/greet")
    def greet(message: Annotated[str, Depends(greeting)], session: Inject[Session]) -> str:
        return message

    assert client.get("/greet", headers={"x-name": "ada"}).json() == "hello ada at real time"
    operation = client.get("/openapi.json").json()["paths"]["/greet"]["get"]
    assert [p["name"] for p in operation["parameters"]] == ["x-name"]


def test_dependency_and_endpoint_share_the_request_scope(app: FastAPI, client: TestClient) -> None:
    def session_of(repo: Inject[Repository]) -> Session:
        return repo.session

    @app.get("/shared")
    def shared(
        from_dependency: Annotated[Session, Depends(session_of)], session: Inject[Session]
    ) -> bool:
        return from_dependency is session

    assert client.get("/shared").json() is True


def test_request_scope_dependency_resolves_types_chosen_at_run_time(
    app: FastAPI, client: TestClient
) -> None:
    kinds: dict[str, type] = {"clock": Clock, "repository": Repository}

    @app.get("/resolve/{kind}")
    async def by_kind(
        kind: str,
        scope: Annotated[ContainerScope, Depends(request_scope)],
        session: Inject[Session],
    ) -> str:
        resolved = await scope.aresolve(kinds[kind])
        if isinstance(resolved, Repository):
            return f"repository, same session: {resolved.session is session}"
        return type(resolved).__name__

    assert client.get("/resolve/clock").json() == "Clock"
    assert client.get("/resolve/repository").json() == "repository, same session: True"


def test_override_in_a_test_replaces_the_provider(
    app: FastAPI, container: Container, client: TestClient
) -> None:
    @app.get("/clock")
    def read_clock(clock: Inject[Clock]) -> str:
        return clock.now()

    with container.override(Clock, FixedClock()):
        assert client.get("/clock").json() == "12:00"
    assert client.get("/clock").json() == "real time"


def test_websocket_endpoint_gets_injected_parameters(app: FastAPI, client: TestClient) -> None:
    @app.websocket("/ws")
    async def chat(websocket: WebSocket, clock: Inject[Clock]) -> None:
        await websocket.accept()
        await websocket.send_text(clock.now())
        await websocket.close()

    with client.websocket_connect("/ws") as websocket:
        assert websocket.receive_text() == "real time"


def test_container_is_closed_after_the_apps_own_lifespan(events: Events) -> None:
    container = Container()
    container.register_instance(Events, events)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        events.log.append("app started")
        yield
        events.log.append("app stopped")

    def database() -> Iterator[Database]:
        yield Database()
        events.log.append("database closed")

    container.register_factory(Database, database, scope=Scope.SINGLETON)
    app = FastAPI(lifespan=lifespan)
    attach(app, container)

    @app.get("/db")
    def use(db: Inject[Database]) -> None:
        events.log.append("request")

    with TestClient(app) as client:
        client.get("/db")
        assert not container.closed

    assert container.closed
    assert events.log == ["app started", "request", "app stopped", "database closed"]


def test_app_without_a_container_says_to_attach_one() -> None:
    app = FastAPI()

    @app.get("/clock")
    def read_clock(clock: Inject[Clock]) -> str:
        return clock.now()

    with TestClient(app) as client:
        with pytest.raises(ResolutionError, match="no dioxide container") as raised:
            client.get("/clock")
    assert raised.value.hint is not None and "attach(app, container)" in raised.value.hint


def test_attaching_a_second_container_is_refused(app: FastAPI) -> None:
    with pytest.raises(DioxideTypeError, match="already has a dioxide container"):
        attach(app, Container())


@pytest.mark.parametrize("not_a_container", [None, "container", Container])
def test_attach_takes_a_container(not_a_container: Optional[object]) -> None:
    with pytest.raises(DioxideTypeError, match="expects a dioxide.Container"):
        attach(FastAPI(), not_a_container)  # type: ignore[arg-type]


def test_inject_is_an_annotation_not_a_callable() -> None:
    with pytest.raises(DioxideTypeError, match="type annotation"):
        Inject()


def test_example_app_runs_its_self_check() -> None:
    result = subprocess.run(
        [sys.executable, str(EXAMPLES / "fastapi_app.py")],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )

    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == [
        "GET /users/1 -> 200 {'id': 1, 'name': 'ada'}",
        "POST /users -> 401 {'detail': 'sign in to add users'}",
        "POST /users -> 201 {'id': 3, 'name': 'linus'}",
        "GET /users/3 -> 200 {'id': 3, 'name': 'linus'}",
        "GET /users/99 -> 404 {'detail': 'no user 99'}",
        "GET /whoami -> 200 {'me': 'ada', 'one unit of work per request': True}",
        "unit of work: begin, commit, begin, rollback, begin, commit, begin, commit,"
        " begin, rollback, begin, commit",
        "OpenAPI parameters of GET /users/{user_id}: ['user_id']",
        "container closed on shutdown: True",
    ]


# --- the first ring: restarts, blocking work, mounted apps, the request ---


def test_an_app_can_start_again_with_fresh_singletons_finalized_per_run(
    events: Events,
) -> None:
    container = Container()
    container.register_instance(Events, events)
    built: list[Database] = []

    def database() -> Iterator[Database]:
        db = Database()
        built.append(db)
        events.log.append(f"database {len(built)} opened")
        yield db
        events.log.append(f"database {len(built)} closed")

    container.register_factory(Database, database, scope=Scope.SINGLETON)
    app = FastAPI()
    attach(app, container)

    @app.get("/db")
    def use(db: Inject[Database]) -> int:
        return built.index(db)

    with TestClient(app) as client:
        assert client.get("/db").json() == 0
        assert client.get("/db").json() == 0
    assert container.closed
    with TestClient(app) as client:
        assert client.get("/db").json() == 1
    assert events.log == [
        "database 1 opened",
        "database 1 closed",
        "database 2 opened",
        "database 2 closed",
    ]


def test_blocking_providers_and_finalizers_run_off_the_event_loop(
    container: Container,
) -> None:
    threads: dict[str, str] = {}

    class Cheap:
        def __init__(self) -> None:
            threads["cheap"] = threading.current_thread().name

    class Connection:
        pass

    class Slow:
        def __init__(self) -> None:
            threads["marked"] = threading.current_thread().name

    class Pool:
        pass

    def session() -> Iterator[Connection]:
        threads["session opened"] = threading.current_thread().name
        yield Connection()
        threads["session committed"] = threading.current_thread().name

    def connect() -> Iterator[Pool]:
        threads["connected"] = threading.current_thread().name
        yield Pool()

    container.register_class(Cheap, scope=Scope.SCOPED)
    container.register_factory(Connection, session, scope=Scope.SCOPED)
    container.register_factory(Pool, connect, scope=Scope.SCOPED, blocking=True)
    container.register_class(Slow, scope=Scope.SCOPED, blocking=True)
    app = FastAPI()
    attach(app, container)

    @app.get("/work")
    async def work(
        cheap: Inject[Cheap], conn: Inject[Connection], pool: Inject[Pool], slow: Inject[Slow]
    ) -> str:
        return threading.current_thread().name

    with TestClient(app) as client:
        loop_thread = client.get("/work").json()

    # Cheap work inline: constructors and a generator's setup.
    assert threads["cheap"] == threads["session opened"] == loop_thread
    # Blocking work in worker threads: finalizers, and what is marked blocking.
    assert threads["session committed"] != loop_thread
    assert threads["connected"] != loop_thread
    assert threads["marked"] != loop_thread


def test_concurrent_requests_each_get_their_own_scope(
    app: FastAPI, container: Container, events: Events
) -> None:
    arrived = asyncio.Event()
    count = 0
    sessions: list[Session] = []

    @app.get("/wait")
    async def wait(session: Inject[Session]) -> None:
        nonlocal count
        sessions.append(session)
        count += 1
        if count == 2:
            arrived.set()
        await asyncio.wait_for(arrived.wait(), 10)

    async def both() -> None:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            await asyncio.gather(client.get("/wait"), client.get("/wait"))

    asyncio.run(both())
    assert len(sessions) == 2 and sessions[0] is not sessions[1]
    assert events.log.count("session closed") == 2


def test_mounted_apps_containers_are_finalized_at_shutdown(events: Events) -> None:
    parent, child = Container(), Container()

    def resource() -> Iterator[Database]:
        yield Database()
        events.log.append("child database closed")

    child.register_factory(Database, resource, scope=Scope.SINGLETON)
    app, sub = FastAPI(), FastAPI()
    attach(app, parent)
    attach(sub, child)

    @sub.get("/db")
    def use(db: Inject[Database]) -> str:
        return "ok"

    app.mount("/sub", sub)
    with TestClient(app) as client:
        assert client.get("/sub/db").json() == "ok"
    assert events.log == ["child database closed"]
    assert container_of(sub) is child and container_of(app) is parent
    with TestClient(app) as client:  # and it starts again
        assert client.get("/sub/db").json() == "ok"


def test_container_of_an_app_without_one_is_refused() -> None:
    with pytest.raises(ResolutionError, match="no dioxide container"):
        container_of(FastAPI())


def test_the_request_is_injectable_into_providers(
    app: FastAPI, container: Container, client: TestClient
) -> None:
    class Caller:
        def __init__(self, request: Request) -> None:
            self.name = request.headers.get("x-name", "nobody")

    container.register_class(Caller, scope=Scope.SCOPED)

    @app.get("/whoami")
    def whoami(caller: Inject[Caller], request: Inject[Request]) -> str:
        return f"{caller.name} {request.url.path}"

    assert client.get("/whoami", headers={"x-name": "ada"}).json() == "ada /whoami"
    assert client.get("/whoami", headers={"x-name": "grace"}).json() == "grace /whoami"
