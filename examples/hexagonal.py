"""Ports and adapters (hexagonal architecture) wired by dioxide.

The application core, `SignupService`, names only ports: Protocols that say
what it needs. Adapters implement them. The email adapter is chosen by the
container's profile (SMTP in production, an in-memory outbox in tests), and
a test swaps it once more for one block with `container.override()`.

Run it with `python examples/hexagonal.py`; `--graph` prints the
production wiring as Mermaid instead (the README shows that output).
"""

from __future__ import annotations

import sys
from typing import Annotated, Protocol

from dioxide import Container, Value, singleton

# --- ports: what the core needs ----------------------------------------------


class EmailPort(Protocol):
    """Sends one message; returns a receipt."""

    def send(self, to: str, subject: str) -> str: ...


class UserRepository(Protocol):
    """Stores users; returns the new user's id."""

    def add(self, email: str) -> int: ...


# --- the core: depends on ports only ---------------------------------------------


@singleton
class SignupService:
    """Registers a user and welcomes them by email."""

    def __init__(self, users: UserRepository, email: EmailPort) -> None:
        self.users = users
        self.email = email

    def signup(self, address: str) -> str:
        user_id = self.users.add(address)
        return self.email.send(address, f"Welcome, user #{user_id}")


# --- adapters: how the ports are implemented -----------------------------------------


@singleton(provides=EmailPort, profile="prod")
class SmtpEmail:
    """Production email, configured with the `smtp_host` value."""

    def __init__(self, host: Annotated[str, Value("smtp_host")]) -> None:
        self.host = host

    def send(self, to: str, subject: str) -> str:
        return f"SmtpEmail via {self.host}: {subject!r} to {to}"


@singleton(provides=EmailPort, profile="test")
class InMemoryEmail:
    """Test email: keeps each message in an outbox instead of sending it."""

    def __init__(self) -> None:
        self.outbox: list[tuple[str, str]] = []

    def send(self, to: str, subject: str) -> str:
        self.outbox.append((to, subject))
        return f"InMemoryEmail outbox: {subject!r} to {to}"


@singleton(provides=UserRepository)
class InMemoryUsers:
    """One repository for every profile."""

    def __init__(self) -> None:
        self.emails: list[str] = []

    def add(self, email: str) -> int:
        self.emails.append(email)
        return len(self.emails)


class FailingEmail:
    """What a test puts in place of the email adapter to see an outage."""

    def send(self, to: str, subject: str) -> str:
        raise ConnectionError("mail server unreachable")


# --- wiring -------------------------------------------------------------------------


def production_container() -> Container:
    container = Container(profile="prod")
    container.register_value("smtp_host", "smtp.example.com")
    container.validate()
    return container


def testing_container() -> Container:
    container = Container(profile="test")
    container.validate()
    return container


def main() -> None:
    if "--graph" in sys.argv:
        print(production_container().graph("mermaid"), end="")
        return

    prod = production_container()
    print("prod:", prod.resolve(SignupService).signup("ada@example.com"))

    test = testing_container()
    service = test.resolve(SignupService)
    print("test:", service.signup("grace@example.com"))
    print("test outbox:", test.resolve(InMemoryEmail).outbox)

    # A test of the outage path: inside the block the singleton
    # SignupService is rebuilt with the failing adapter ...
    with test.override(EmailPort, FailingEmail()):
        outage = test.resolve(SignupService)
        try:
            outage.signup("linus@example.com")
        except ConnectionError as error:
            print("override:", type(outage.email).__name__, "->", error)
        print("override rebuilt SignupService:", outage is not service)

    # ... and after it the one built before is back, with its adapter.
    restored = test.resolve(SignupService)
    print("after override:", type(restored.email).__name__, "same service:", restored is service)


if __name__ == "__main__":
    main()
