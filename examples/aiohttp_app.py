"""An aiohttp app wired by dioxide: a scope per request, injected handlers,
the request injected into a provider.

Run the self-check (serves the app with aiohttp's test server)::

    python examples/aiohttp_app.py
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from dioxide import Container, Scope
from dioxide.aiohttp import Inject, inject, setup


class Database:
    def __init__(self) -> None:
        self.users: dict[int, str] = {1: "ada", 2: "grace"}
        self.log: list[str] = []


class UnitOfWork:
    def __init__(self, db: Database) -> None:
        self.db = db


def unit_of_work(db: Database) -> Iterator[UnitOfWork]:
    db.log.append("begin")
    try:
        yield UnitOfWork(db)
    except BaseException:
        db.log.append("rollback")
        raise
    db.log.append("commit")


class Caller:
    def __init__(self, request: web.Request) -> None:
        self.name = request.headers.get("x-user", "anonymous")


class UserService:
    def __init__(self, work: UnitOfWork, caller: Caller) -> None:
        self.work = work
        self.caller = caller

    def name_of(self, user_id: int) -> str:
        if user_id not in self.work.db.users:
            raise web.HTTPNotFound()
        return self.work.db.users[user_id]


@inject
async def show_user(request: web.Request, users: Inject[UserService]) -> web.Response:
    name = users.name_of(int(request.match_info["user_id"]))
    return web.json_response({"name": name, "asked by": users.caller.name})


def wiring() -> Container:
    container = Container()
    container.register_class(Database, scope=Scope.SINGLETON)
    container.register_factory(UnitOfWork, unit_of_work, scope=Scope.SCOPED)
    container.register_class(Caller, scope=Scope.SCOPED)
    container.register_class(UserService, scope=Scope.SCOPED)
    return container


container = wiring()
app = web.Application()
app.router.add_get("/users/{user_id}", show_user)
setup(app, container)


async def check() -> None:
    async with TestClient(TestServer(app)) as client:
        response = await client.get("/users/2", headers={"x-user": "ada"})
        print(f"GET /users/2 -> {response.status} {await response.json()}")
        print(f"GET /users/9 -> {(await client.get('/users/9')).status}")
        print("unit of work:", ", ".join(container.resolve(Database).log))


if __name__ == "__main__":
    asyncio.run(check())
    print("container finalized at cleanup:", container.closed)
