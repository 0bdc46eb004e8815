"""``resolve``, ``aresolve`` and the subscript spelling ``container[T]``
return the type they are asked for, on the container and on scopes, sync
and async; the container's own methods keep
their types too. mypy --strict accepts this file with no ignore comment,
and it runs."""

from __future__ import annotations

import asyncio

from typing_extensions import assert_type

from dioxide import Container, ContainerScope, Scope, component, singleton


@singleton
class Config:
    def __init__(self) -> None:
        self.dsn = "sqlite://"


@component
class UserService:
    def __init__(self, config: Config) -> None:
        self.config = config


@component(scope=Scope.SCOPED)
class RequestContext:
    def __init__(self, service: UserService) -> None:
        self.service = service


def resolve_on_the_container(container: Container) -> None:
    assert_type(container.resolve(UserService), UserService)
    assert_type(container.resolve(Config).dsn, str)
    assert_type(container.resolve(UserService).config, Config)


def subscript_on_the_container(container: Container) -> None:
    assert_type(container[UserService], UserService)
    assert_type(container[Config].dsn, str)
    assert_type(container[UserService].config, Config)


def subscript_in_scopes(container: Container) -> None:
    with container.create_scope() as scope:
        assert_type(scope[RequestContext], RequestContext)
        assert_type(scope[Config], Config)


def resolve_in_scopes(container: Container) -> None:
    assert_type(container.create_scope(), ContainerScope)
    with container.create_scope() as scope:
        assert_type(scope, ContainerScope)
        assert_type(scope.resolve(RequestContext), RequestContext)
        assert_type(scope.resolve(Config), Config)
        with scope.create_scope() as nested:
            assert_type(nested, ContainerScope)
            assert_type(nested.resolve(RequestContext), RequestContext)
        assert_type(RequestContext in scope, bool)
        assert_type(scope.closed, bool)
    assert_type(scope.close(), None)


async def aresolve_everywhere(container: Container) -> None:
    assert_type(await container.aresolve(UserService), UserService)
    async with container.create_scope() as scope:
        assert_type(scope, ContainerScope)
        assert_type(await scope.aresolve(RequestContext), RequestContext)
    assert_type(await scope.aclose(), None)


def container_protocols() -> None:
    with Container() as container:
        assert_type(container, Container)
        assert_type(len(container), int)
        assert_type(Config in container, bool)
        assert_type(container.closed, bool)
    assert_type(container.close(), None)


async def async_container() -> None:
    async with Container() as container:
        assert_type(container, Container)
        assert_type(await container.aresolve(Config), Config)
    assert_type(await container.aclose(), None)


if __name__ == "__main__":
    resolve_on_the_container(Container())
    resolve_in_scopes(Container())
    subscript_on_the_container(Container())
    subscript_in_scopes(Container())
    asyncio.run(aresolve_everywhere(Container()))
    container_protocols()
    asyncio.run(async_container())
