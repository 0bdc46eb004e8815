"""What mypy must reject about ``resolve``, ``container[T]`` and ``aresolve``, with plain mypy
(no plugin). Every ``# type: ignore[code]`` pins one expected error: under
``warn_unused_ignores`` the check fails if the error goes away.

Not meant to run."""

from __future__ import annotations

from dioxide import Container


class Config:
    def __init__(self) -> None:
        self.dsn = "sqlite://"


class UserService:
    def __init__(self, config: Config) -> None:
        self.config = config

    def greet(self) -> str:
        return "hello"


def needs_config(config: Config) -> None:
    pass


container = Container()

# A resolved object is the requested type, not whatever the caller wants.
count: int = container.resolve(UserService)  # type: ignore[assignment]
container.resolve(UserService).send_mail()  # type: ignore[attr-defined]
needs_config(container.resolve(UserService))  # type: ignore[arg-type]
greeting: int = container.resolve(UserService).greet()  # type: ignore[assignment]

# resolve takes a class, not an instance, a number or a function.
container.resolve(Config())  # type: ignore[arg-type]
container.resolve(42)  # type: ignore[arg-type]
container.resolve(needs_config)  # type: ignore[arg-type]

# One class, passed positionally.
container.resolve()  # type: ignore[call-arg]
container.resolve(Config, UserService)  # type: ignore[call-arg]

# container[T] is typed like resolve.
other: int = container[UserService]  # type: ignore[assignment]
container[UserService].send_mail()  # type: ignore[attr-defined]
container[Config()]  # type: ignore[index]
container[42]  # type: ignore[index]

with container.create_scope() as scope:
    # The same holds in a scope.
    also_wrong: Config = scope[UserService]  # type: ignore[assignment]
    scope[Config()]  # type: ignore[index]
    wrong: Config = scope.resolve(UserService)  # type: ignore[assignment]
    scope.resolve(Config())  # type: ignore[arg-type]
    scope.resolve(UserService).send_mail()  # type: ignore[attr-defined]


async def resolve_async() -> None:
    # aresolve returns the type too, once awaited; mypy infers T from the
    # annotated target here, so the mismatch shows on the argument.
    service: Config = await container.aresolve(UserService)  # type: ignore[arg-type]
    await container.aresolve(UserService).greet()  # type: ignore[attr-defined]
    await scope.aresolve(Config())  # type: ignore[arg-type]
    number: int = (await scope.aresolve(UserService)).greet()  # type: ignore[assignment]
