"""A Starlette app wired by dioxide: a scope per request (ASGI middleware),
injected endpoints, the request injectable into providers.

Run the self-check (drives the app with Starlette's TestClient)::

    python examples/starlette_app.py

Serve it (needs ``pip install uvicorn``)::

    uvicorn --app-dir examples starlette_app:app
"""

from __future__ import annotations

from collections.abc import Iterator

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route
from starlette.testclient import TestClient

from dioxide import Container, Scope
from dioxide.starlette import DioxideMiddleware, Inject, attach, inject


class Database:
    """Stands in for a connection pool: one per app run."""

    def __init__(self) -> None:
        self.users: dict[int, str] = {1: "ada", 2: "grace"}
        self.log: list[str] = []


class UnitOfWork:
    def __init__(self, db: Database) -> None:
        self.db = db


def unit_of_work(db: Database) -> Iterator[UnitOfWork]:
    """One per request; its commit runs in a worker thread."""
    db.log.append("begin")
    try:
        yield UnitOfWork(db)
    except BaseException:
        db.log.append("rollback")
        raise
    db.log.append("commit")


class Caller:
    """Who is asking, read from the request's headers."""

    def __init__(self, request: Request) -> None:
        self.name = request.headers.get("x-user", "anonymous")


class UserService:
    def __init__(self, work: UnitOfWork, caller: Caller) -> None:
        self.work = work
        self.caller = caller

    def name_of(self, user_id: int) -> str:
        return self.work.db.users[user_id]


@inject
async def show_user(request: Request, users: Inject[UserService]) -> JSONResponse:
    user_id = int(request.path_params["user_id"])
    return JSONResponse({"name": users.name_of(user_id), "asked by": users.caller.name})


def wiring() -> Container:
    container = Container()
    container.register_class(Database, scope=Scope.SINGLETON)
    container.register_factory(UnitOfWork, unit_of_work, scope=Scope.SCOPED)
    container.register_class(Caller, scope=Scope.SCOPED)
    container.register_class(UserService, scope=Scope.SCOPED)
    return container


container = wiring()
app = Starlette(
    routes=[Route("/users/{user_id:int}", show_user)],
    middleware=[Middleware(DioxideMiddleware)],
)
attach(app, container)


def main() -> None:
    with TestClient(app, raise_server_exceptions=False) as client:
        for user_id, user in ((1, "ada"), (2, "")):
            response = client.get(f"/users/{user_id}", headers={"x-user": user} if user else {})
            print(f"GET /users/{user_id} -> {response.status_code} {response.json()}")
        print(f"GET /users/9 -> {client.get('/users/9').status_code}")
        print("unit of work:", ", ".join(container.resolve(Database).log))
    print("container finalized on shutdown:", container.closed)


if __name__ == "__main__":
    main()
