"""The small application both web-integration test modules run: a singleton
database, a session per request that logs when it opens, rolls back and
closes, and a clock to override."""

from __future__ import annotations

from collections.abc import Iterator

from dioxide import Container, Scope


class Database:
    """A singleton shared by every request."""


class Session:
    """One per request (registered SCOPED)."""

    def __init__(self, db: Database) -> None:
        self.db = db


class Repository:
    def __init__(self, session: Session) -> None:
        self.session = session


class Clock:
    def now(self) -> str:
        return "real time"


class FixedClock(Clock):
    def now(self) -> str:
        return "12:00"


class Events:
    """Records what happens, in order, across a test."""

    def __init__(self) -> None:
        self.log: list[str] = []


def record_events(container: Container) -> Events:
    """A fresh log, registered on ``container`` so providers can write to it."""
    recorded = Events()
    container.register_instance(Events, recorded)
    return recorded


def wire(container: Container, events: Events) -> None:
    """Register the application, its Session scoped and logging to ``events``."""

    def session(db: Database) -> Iterator[Session]:
        events.log.append("session opened")
        try:
            yield Session(db)
        except BaseException as error:
            events.log.append(f"session rolled back: {type(error).__name__}")
            raise
        events.log.append("session closed")

    container.register_class(Database, scope=Scope.SINGLETON)
    container.register_factory(Session, session, scope=Scope.SCOPED)
    container.register_class(Repository)
    container.register_class(Clock, scope=Scope.SINGLETON)
