"""A FastAPI app wired by dioxide: a unit of work per request, injected endpoints.

Run the self-check (drives the app with FastAPI's TestClient and prints what
happened)::

    python examples/fastapi_app.py

Serve it (needs ``pip install uvicorn``)::

    uvicorn --app-dir examples fastapi_app:app
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated, Optional

from fastapi import Depends, FastAPI, Header, HTTPException
from fastapi.testclient import TestClient
from pydantic import BaseModel

from dioxide import Container, Scope, component, provider, singleton
from dioxide.fastapi import Inject, attach


@singleton
class Database:
    """Stands in for a connection pool: one per container."""

    def __init__(self) -> None:
        self.users: dict[int, str] = {1: "ada", 2: "grace"}
        self.log: list[str] = []


class UnitOfWork:
    """One per request: changes are committed after a successful response,
    rolled back when the endpoint raised."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self.pending: dict[int, str] = {}


@provider(scope=Scope.SCOPED)
def unit_of_work(db: Database) -> Iterator[UnitOfWork]:
    work = UnitOfWork(db)
    db.log.append("begin")
    try:
        yield work
    except BaseException:
        db.log.append("rollback")
        raise
    db.users.update(work.pending)
    db.log.append("commit")


@component
class UserService:
    def __init__(self, work: UnitOfWork) -> None:
        self.work = work

    def name_of(self, user_id: int) -> str:
        name = self.work.db.users.get(user_id)
        if name is None:
            raise HTTPException(status_code=404, detail=f"no user {user_id}")
        return name

    def add(self, name: str) -> int:
        user_id = max(self.work.db.users) + 1 + len(self.work.pending)
        self.work.pending[user_id] = name
        return user_id


class NewUser(BaseModel):
    name: str


class User(BaseModel):
    id: int
    name: str


def current_user(
    users: Inject[UserService], x_user: Annotated[Optional[int], Header()] = None
) -> str:
    """A plain FastAPI dependency that takes an injected service."""
    return users.name_of(x_user) if x_user is not None else "anonymous"


def create_app(container: Container) -> FastAPI:
    app = FastAPI(title="dioxide example")
    attach(app, container)

    @app.get("/users/{user_id}")
    async def show_user(user_id: int, users: Inject[UserService]) -> User:
        return User(id=user_id, name=users.name_of(user_id))

    @app.post("/users", status_code=201)
    def add_user(
        new: NewUser, users: Inject[UserService], me: Annotated[str, Depends(current_user)]
    ) -> User:
        if me == "anonymous":
            raise HTTPException(status_code=401, detail="sign in to add users")
        return User(id=users.add(new.name), name=new.name)

    @app.get("/whoami")
    def whoami(
        me: Annotated[str, Depends(current_user)],
        work: Inject[UnitOfWork],
        users: Inject[UserService],
    ) -> dict[str, object]:
        return {"me": me, "one unit of work per request": users.work is work}

    return app


container = Container()
app = create_app(container)


def main() -> None:
    with TestClient(app) as client:
        for method, path, body, headers in [
            ("GET", "/users/1", None, {}),
            ("POST", "/users", {"name": "linus"}, {}),
            ("POST", "/users", {"name": "linus"}, {"x-user": "2"}),
            ("GET", "/users/3", None, {}),
            ("GET", "/users/99", None, {}),
            ("GET", "/whoami", None, {"x-user": "1"}),
        ]:
            response = client.request(method, path, json=body, headers=headers)
            print(f"{method} {path} -> {response.status_code} {response.json()}")
        print("unit of work:", ", ".join(container.resolve(Database).log))
        parameters = app.openapi()["paths"]["/users/{user_id}"]["get"]["parameters"]
        print("OpenAPI parameters of GET /users/{user_id}:", [p["name"] for p in parameters])
    print("container closed on shutdown:", container.closed)


if __name__ == "__main__":
    main()
