"""Profiles: ``profile=`` limits a decorated provider to the containers made
with ``Container(profile=...)`` for it; unmarked providers serve every
profile, and in its profile a marked implementation wins over them.

Each test defines its own interface: decorated classes are seen by every
container.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Any, NamedTuple

import pytest

from dioxide import (
    AmbiguousProviderError,
    Container,
    DependencyNotRegisteredError,
    DioxideTypeError,
    component,
    singleton,
)


class Email(NamedTuple):
    """An email port with an unmarked production adapter and a test one."""

    port: Any
    smtp: Any
    fake: Any


@pytest.fixture
def email() -> Email:
    class EmailPort(ABC):
        @abstractmethod
        def send(self, to: str) -> str: ...

    @singleton(provides=EmailPort)
    class SmtpEmail(EmailPort):
        def send(self, to: str) -> str:
            return f"smtp to {to}"

    @singleton(provides=EmailPort, profile="test")
    class FakeEmail(EmailPort):
        def send(self, to: str) -> str:
            return f"fake to {to}"

    return Email(EmailPort, SmtpEmail, FakeEmail)


def test_a_container_of_a_profile_picks_the_implementation_marked_for_it(email: Email) -> None:
    EmailPort, SmtpEmail, FakeEmail = email

    assert isinstance(Container(profile="test").resolve(EmailPort), FakeEmail)


def test_a_container_without_profile_sees_only_unmarked_implementations(email: Email) -> None:
    EmailPort, SmtpEmail, FakeEmail = email

    assert isinstance(Container().resolve(EmailPort), SmtpEmail)


def test_unmarked_implementations_serve_every_other_profile(email: Email) -> None:
    EmailPort, SmtpEmail, FakeEmail = email

    assert isinstance(Container(profile="prod").resolve(EmailPort), SmtpEmail)


def test_the_marked_implementation_is_injected_into_dependants(email: Email) -> None:
    EmailPort, SmtpEmail, FakeEmail = email

    @component
    class Signup:
        def __init__(self, email: EmailPort) -> None:
            self.email = email

    assert isinstance(Container(profile="test").resolve(Signup).email, FakeEmail)
    assert isinstance(Container().resolve(Signup).email, SmtpEmail)


def test_an_unmarked_implementation_stays_available_under_its_own_class(email: Email) -> None:
    EmailPort, SmtpEmail, FakeEmail = email

    assert isinstance(Container(profile="test").resolve(SmtpEmail), SmtpEmail)


def test_a_provider_can_serve_several_profiles() -> None:
    class Clock(ABC): ...

    @component(provides=Clock, profile=["test", "dev"])
    class FrozenClock(Clock): ...

    assert isinstance(Container(profile="test").resolve(Clock), FrozenClock)
    assert isinstance(Container(profile="dev").resolve(Clock), FrozenClock)
    with pytest.raises(DependencyNotRegisteredError):
        Container(profile="prod").resolve(Clock)


def test_a_collection_in_a_profile_holds_the_marked_and_the_unmarked(email: Email) -> None:
    EmailPort, SmtpEmail, FakeEmail = email

    @component
    class Broadcast:
        def __init__(self, channels: list[EmailPort]) -> None:
            self.channels = channels

    channels = Container(profile="test").resolve(Broadcast).channels

    assert [type(c) for c in channels] == [SmtpEmail, FakeEmail]
    assert [type(c) for c in Container().resolve(Broadcast).channels] == [SmtpEmail]


def test_two_implementations_marked_for_one_profile_are_ambiguous_there(email: Email) -> None:
    EmailPort, SmtpEmail, FakeEmail = email

    @singleton(provides=EmailPort, profile="test")
    class RecordingEmail(EmailPort):
        def send(self, to: str) -> str:
            return "recorded"

    with pytest.raises(AmbiguousProviderError) as info:
        Container(profile="test").resolve(EmailPort)

    assert info.value.candidates == [FakeEmail, RecordingEmail]


def test_a_class_marked_for_a_profile_is_missing_elsewhere_and_the_hint_says_why() -> None:
    @component(profile="test")
    class FakeClock: ...

    with pytest.raises(DependencyNotRegisteredError) as info:
        Container().resolve(FakeClock)

    assert str(info.value).splitlines() == [
        "no provider is registered for FakeClock",
        '  hint: FakeClock is provided only in profile "test", and this container has no '
        'profile: create it with Container(profile="test")',
    ]


def test_a_missing_interface_in_another_profile_names_both_profiles() -> None:
    class Clock(ABC): ...

    @component(provides=Clock, profile=["test", "dev"])
    class FrozenClock(Clock): ...

    @component
    class Scheduler:
        def __init__(self, clock: Clock) -> None: ...

    with pytest.raises(DependencyNotRegisteredError) as info:
        Container(profile="prod").resolve(Scheduler)

    assert info.value.hint == (
        'Clock is provided only in profiles "test", "dev", and this container\'s profile is '
        '"prod": create it with Container(profile="test"), or provide Clock for "prod" too'
    )


def test_the_container_remembers_its_profile() -> None:
    container = Container(profile="test")

    assert container.profile == "test"
    assert repr(container).startswith("<dioxide.Container profile='test' ")


@pytest.mark.parametrize("profile", ["", 42])
def test_a_container_profile_must_be_a_non_empty_name(profile: object) -> None:
    with pytest.raises(DioxideTypeError) as info:
        Container(profile=profile)  # type: ignore[arg-type]

    assert str(info.value).splitlines() == [
        f"Container(profile=...) takes a profile name, got {profile!r}",
        '  hint: e.g. Container(profile="test")',
    ]


@pytest.mark.parametrize("profile", ["", [], ["test", ""], 42])
def test_a_decorator_profile_must_be_a_name_or_a_list_of_names(profile: object) -> None:
    with pytest.raises(DioxideTypeError) as info:

        @component(profile=profile)  # type: ignore[arg-type]
        class Service: ...

    assert str(info.value).splitlines() == [
        f"@component: profile= takes a profile name or a list of names, got {profile!r}",
        '  hint: e.g. profile="test" or profile=["test", "dev"]',
    ]


def test_a_marked_implementation_decorated_after_first_use_still_wins() -> None:
    class Clock(ABC): ...

    @singleton(provides=Clock)
    class SystemClock(Clock): ...

    container = Container(profile="test")
    system = container.resolve(SystemClock)
    assert container.resolve(Clock) is system

    @singleton(provides=Clock, profile="test")
    class FrozenClock(Clock): ...

    assert isinstance(container.resolve(Clock), FrozenClock)
    assert container.resolve(SystemClock) is system
