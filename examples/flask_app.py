"""A Flask app wired by dioxide: a unit of work per request, injected views.

Run the self-check (drives the app with Flask's test client and prints what
happened)::

    python examples/flask_app.py

Serve it::

    flask --app examples/flask_app.py run
"""

from __future__ import annotations

import logging
from collections.abc import Iterator

from flask import Flask, abort, request

from dioxide import Container, Scope, component, provider, singleton
from dioxide.flask import Dioxide, Inject, inject, resolve


@singleton
class Database:
    """Stands in for a connection pool: one per container."""

    def __init__(self) -> None:
        self.users: dict[int, str] = {1: "ada", 2: "grace"}
        self.log: list[str] = []


class UnitOfWork:
    """One per request: committed after a successful view, rolled back when
    the view raised."""

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
            abort(404, description=f"no user {user_id}")
        return name

    def add(self, name: str) -> int:
        user_id = max(self.work.db.users) + 1 + len(self.work.pending)
        self.work.pending[user_id] = name
        return user_id


def create_app(container: Container) -> Flask:
    app = Flask(__name__)
    Dioxide(app, container)

    @app.get("/users/<int:user_id>")
    @inject
    def show_user(user_id: int, users: Inject[UserService]) -> dict[str, object]:
        return {"id": user_id, "name": users.name_of(user_id)}

    @app.post("/users")
    @inject
    def add_user(users: Inject[UserService]) -> tuple[dict[str, object], int]:
        name = str(request.get_json()["name"])
        return {"id": users.add(name), "name": name}, 201

    @app.get("/crash")
    @inject
    def crash(users: Inject[UserService]) -> str:
        users.add("never saved")
        raise RuntimeError("the view failed")

    @app.get("/scope")
    @inject
    def same_scope(users: Inject[UserService], work: Inject[UnitOfWork]) -> dict[str, object]:
        return {"one unit of work per request": users.work is work is resolve(UnitOfWork)}

    return app


container = Container()
app = create_app(container)


def main() -> None:
    # /crash fails on purpose; keep its traceback out of the self-check's output.
    app.logger.setLevel(logging.CRITICAL)
    client = app.test_client()
    for method, path, body in [
        ("GET", "/users/1", None),
        ("POST", "/users", {"name": "linus"}),
        ("GET", "/users/3", None),
        ("GET", "/users/99", None),
        ("GET", "/crash", None),
        ("GET", "/scope", None),
    ]:
        response = client.open(path, method=method, json=body)
        shown = response.get_json() if response.is_json else response.status
        print(f"{method} {path} -> {response.status_code} {shown}")
    print("unit of work:", ", ".join(container.resolve(Database).log))
    with container:
        pass
    print("container closed:", container.closed)


if __name__ == "__main__":
    main()
