"""A Litestar app wired by dioxide: the plugin's scope per request, dioxide
objects as Litestar dependencies, Litestar's request injected into a
dioxide provider.

Run the self-check (drives the app with Litestar's TestClient)::

    python examples/litestar_app.py
"""

from __future__ import annotations

from collections.abc import Iterator

from litestar import Litestar, Request, get
from litestar.di import NamedDependency
from litestar.params import FromPath
from litestar.testing import TestClient

from dioxide import Container, Scope
from dioxide.litestar import DioxidePlugin, provide


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
    def __init__(self, request: Request) -> None:  # type: ignore[type-arg]
        self.name = request.headers.get("x-user", "anonymous")


class UserService:
    def __init__(self, work: UnitOfWork, caller: Caller) -> None:
        self.work = work
        self.caller = caller

    def name_of(self, user_id: int) -> str:
        return self.work.db.users[user_id]


@get("/users/{user_id:int}")
async def show_user(
    user_id: FromPath[int], users: NamedDependency[UserService]
) -> dict[str, str]:
    return {"name": users.name_of(user_id), "asked by": users.caller.name}


def wiring() -> Container:
    container = Container()
    container.register_class(Database, scope=Scope.SINGLETON)
    container.register_factory(UnitOfWork, unit_of_work, scope=Scope.SCOPED)
    container.register_class(Caller, scope=Scope.SCOPED)
    container.register_class(UserService, scope=Scope.SCOPED)
    return container


container = wiring()
app = Litestar(
    [show_user],
    dependencies={"users": provide(UserService)},
    plugins=[DioxidePlugin(container)],
    logging_config=None,
)


def main() -> None:
    with TestClient(app) as client:
        response = client.get("/users/1", headers={"x-user": "grace"})
        print(f"GET /users/1 -> {response.status_code} {response.json()}")
        print(f"GET /users/9 -> {client.get('/users/9').status_code}")
        print("unit of work:", ", ".join(container.resolve(Database).log))
    print("container finalized on shutdown:", container.closed)


if __name__ == "__main__":
    main()
