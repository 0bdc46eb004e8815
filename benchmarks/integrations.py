"""The framework integrations, measured in-process (no network server):

1. ``blocking``: 20 concurrent FastAPI requests whose request-scoped session
   commits for 20 ms (``time.sleep``, as a blocking database driver does) --
   dioxide as it is, dioxide's integration before this change (everything on
   the event loop; main's ``dioxide.fastapi`` loaded from ``--before``), and
   FastAPI's own ``Depends`` with a generator dependency. Wall time of the
   batch, best of ``--repeat``.
2. ``offload``: what a thread hop costs, to pick the default: a request
   whose scope builds a cheap generator session, resolved inline vs in the
   worker thread.
3. ``throughput``: requests/s of one endpoint (a scoped service over a
   scoped session over a singleton) per framework, dioxide vs the
   framework's own dependency mechanism where it has one, sequential
   requests through the framework's test client.

Run with a release build (``maturin develop --release``)::

    python benchmarks/integrations.py [--before /work/main/python/dioxide/fastapi.py]

Numbers depend on the machine and its load; compare rows of one run.
"""


import argparse
import asyncio
import importlib.util
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Annotated, Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT / "tests") not in sys.path:
    sys.path.insert(0, str(ROOT / "tests"))

from dioxide import Container, Scope  # noqa: E402

COMMIT_SECONDS = 0.020
CONCURRENT = 20


class Database:
    pass


class Session:
    def __init__(self, db: Database) -> None:
        self.db = db


class UserService:
    def __init__(self, session: Session) -> None:
        self.session = session

    def name_of(self, user_id: int) -> str:
        return "ada" if user_id == 1 else "grace"


def committing_session(db: Database) -> Iterator[Session]:
    yield Session(db)
    time.sleep(COMMIT_SECONDS)  # a blocking driver's commit


def cheap_session(db: Database) -> Iterator[Session]:
    yield Session(db)


def wired(session_factory: Callable[..., Iterator[Session]], generator: bool = True) -> Container:
    container = Container()
    container.register_class(Database, scope=Scope.SINGLETON)
    if generator:
        container.register_factory(Session, session_factory, scope=Scope.SCOPED)
    else:
        container.register_class(Session, scope=Scope.SCOPED)
    container.register_class(UserService, scope=Scope.SCOPED)
    return container


# --- ASGI helpers ---------------------------------------------------------


async def _batch(app: Any, path: str, count: int, concurrent: bool) -> float:
    import httpx

    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:
        await client.get(path)  # warm up: plans compiled, singletons built
        start = time.perf_counter()
        if concurrent:
            responses = await asyncio.gather(*(client.get(path) for _ in range(count)))
        else:
            responses = [await client.get(path) for _ in range(count)]
        elapsed = time.perf_counter() - start
    assert all(r.status_code == 200 for r in responses), responses[0].text
    return elapsed


def asgi_time(app: Any, path: str, count: int, concurrent: bool, repeat: int) -> list[float]:
    return [asyncio.run(_batch(app, path, count, concurrent)) for _ in range(repeat)]


# --- 1. blocking ----------------------------------------------------------


def fastapi_dioxide(module: Any, container: Container) -> Any:
    from fastapi import FastAPI

    app = FastAPI()
    module.attach(app, container)
    Inject = module.Inject

    @app.get("/users/{user_id}")
    async def show(user_id: int, users: Inject[UserService]) -> str:  # type: ignore[valid-type]
        return users.name_of(user_id)  # type: ignore[no-any-return]

    return app


def fastapi_depends(session_factory: Callable[..., Iterator[Session]]) -> Any:
    from fastapi import Depends, FastAPI

    database = Database()

    def get_db() -> Database:
        return database

    def get_session(db: Annotated[Database, Depends(get_db)]) -> Iterator[Session]:
        yield from session_factory(db)

    def get_users(session: Annotated[Session, Depends(get_session)]) -> UserService:
        return UserService(session)

    app = FastAPI()

    @app.get("/users/{user_id}")
    async def show(user_id: int, users: Annotated[UserService, Depends(get_users)]) -> str:
        return users.name_of(user_id)

    return app


def load_before(path: str) -> Any:
    spec = importlib.util.spec_from_file_location("dioxide_fastapi_before", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def blocking(before: str | None, repeat: int) -> list[tuple[str, float]]:
    import dioxide.fastapi as current

    rows = [
        ("dioxide (generator session offloaded)", fastapi_dioxide(current, wired(committing_session))),
        ("FastAPI Depends (generator dependency)", fastapi_depends(committing_session)),
    ]
    if before:
        rows.insert(
            1,
            ("dioxide before (all on the event loop)", fastapi_dioxide(load_before(before), wired(committing_session))),
        )
    return [
        (name, min(asgi_time(app, "/users/1", CONCURRENT, True, repeat))) for name, app in rows
    ]


# --- 2. the cost of a thread hop -----------------------------------------


def offload(repeat: int, count: int) -> list[tuple[str, float]]:
    """Requests/s of one endpoint whose scope builds a cheap generator
    session (no I/O), under each policy: what the thread hops cost."""
    import contextlib

    import dioxide._asgi as asgi
    import dioxide.fastapi as current
    from dioxide import _integration

    original_kinds = _integration._BLOCKING_KINDS
    original_close = _integration.aclose_scope

    async def inline_close(scope: Any, error: Any, run_sync: Any) -> None:
        await scope.aclose(error)

    @contextlib.contextmanager
    def policy(setup_offloaded: bool, close_offloaded: bool) -> Iterator[None]:
        _integration._BLOCKING_KINDS = {"generator", "context_manager"} if setup_offloaded else set()
        close = original_close if close_offloaded else inline_close
        asgi.aclose_scope = current.aclose_scope = close  # type: ignore[assignment]
        try:
            yield
        finally:
            _integration._BLOCKING_KINDS = original_kinds
            asgi.aclose_scope = current.aclose_scope = original_close  # type: ignore[assignment]

    def measure(factory: Any, generator: bool = True) -> float:
        app = fastapi_dioxide(current, wired(factory, generator))
        return count / min(asgi_time(app, "/users/1", count, False, repeat))

    results = []
    for name, setup_offloaded, close_offloaded in (
        ("generator session: setup and finalizer in worker threads", True, True),
        ("generator session: finalizer in a worker thread, setup inline", False, True),
        ("generator session: all inline", False, False),
    ):
        with policy(setup_offloaded, close_offloaded):
            results.append((name, measure(cheap_session)))
    results.append(("plain scoped session (nothing to finalize)", measure(cheap_session, False)))
    return results


# --- 3. requests/s per framework -------------------------------------------


def rate(times: list[float], count: int) -> float:
    return count / min(times)


def starlette_rows(count: int, repeat: int) -> list[tuple[str, str, float]]:
    from starlette.applications import Starlette
    from starlette.middleware import Middleware
    from starlette.requests import Request
    from starlette.responses import PlainTextResponse
    from starlette.routing import Route

    from dioxide.starlette import DioxideMiddleware, Inject, attach, inject

    @inject
    async def show(request: Request, users: Inject[UserService]) -> PlainTextResponse:
        return PlainTextResponse(users.name_of(int(request.path_params["user_id"])))

    app = Starlette(routes=[Route("/users/{user_id}", show)], middleware=[Middleware(DioxideMiddleware)])
    attach(app, wired(cheap_session, generator=False))
    database = Database()

    async def by_hand(request: Request) -> PlainTextResponse:
        users = UserService(Session(database))
        return PlainTextResponse(users.name_of(int(request.path_params["user_id"])))

    plain = Starlette(routes=[Route("/users/{user_id}", by_hand)])
    return [
        ("Starlette", "dioxide", rate(asgi_time(app, "/users/1", count, False, repeat), count)),
        ("Starlette", "by hand (no DI)", rate(asgi_time(plain, "/users/1", count, False, repeat), count)),
    ]


def fastapi_rows(count: int, repeat: int) -> list[tuple[str, str, float]]:
    import dioxide.fastapi as current

    app = fastapi_dioxide(current, wired(cheap_session, generator=False))
    from fastapi import Depends, FastAPI

    database = Database()

    def get_session() -> Session:
        return Session(database)

    def get_users(session: Annotated[Session, Depends(get_session)]) -> UserService:
        return UserService(session)

    async def aget_session() -> Session:
        return Session(database)

    async def aget_users(session: Annotated[Session, Depends(aget_session)]) -> UserService:
        return UserService(session)

    sync_app, async_app = FastAPI(), FastAPI()

    @sync_app.get("/users/{user_id}")
    async def show(user_id: int, users: Annotated[UserService, Depends(get_users)]) -> str:
        return users.name_of(user_id)

    @async_app.get("/users/{user_id}")
    async def ashow(user_id: int, users: Annotated[UserService, Depends(aget_users)]) -> str:
        return users.name_of(user_id)

    return [
        ("FastAPI", "dioxide Inject", rate(asgi_time(app, "/users/1", count, False, repeat), count)),
        ("FastAPI", "Depends (sync functions)", rate(asgi_time(sync_app, "/users/1", count, False, repeat), count)),
        ("FastAPI", "Depends (async functions)", rate(asgi_time(async_app, "/users/1", count, False, repeat), count)),
    ]


def litestar_rows(count: int, repeat: int) -> list[tuple[str, str, float]]:
    from litestar import Litestar, get
    from litestar.di import NamedDependency, Provide
    from litestar.params import FromPath

    from dioxide.litestar import DioxidePlugin, provide

    @get("/users/{user_id:int}")
    async def show(user_id: FromPath[int], users: NamedDependency[UserService]) -> str:
        return users.name_of(user_id)

    app = Litestar(
        [show],
        dependencies={"users": provide(UserService)},
        plugins=[DioxidePlugin(wired(cheap_session, generator=False))],
        logging_config=None,
    )
    database = Database()

    async def get_session() -> Session:
        return Session(database)

    async def get_users(session: NamedDependency[Session]) -> UserService:
        return UserService(session)

    @get("/users/{user_id:int}")
    async def own(user_id: FromPath[int], users: NamedDependency[UserService]) -> str:
        return users.name_of(user_id)

    native = Litestar(
        [own],
        dependencies={"session": Provide(get_session), "users": Provide(get_users)},
        logging_config=None,
    )
    return [
        ("Litestar", "dioxide provide()", rate(asgi_time(app, "/users/1", count, False, repeat), count)),
        ("Litestar", "Provide (async functions)", rate(asgi_time(native, "/users/1", count, False, repeat), count)),
    ]


def flask_rows(count: int, repeat: int) -> list[tuple[str, str, float]]:
    from flask import Flask

    from dioxide.flask import Dioxide, Inject, inject

    app = Flask("bench")
    Dioxide(app, wired(cheap_session, generator=False))

    @app.get("/users/<int:user_id>")
    @inject
    def show(user_id: int, users: Inject[UserService]) -> str:
        return users.name_of(user_id)

    database = Database()
    plain = Flask("plain")

    @plain.get("/users/<int:user_id>")
    def by_hand(user_id: int) -> str:
        return UserService(Session(database)).name_of(user_id)

    def timed(application: Flask) -> list[float]:
        client = application.test_client()
        client.get("/users/1")
        times = []
        for _ in range(repeat):
            start = time.perf_counter()
            for _ in range(count):
                client.get("/users/1")
            times.append(time.perf_counter() - start)
        return times

    return [
        ("Flask", "dioxide @inject", rate(timed(app), count)),
        ("Flask", "by hand (no DI)", rate(timed(plain), count)),
    ]


def aiohttp_rows(count: int, repeat: int) -> list[tuple[str, str, float]]:
    from aiohttp import web
    from aiohttp.test_utils import TestClient, TestServer

    from dioxide.aiohttp import Inject, inject, setup

    @inject
    async def show(request: web.Request, users: Inject[UserService]) -> web.Response:
        return web.Response(text=users.name_of(int(request.match_info["user_id"])))

    database = Database()

    async def by_hand(request: web.Request) -> web.Response:
        users = UserService(Session(database))
        return web.Response(text=users.name_of(int(request.match_info["user_id"])))

    def build(handler: Any, container: Container | None) -> web.Application:
        app = web.Application()
        app.router.add_get("/users/{user_id}", handler)
        if container is not None:
            setup(app, container)
        return app

    async def timed(app: web.Application) -> list[float]:
        async with TestClient(TestServer(app)) as client:
            await client.get("/users/1")
            times = []
            for _ in range(repeat):
                start = time.perf_counter()
                for _ in range(count):
                    (await client.get("/users/1")).release()
                times.append(time.perf_counter() - start)
            return times

    return [
        ("aiohttp", "dioxide @inject", rate(asyncio.run(timed(build(show, wired(cheap_session, generator=False)))), count)),
        ("aiohttp", "by hand (no DI)", rate(asyncio.run(timed(build(by_hand, None))), count)),
    ]


def django_rows(count: int, repeat: int) -> list[tuple[str, str, float]]:
    import django
    from django.conf import settings

    container = wired(cheap_session, generator=False)
    settings.configure(
        ROOT_URLCONF=__name__,
        MIDDLEWARE=["dioxide.django.DioxideMiddleware"],
        ALLOWED_HOSTS=["testserver"],
        INSTALLED_APPS=[],
        DATABASES={},
        DIOXIDE_CONTAINER=container,
    )
    django.setup()
    from django.http import HttpRequest, HttpResponse
    from django.test import Client
    from django.urls import path

    from dioxide.django import Inject, inject

    database = Database()

    @inject
    def show(request: HttpRequest, user_id: int, users: Inject[UserService]) -> HttpResponse:
        return HttpResponse(users.name_of(user_id))

    def by_hand(request: HttpRequest, user_id: int) -> HttpResponse:
        return HttpResponse(UserService(Session(database)).name_of(user_id))

    global urlpatterns
    urlpatterns = [path("users/<int:user_id>", show), path("plain/<int:user_id>", by_hand)]

    def timed(url: str) -> list[float]:
        client = Client()
        client.get(url)
        times = []
        for _ in range(repeat):
            start = time.perf_counter()
            for _ in range(count):
                client.get(url)
            times.append(time.perf_counter() - start)
        return times

    return [
        ("Django", "dioxide @inject (+ middleware)", rate(timed("/users/1"), count)),
        ("Django", "by hand (no DI, dioxide middleware still on)", rate(timed("/plain/1"), count)),
    ]


urlpatterns: list[Any] = []


def celery_rows(count: int, repeat: int) -> list[tuple[str, str, float]]:
    from celery import Celery

    from dioxide.celery import Inject, inject, setup

    app = Celery("bench", set_as_current=False)
    app.conf.task_always_eager = True
    setup(app, wired(cheap_session, generator=False))
    database = Database()

    @app.task
    @inject
    def injected(user_id: int, users: Inject[UserService]) -> str:
        return users.name_of(user_id)

    @app.task
    def by_hand(user_id: int) -> str:
        return UserService(Session(database)).name_of(user_id)

    def timed(task: Any) -> list[float]:
        task.apply((1,))
        times = []
        for _ in range(repeat):
            start = time.perf_counter()
            for _ in range(count):
                task.apply((1,))
            times.append(time.perf_counter() - start)
        return times

    return [
        ("Celery (task.apply, tasks/s)", "dioxide @inject", rate(timed(injected), count)),
        ("Celery (task.apply, tasks/s)", "by hand (no DI)", rate(timed(by_hand), count)),
    ]


def cli_rows(count: int, repeat: int) -> list[tuple[str, str, float]]:
    import click
    import typer
    from click.testing import CliRunner
    from typer.testing import CliRunner as TyperRunner

    from dioxide import click as dclick
    from dioxide import typer as dtyper

    database = Database()

    @click.command()
    @click.argument("user_id", type=int)
    def cshow(user_id: int, users: dclick.Inject[UserService]) -> None:
        click.echo(users.name_of(user_id))

    dclick.setup(cshow, wired(cheap_session, generator=False))

    @click.command()
    @click.argument("user_id", type=int)
    def cplain(user_id: int) -> None:
        click.echo(UserService(Session(database)).name_of(user_id))

    tapp, tplain = typer.Typer(), typer.Typer()

    @tapp.command()
    def tshow(user_id: int, users: dtyper.Inject[UserService]) -> None:
        typer.echo(users.name_of(user_id))

    @tplain.command()
    def tby_hand(user_id: int) -> None:
        typer.echo(UserService(Session(database)).name_of(user_id))

    dtyper.setup(tapp, wired(cheap_session, generator=False))

    def timed(runner: Any, command: Any) -> list[float]:
        runner.invoke(command, ["1"])
        times = []
        for _ in range(repeat):
            start = time.perf_counter()
            for _ in range(count):
                runner.invoke(command, ["1"])
            times.append(time.perf_counter() - start)
        return times

    return [
        ("Click (CliRunner, invocations/s)", "dioxide", rate(timed(CliRunner(), cshow), count)),
        ("Click (CliRunner, invocations/s)", "by hand (no DI)", rate(timed(CliRunner(), cplain), count)),
        ("Typer (CliRunner, invocations/s)", "dioxide", rate(timed(TyperRunner(), tapp), count)),
        ("Typer (CliRunner, invocations/s)", "by hand (no DI)", rate(timed(TyperRunner(), tplain), count)),
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--before", help="main's dioxide/fastapi.py, for the 'before' row")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--count", type=int, default=1000, help="requests per timed batch")
    parser.add_argument("--only", choices=["blocking", "offload", "throughput"])
    args = parser.parse_args()

    if args.only in (None, "blocking"):
        print(f"## {CONCURRENT} concurrent requests, {COMMIT_SECONDS * 1000:.0f} ms blocking commit each (best of {args.repeat})\n")
        print("| variant | wall time (s) |\n|---|---|")
        for name, seconds in blocking(args.before, args.repeat):
            print(f"| {name} | {seconds:.3f} |")
        print()
    if args.only in (None, "offload"):
        print(f"## What offloading costs: sequential requests/s, {args.count} per batch\n")
        print("| variant | requests/s |\n|---|---|")
        for name, per_second in offload(args.repeat, args.count):
            print(f"| {name} | {per_second:,.0f} |")
        print()
    if args.only in (None, "throughput"):
        print(f"## One endpoint, sequential, {args.count} per batch (best of {args.repeat})\n")
        print("| framework | mechanism | per second |\n|---|---|---|")
        for rows in (
            fastapi_rows,
            starlette_rows,
            litestar_rows,
            flask_rows,
            django_rows,
            aiohttp_rows,
            celery_rows,
            cli_rows,
        ):
            for framework, mechanism, per_second in rows(args.count, args.repeat):
                print(f"| {framework} | {mechanism} | {per_second:,.0f} |")


if __name__ == "__main__":
    main()
