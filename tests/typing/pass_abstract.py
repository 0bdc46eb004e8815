"""Ports: a Protocol and an ABC can be registered and resolved, and resolving
one returns the port type itself. ``resolve`` takes a ``TypeForm[T]``, not a
``type[T]``, so mypy raises no ``type-abstract`` error: no ignore comment in
this file, under mypy --strict. It runs, too."""

from __future__ import annotations

import asyncio
from abc import ABC, abstractmethod
from collections.abc import Iterator
from typing import Protocol

from typing_extensions import assert_type

from dioxide import Container, Scope, provider


class PaymentPort(Protocol):
    def charge(self, cents: int) -> str: ...


class StripeGateway:
    def charge(self, cents: int) -> str:
        return f"stripe charged {cents}"


class UserRepository(ABC):
    @abstractmethod
    def name_of(self, user_id: int) -> str: ...


class MemoryUserRepository(UserRepository):
    def name_of(self, user_id: int) -> str:
        return "ada"


class Mailer(ABC):
    @abstractmethod
    def send(self, to: str) -> None: ...


class NullMailer(Mailer):
    def send(self, to: str) -> None:
        pass


def null_mailer() -> Iterator[Mailer]:
    yield NullMailer()


class Notifier(Protocol):
    def notify(self, text: str) -> None: ...


class PrintNotifier:
    def notify(self, text: str) -> None:
        pass


@provider(scope=Scope.SINGLETON, provides=Notifier)
def print_notifier() -> PrintNotifier:
    return PrintNotifier()


def register_ports(container: Container) -> None:
    assert_type(container.register_class(PaymentPort, StripeGateway), None)
    assert_type(
        container.register_class(UserRepository, MemoryUserRepository, scope=Scope.SINGLETON),
        None,
    )
    assert_type(container.register_factory(Mailer, null_mailer, scope=Scope.SCOPED), None)


def resolve_ports(container: Container) -> None:
    assert_type(container.resolve(PaymentPort), PaymentPort)
    assert_type(container.resolve(UserRepository), UserRepository)
    assert_type(container.resolve(PaymentPort).charge(100), str)
    assert_type(container.resolve(Notifier), Notifier)
    assert_type(print_notifier(), PrintNotifier)
    with container.create_scope() as scope:
        assert_type(scope.resolve(Mailer), Mailer)
        assert_type(scope.resolve(PaymentPort), PaymentPort)


async def aresolve_ports(container: Container) -> None:
    assert_type(await container.aresolve(PaymentPort), PaymentPort)
    assert_type(await container.aresolve(UserRepository), UserRepository)
    async with container.create_scope() as scope:
        assert_type(await scope.aresolve(Mailer), Mailer)


def register_instances_of_ports() -> None:
    container = Container()
    assert_type(container.register_instance(PaymentPort, StripeGateway()), None)
    assert_type(container.register_instance(UserRepository, MemoryUserRepository()), None)
    assert_type(container.resolve(PaymentPort), PaymentPort)


if __name__ == "__main__":
    with Container() as app:
        register_ports(app)
        resolve_ports(app)
        asyncio.run(aresolve_ports(app))
    register_instances_of_ports()
