"""The decorators return what they decorate, bare and with arguments: a
class keeps its own constructor signature, a provider function keeps its
parameters and return type. mypy --strict accepts this file with no ignore
comment, and it runs."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import Protocol

from typing_extensions import Annotated, assert_type

from dioxide import Container, Named, Scope, component, provider, singleton


@singleton
class Config:
    def __init__(self, dsn: str = "sqlite://") -> None:
        self.dsn = dsn


@singleton(lifecycle=True)
class Pool:
    def __init__(self, config: Config) -> None:
        self.config = config

    def __enter__(self) -> Pool:
        return self

    def __exit__(self, *exc: object) -> None:
        pass


@component
class UserRepository:
    def __init__(self, pool: Pool) -> None:
        self.pool = pool


@component(scope=Scope.SCOPED, lifecycle=False)
class UserService:
    def __init__(self, repo: UserRepository, retries: int = 3) -> None:
        self.repo = repo
        self.retries = retries


class Cache(Protocol):
    def get(self, key: str) -> str: ...


@component(provides=Cache, name="local", scope=Scope.SINGLETON)
class LocalCache:
    def get(self, key: str) -> str:
        return key


@singleton(provides=[Cache], name="remote", profile=["prod", "staging"])
class RemoteCache:
    def get(self, key: str) -> str:
        return key


@component
class Page:
    def __init__(self, cache: Annotated[Cache, Named("local")]) -> None:
        self.cache = cache


class Database:
    def __init__(self, dsn: str) -> None:
        self.dsn = dsn


class Blob:
    pass


class HttpClient:
    pass


@provider
def database(config: Config) -> Database:
    return Database(config.dsn)


@provider(scope=Scope.SINGLETON, profile="test")
def blob() -> Iterator[Blob]:
    yield Blob()


@provider(scope=Scope.SINGLETON, provides=HttpClient)
async def http_client() -> AsyncIterator[HttpClient]:
    yield HttpClient()


def decorated_classes_keep_their_constructors() -> None:
    config = Config("postgres://")
    assert_type(config, Config)
    pool = Pool(config=config)
    assert_type(UserService(UserRepository(pool), retries=1), UserService)
    assert_type(UserService(UserRepository(pool)).retries, int)


def decorators_return_the_class() -> None:
    # mypy does not apply a class decorator's return type to the class
    # statement, so call the decorators as functions to check what they return.
    class Greeter:
        def __init__(self, name: str = "ada") -> None:
            self.name = name

    class Transient:
        pass

    class Shared:
        pass

    class AlsoShared:
        pass

    named = component(Greeter)
    assert_type(named, type[Greeter])
    assert_type(named("grace").name, str)
    assert_type(component(scope=Scope.TRANSIENT)(Transient), type[Transient])
    assert_type(singleton(Shared), type[Shared])
    assert_type(singleton(lifecycle=False)(AlsoShared), type[AlsoShared])


def providers_keep_their_signatures() -> None:
    assert_type(database(Config()), Database)
    assert_type(database(config=Config()), Database)
    assert_type(blob(), Iterator[Blob])
    assert_type(http_client(), AsyncIterator[HttpClient])


def decorated_types_resolve() -> None:
    with Container(profile="test") as container:
        assert_type(container.resolve(Blob), Blob)
        assert_type(container.resolve(Database), Database)
        assert_type(container.resolve(LocalCache), LocalCache)
        assert_type(container.resolve(Page).cache, Cache)
        assert_type(container.resolve(Pool), Pool)
        with container.create_scope() as scope:
            assert_type(scope.resolve(UserService), UserService)


if __name__ == "__main__":
    decorated_classes_keep_their_constructors()
    decorators_return_the_class()
    providers_keep_their_signatures()
    decorated_types_resolve()
