"""What only ``dioxide.mypy_plugin`` rejects. Plain generics cannot: mypy
solves ``T`` in ``register_instance(type_: TypeForm[T], instance: T)`` from
both arguments and widens it to ``object``, and a ``TypeForm`` admits a
string or ``X | None`` where the container needs a class. Checked with the
plugin only; every ``# type: ignore[code]`` pins one expected error under
``warn_unused_ignores``.

Not meant to run."""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Optional, Protocol

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
container.resolve(list[Config])  # type: ignore[arg-type]
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
