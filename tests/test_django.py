"""dioxide.django: the middleware's request scope, ``@inject`` on function
views, class-based views and management commands; through Django's test
client (sync and async)."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from typing import Any

import django
import pytest
from django.conf import settings

if not settings.configured:
    settings.configure(
        DEBUG=False,
        ROOT_URLCONF=__name__,
        MIDDLEWARE=["dioxide.django.DioxideMiddleware"],
        ALLOWED_HOSTS=["testserver"],
        INSTALLED_APPS=[],
        DATABASES={},
        USE_TZ=True,
    )
    django.setup()

from django.core.management import call_command  # noqa: E402
from django.core.management.base import BaseCommand  # noqa: E402
from django.http import HttpRequest, HttpResponse, JsonResponse  # noqa: E402
from django.test import AsyncClient, Client, override_settings  # noqa: E402
from django.urls import path  # noqa: E402
from django.views import View  # noqa: E402

from dioxide import Container, DioxideTypeError, ResolutionError, Scope  # noqa: E402
from dioxide.django import Inject, container_of, inject  # noqa: E402

from web_wiring import Clock, Events, Repository, Session, record_events, wire  # noqa: E402


class Caller:
    def __init__(self, request: HttpRequest) -> None:
        self.name = request.headers.get("x-name", "nobody")


@inject
def same(request: HttpRequest, item: int, session: Inject[Session], repo: Inject[Repository]) -> JsonResponse:
    return JsonResponse({"same": repo.session is session, "item": item})


class ClockView(View):
    @inject
    def get(self, request: HttpRequest, clock: Inject[Clock]) -> HttpResponse:
        return HttpResponse(clock.now())


@inject
def crash(request: HttpRequest, session: Inject[Session]) -> HttpResponse:
    raise ValueError("the view failed")


@inject
def whoami(request: HttpRequest, caller: Inject[Caller]) -> HttpResponse:
    return HttpResponse(caller.name)


@inject
async def async_same(request: HttpRequest, session: Inject[Session], repo: Inject[Repository]) -> JsonResponse:
    return JsonResponse({"same": repo.session is session})


BARRIER = threading.Barrier(2, timeout=10)
SEEN: list[Session] = []


@inject
def wait(request: HttpRequest, session: Inject[Session]) -> HttpResponse:
    SEEN.append(session)
    BARRIER.wait()
    return HttpResponse("ok")


urlpatterns = [
    path("same/<int:item>", same),
    path("clock", ClockView.as_view()),
    path("crash", crash),
    path("whoami", whoami),
    path("async-same", async_same),
    path("wait", wait),
]


@pytest.fixture
def events(container: Container) -> Events:
    events = record_events(container)
    wire(container, events)
    container.register_class(Caller, scope=Scope.SCOPED)
    return events


@pytest.fixture(autouse=True)
def configured(container: Container) -> Iterator[None]:
    with override_settings(DIOXIDE_CONTAINER=container):
        yield


def test_function_views_get_injected_parameters_one_scope_per_request(events: Events) -> None:
    client = Client()
    assert client.get("/same/3").json() == {"same": True, "item": 3}
    assert client.get("/same/4").json() == {"same": True, "item": 4}
    assert events.log == ["session opened", "session closed"] * 2


def test_class_based_views_get_injected_parameters(events: Events) -> None:
    assert Client().get("/clock").content == b"real time"


def test_a_view_error_is_thrown_into_the_request_scope(events: Events) -> None:
    client = Client(raise_request_exception=False)
    assert client.get("/crash").status_code == 500
    assert events.log == ["session opened", "session rolled back: ValueError"]


def test_the_request_is_injectable_into_providers(events: Events) -> None:
    assert Client().get("/whoami", headers={"x-name": "ada"}).content == b"ada"


def test_async_views_through_the_async_stack(events: Events) -> None:
    async def run() -> Any:
        return (await AsyncClient().get("/async-same")).json()

    assert asyncio.run(run()) == {"same": True}
    assert events.log == ["session opened", "session closed"]


def test_concurrent_requests_each_get_their_own_scope(events: Events) -> None:
    SEEN.clear()
    results: list[int] = []
    threads = [
        threading.Thread(target=lambda: results.append(Client().get("/wait").status_code))
        for _ in range(2)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert results == [200, 200]
    assert len(SEEN) == 2 and SEEN[0] is not SEEN[1]
    assert events.log.count("session closed") == 2


def test_management_commands_get_a_scope_per_call(events: Events) -> None:
    out: list[str] = []

    class Command(BaseCommand):
        @inject
        def handle(self, *args: Any, session: Inject[Session], repo: Inject[Repository], **options: Any) -> None:
            out.append(f"same session: {repo.session is session}")

    call_command(Command())
    call_command(Command())
    assert out == ["same session: True"] * 2
    assert events.log == ["session opened", "session closed"] * 2


def test_container_of_says_when_none_is_configured() -> None:
    with override_settings(DIOXIDE_CONTAINER=None):
        with pytest.raises(ResolutionError, match="no dioxide container"):
            container_of()
    with override_settings(DIOXIDE_CONTAINER="string.ascii_letters"):
        with pytest.raises(DioxideTypeError, match="not a dioxide.Container"):
            container_of()


def test_the_setting_may_name_a_factory_called_once() -> None:
    made: list[Container] = []

    def make() -> Container:
        made.append(Container())
        return made[-1]

    globals()["make_container"] = make
    try:
        with override_settings(DIOXIDE_CONTAINER=f"{__name__}.make_container"):
            assert container_of() is container_of() is made[0]
            assert len(made) == 1
    finally:
        made[0].close()
