"""dioxide.flask: the extension, a scope per request, ``@inject`` views.

Every test drives a real Flask app through Flask's test client. Providers
are registered on the test's own container (not decorated), so nothing leaks
into other tests.
"""

import subprocess
import sys
from pathlib import Path
from typing import Optional

import pytest
from flask import Flask, Request, Response, abort
from flask.testing import FlaskClient

from dioxide import Container, DioxideTypeError, Scope, ScopeError
from dioxide.flask import Dioxide, Inject, container_of, inject, resolve

from web_wiring import (
    Clock,
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
def app(container: Container, events: Events) -> Flask:
    """An app whose Session is scoped and logs when it opens and closes."""
    wire(container, events)
    application = Flask(__name__)
    Dioxide(application, container)
    return application


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


def test_inject_fills_view_parameters_next_to_url_variables(
    app: Flask, client: FlaskClient
) -> None:
    @app.get("/items/<int:item_id>")
    @inject
    def show(item_id: int, clock: Inject[Clock]) -> dict[str, object]:
        return {"item": item_id, "at": clock.now()}

    assert client.get("/items/7").json == {"item": 7, "at": "real time"}


def test_scoped_instance_is_shared_within_one_request(app: Flask, client: FlaskClient) -> None:
    @app.get("/same")
    @inject
    def same(session: Inject[Session], repo: Inject[Repository]) -> dict[str, bool]:
        return {"injected": repo.session is session, "resolved": resolve(Session) is session}

    assert client.get("/same").json == {"injected": True, "resolved": True}


def test_each_request_gets_its_own_scoped_instance(app: Flask, client: FlaskClient) -> None:
    seen: list[Session] = []

    @app.get("/session")
    @inject
    def record(session: Inject[Session]) -> str:
        seen.append(session)
        return "ok"

    client.get("/session")
    client.get("/session")

    assert len(seen) == 2 and seen[0] is not seen[1]
    assert seen[0].db is seen[1].db  # the singleton is the container's


def test_request_scope_is_finalized_after_the_response(
    app: Flask, client: FlaskClient, events: Events
) -> None:
    @app.get("/work")
    @inject
    def work(session: Inject[Session]) -> str:
        events.log.append("view")
        return "done"

    @app.after_request
    def after(response: Response) -> Response:
        events.log.append("response built")
        return response

    assert client.get("/work").text == "done"
    assert events.log == ["session opened", "view", "response built", "session closed"]


def test_unhandled_view_error_is_thrown_into_the_request_scope(
    app: Flask, client: FlaskClient, events: Events
) -> None:
    @app.get("/crash")
    @inject
    def crash(session: Inject[Session]) -> str:
        raise ValueError("the view failed")

    app.logger.disabled = True  # the traceback Flask logs is expected
    assert client.get("/crash").status_code == 500
    assert events.log == ["session opened", "session rolled back: ValueError"]


def test_handled_http_error_closes_the_scope_normally(
    app: Flask, client: FlaskClient, events: Events
) -> None:
    @app.get("/missing")
    @inject
    def missing(session: Inject[Session]) -> str:
        abort(404)

    assert client.get("/missing").status_code == 404
    assert events.log == ["session opened", "session closed"]


def test_request_without_injection_opens_no_scope(
    app: Flask, client: FlaskClient, events: Events
) -> None:
    @app.get("/plain")
    def plain() -> str:
        return "ok"

    assert client.get("/plain").text == "ok"
    assert events.log == []


def test_override_in_a_test_replaces_the_provider(
    app: Flask, container: Container, client: FlaskClient
) -> None:
    @app.get("/clock")
    @inject
    def read_clock(clock: Inject[Clock]) -> str:
        return clock.now()

    with container.override(Clock, FixedClock()):
        assert client.get("/clock").text == "12:00"
    assert client.get("/clock").text == "real time"


def test_arguments_passed_explicitly_are_not_injected(app: Flask) -> None:
    @inject
    def view(item_id: int, clock: Inject[Clock]) -> str:
        return f"{item_id} at {clock.now()}"

    # No app context needed: nothing is left to inject.
    assert view(1, FixedClock()) == "1 at 12:00"
    assert view(item_id=2, clock=FixedClock()) == "2 at 12:00"


def test_app_context_gets_a_scope_closed_with_it(app: Flask, events: Events) -> None:
    with app.app_context():
        first = resolve(Session)
        assert resolve(Session) is first
    assert events.log == ["session opened", "session closed"]


def test_each_request_gets_its_own_scope_inside_an_active_app_context(
    app: Flask, client: FlaskClient, events: Events
) -> None:
    seen: list[Session] = []

    @app.get("/session")
    @inject
    def record(session: Inject[Session]) -> str:
        seen.append(session)
        return "ok"

    # What pytest-flask does for a whole test: one app context around every request.
    with app.app_context():
        client.get("/session")
        assert events.log == ["session opened", "session closed"]
        client.get("/session")
        assert events.log == ["session opened", "session closed"] * 2

    assert len(seen) == 2 and seen[0] is not seen[1]


def test_the_current_request_is_injectable(app: Flask, client: FlaskClient) -> None:
    class Caller:
        def __init__(self, request: Request) -> None:
            self.name = request.headers.get("x-name", "nobody")

    container_of(app).register_class(Caller, scope=Scope.SCOPED)

    @app.get("/whoami")
    @inject
    def whoami(caller: Inject[Caller], request: Inject[Request]) -> str:
        return f"{caller.name} {request.path}"

    assert client.get("/whoami", headers={"x-name": "ada"}).text == "ada /whoami"
    assert client.get("/whoami", headers={"x-name": "grace"}).text == "grace /whoami"


def test_the_request_outside_a_request_is_refused(app: Flask) -> None:
    with app.app_context():
        with pytest.raises(ScopeError, match="no current Request"):
            resolve(Request)


def test_container_of_gives_the_attached_container(app: Flask, container: Container) -> None:
    assert container_of(app) is container
    with pytest.raises(ScopeError, match="no dioxide extension"):
        container_of(Flask("bare"))


def test_resolve_outside_an_app_context_is_refused() -> None:
    with pytest.raises(ScopeError, match="application context"):
        resolve(Clock)


def test_app_without_the_extension_says_to_add_it() -> None:
    with Flask(__name__).app_context():
        with pytest.raises(ScopeError, match="no dioxide extension") as raised:
            resolve(Clock)
    assert raised.value.hint is not None and "Dioxide(app, container)" in raised.value.hint


def test_init_app_supports_the_app_factory_pattern(container: Container) -> None:
    container.register_class(Clock)
    extension = Dioxide(container=container)

    def create_app() -> Flask:
        app = Flask(__name__)
        extension.init_app(app)

        @app.get("/clock")
        @inject
        def read_clock(clock: Inject[Clock]) -> str:
            return clock.now()

        return app

    first, second = create_app(), create_app()

    assert first.extensions["dioxide"] is extension is second.extensions["dioxide"]
    assert first.test_client().get("/clock").text == "real time"
    assert second.test_client().get("/clock").text == "real time"


def test_extension_without_a_container_makes_one() -> None:
    extension = Dioxide(Flask(__name__))
    try:
        assert isinstance(extension.container, Container)
    finally:
        extension.container.close()


def test_registering_the_extension_twice_is_refused(app: Flask) -> None:
    with pytest.raises(DioxideTypeError, match="already has a dioxide extension"):
        Dioxide(app, Container())


@pytest.mark.parametrize("not_a_container", ["container", Container])
def test_extension_takes_a_container(not_a_container: Optional[object]) -> None:
    with pytest.raises(DioxideTypeError, match="expects a dioxide.Container"):
        Dioxide(Flask(__name__), not_a_container)  # type: ignore[arg-type]


def test_inject_refuses_async_views() -> None:
    async def view(clock: Inject[Clock]) -> str:
        return clock.now()

    with pytest.raises(DioxideTypeError, match="plain \\(def\\) view"):
        inject(view)


def test_inject_is_an_annotation_not_a_callable() -> None:
    with pytest.raises(DioxideTypeError, match="type annotation"):
        Inject()


def test_example_app_runs_its_self_check() -> None:
    result = subprocess.run(
        [sys.executable, str(EXAMPLES / "flask_app.py")],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )

    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == [
        "GET /users/1 -> 200 {'id': 1, 'name': 'ada'}",
        "POST /users -> 201 {'id': 3, 'name': 'linus'}",
        "GET /users/3 -> 200 {'id': 3, 'name': 'linus'}",
        "GET /users/99 -> 404 404 NOT FOUND",
        "GET /crash -> 500 500 INTERNAL SERVER ERROR",
        "GET /scope -> 200 {'one unit of work per request': True}",
        "unit of work: begin, commit, begin, commit, begin, commit, begin, commit,"
        " begin, rollback, begin, commit",
        "container closed: True",
    ]
    assert result.stderr == ""
