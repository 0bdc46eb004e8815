"""A small app wired by dioxide: config -> database -> repository -> service -> handler.

Run it with `make demo`.
"""

from __future__ import annotations

from dioxide import Container, component, singleton


@singleton
class Config:
    """Settings, built once per container."""

    def __init__(self) -> None:
        self.dsn = "sqlite:///:memory:"
        self.greeting = "Welcome"


@singleton
class Database:
    """A stand-in connection pool, shared by everything that needs it."""

    def __init__(self, config: Config) -> None:
        self.dsn = config.dsn
        self.rows: dict[int, str] = {1: "ada", 2: "grace"}


@component
class UserRepository:
    def __init__(self, db: Database) -> None:
        self.db = db

    def name_of(self, user_id: int) -> str:
        return self.db.rows[user_id]


@component
class UserService:
    def __init__(self, repo: UserRepository, config: Config) -> None:
        self.repo = repo
        self.config = config

    def greet(self, user_id: int) -> str:
        return f"{self.config.greeting}, {self.repo.name_of(user_id)}!"


@component
class GreetHandler:
    """What a web framework would call per request (transient: new each time)."""

    def __init__(self, service: UserService) -> None:
        self.service = service

    def __call__(self, user_id: int) -> str:
        return self.service.greet(user_id)


def main() -> None:
    container = Container()
    handler = container.resolve(GreetHandler)
    print(f"resolved {type(handler).__name__} -> {type(handler.service).__name__}"
          f" -> {type(handler.service.repo).__name__} -> {type(handler.service.repo.db).__name__}")
    print(handler(1))
    print(handler(2))
    again = container.resolve(GreetHandler)
    print(f"handler is transient: {again is not handler}")
    print(f"database is a singleton: {again.service.repo.db is handler.service.repo.db}")
    print(f"database dsn: {container.resolve(Database).dsn}")


if __name__ == "__main__":
    main()
