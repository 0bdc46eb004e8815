"""What only ``dioxide.mypy_plugin`` rejects. Plain generics cannot: mypy
solves ``T`` in ``register_instance(type_: TypeForm[T], instance: T)`` from
both arguments and widens it to ``object``, and a ``TypeForm`` admits a
string or ``X | None`` where the container needs a class; a factory's
return type and an override's replacement widen the same way. Checked with the
plugin only; every ``# type: ignore[code]`` pins one expected error under
``warn_unused_ignores``.

Not meant to run."""

from __future__ import annotations

import functools
from abc import ABC, abstractmethod
from collections.abc import Iterator
from typing import Optional, Protocol
from unittest.mock import Mock

from typing_extensions import TypeForm

from dioxide import Container


class Config:
    def __init__(self, dsn: str = "sqlite://") -> None:
        self.dsn = dsn


class PaymentPort(Protocol):
    def charge(self, cents: int) -> str: ...


class UserRepository(ABC):
    @abstractmethod
    def name_of(self, user_id: int) -> str: ...


class StripeGateway:
    def charge(self, cents: int) -> str:
        return "charged"


container = Container()

# An instance of the wrong type: a class, a Protocol, an ABC.
container.register_instance(Config, "sqlite://")  # type: ignore[arg-type]
container.register_instance(Config, None)  # type: ignore[arg-type]
container.register_instance(PaymentPort, Config())  # type: ignore[arg-type]
container.register_instance(UserRepository, StripeGateway())  # type: ignore[arg-type]
container.register_instance(type_=Config, instance=StripeGateway())  # type: ignore[arg-type]

# A class that does not implement the type it is registered for.
container.register_class(PaymentPort, Config)  # type: ignore[arg-type]
container.register_class(UserRepository, StripeGateway)  # type: ignore[arg-type]

# Type expressions that are not classes: mypy accepts them as a TypeForm,
# the container refuses them at runtime.
container.resolve("Config")  # type: ignore[arg-type]
container.resolve(Optional[Config])  # type: ignore[arg-type]
container.resolve(Config | None)  # type: ignore[arg-type]
container.resolve(None)  # type: ignore[arg-type]
container.register_factory("Config", lambda: Config())  # type: ignore[arg-type]
with container.create_scope() as scope:
    scope.resolve("Config")  # type: ignore[arg-type]


async def aresolve_a_string() -> None:
    await container.aresolve("Config")  # type: ignore[arg-type]
    await scope.aresolve(Config | None)  # type: ignore[arg-type]


# Still accepted with the plugin: the right instance, a structural match, a
# subclass, and a helper passing its own TypeForm on.
container.register_instance(Config, Config())
container.register_instance(PaymentPort, StripeGateway())
container.register_class(PaymentPort, StripeGateway)


def resolve_through(form: TypeForm[Config]) -> Config:
    return container.resolve(form)


# A factory must return the registered type (generators and async
# factories provide what they yield or return).
def make_gateway() -> StripeGateway:
    return StripeGateway()


def iterate_gateways() -> Iterator[StripeGateway]:
    yield StripeGateway()


async def connect_gateway() -> StripeGateway:
    return StripeGateway()


container.register_factory(Config, make_gateway)  # type: ignore[arg-type]
container.register_factory(Config, iterate_gateways)  # type: ignore[arg-type]
container.register_factory(Config, connect_gateway)  # type: ignore[arg-type]
container.register_factory(Config, lambda: "sqlite://")  # type: ignore[arg-type]
container.register_factory(PaymentPort, make_gateway)
container.register_factory(PaymentPort, iterate_gateways)
container.register_factory(PaymentPort, connect_gateway)
container.register_factory(Config, functools.partial(Config, dsn="x"))


# An override's replacement: an instance, a class or a factory of the type.
container.override(Config, StripeGateway())  # type: ignore[arg-type]
container.override(Config, StripeGateway)  # type: ignore[arg-type]
container.override(Config, make_gateway)  # type: ignore[arg-type]
container.override(Config, "sqlite://")  # type: ignore[arg-type]
container.override(PaymentPort, StripeGateway())
container.override(PaymentPort, StripeGateway)
container.override(PaymentPort, make_gateway)
container.override(Config, Mock())
container.override(Config, lambda: Config("test"))
