"""One scope per request: a database session opened for each request and
committed, or rolled back, when the request ends.

The database is a singleton, connected on first use and disconnected when
the container closes. The session is scoped: every object of one request
shares it, and the generator that provides it is finalized when the
request's scope exits, with the request's exception, if any, thrown into it
so it can roll back. Finalizers run newest first, so sessions always close
before the database.

Run it with `python examples/scopes.py`.
"""

from __future__ import annotations

from collections.abc import Iterator

from dioxide import Container, Scope, component, provider


class Database:
    """A stand-in connection pool that numbers the sessions it opens."""

    def __init__(self) -> None:
        self.sessions_opened = 0

    def open_session(self) -> Session:
        self.sessions_opened += 1
        return Session(self.sessions_opened)


class Session:
    """A stand-in database session (a unit of work)."""

    def __init__(self, number: int) -> None:
        self.number = number


@provider(scope=Scope.SINGLETON)
def database() -> Iterator[Database]:
    print("database: connect")
    yield Database()
    print("database: disconnect")


@provider(scope=Scope.SCOPED)
def session(db: Database) -> Iterator[Session]:
    current = db.open_session()
    print(f"session {current.number}: begin")
    try:
        yield current
    except Exception as error:
        print(f"session {current.number}: rollback ({error})")
        raise
    print(f"session {current.number}: commit")


@component
class OrderRepository:
    def __init__(self, session: Session) -> None:
        self.session = session


@component
class OrderService:
    def __init__(self, orders: OrderRepository, session: Session) -> None:
        self.orders = orders
        self.session = session

    def place(self, item: str) -> str:
        if item == "nothing":
            raise ValueError("cannot order nothing")
        return f"ordered {item} in session {self.session.number}"


def handle(container: Container, item: str) -> None:
    """What a web framework would do for each request."""
    print(f"request: order {item}")
    with container.create_scope() as scope:
        service = scope.resolve(OrderService)
        shared = service.orders.session is service.session is scope.resolve(Session)
        print(f"  one session for the whole request: {shared}")
        print(f"  {service.place(item)}")


def main() -> None:
    with Container() as container:
        handle(container, "tea")
        try:
            handle(container, "nothing")
        except ValueError as error:
            print(f"request failed: {error}")
        handle(container, "coffee")
        print(f"sessions opened: {container.resolve(Database).sessions_opened}")
    print("container closed")


if __name__ == "__main__":
    main()
