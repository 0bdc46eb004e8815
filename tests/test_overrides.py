"""``container.override(T, replacement)``: swap a provider for one block, in tests."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterator
from typing import Any, NamedTuple

import pytest
from unittest.mock import Mock
from dioxide import (
    CircularDependencyError,
    Container,
    DependencyNotRegisteredError,
    DioxideTypeError,
    Scope,
    component,
    singleton,
)


class Email(NamedTuple):
    """An email port, its production adapter (a decorated singleton) and a
    fake, defined anew for each test: decorated classes are seen by every
    container, so each test needs an interface of its own."""

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
            return f"smtp mail to {to}"

    class FakeEmail(EmailPort):
        def send(self, to: str) -> str:
            return f"fake mail to {to}"

    return Email(EmailPort, SmtpEmail, FakeEmail)


def test_override_replaces_the_provider_inside_the_block_only(
    container: Container, email: Email
) -> None:
    EmailPort, SmtpEmail, FakeEmail = email
    fake = FakeEmail()
    real = container.resolve(EmailPort)

    with container.override(EmailPort, fake):
        assert container.resolve(EmailPort) is fake

    assert container.resolve(EmailPort) is real
    assert isinstance(real, SmtpEmail)


def test_singleton_dependants_are_rebuilt_inside_the_block_and_restored_after(
    container: Container, email: Email
) -> None:
    EmailPort, SmtpEmail, FakeEmail = email

    @singleton
    class SignupService:
        def __init__(self, email: EmailPort) -> None:
            self.email = email

    @singleton
    class Api:
        def __init__(self, signup: SignupService) -> None:
            self.signup = signup

    api = container.resolve(Api)
    signup = container.resolve(SignupService)
    fake = FakeEmail()

    with container.override(EmailPort, fake):
        api_in_block = container.resolve(Api)
        assert api_in_block is not api
        assert api_in_block.signup is not signup
        assert api_in_block.signup.email is fake
        assert container.resolve(SignupService) is api_in_block.signup

    assert container.resolve(Api) is api
    assert container.resolve(SignupService) is signup
    assert isinstance(api.signup.email, SmtpEmail)


def test_singletons_that_do_not_depend_on_the_overridden_type_are_kept(
    container: Container, email: Email
) -> None:
    EmailPort, SmtpEmail, FakeEmail = email

    @singleton
    class Clock: ...

    clock = container.resolve(Clock)
    with container.override(EmailPort, FakeEmail()):
        assert container.resolve(Clock) is clock


def test_dependants_built_first_inside_the_block_are_forgotten_after_it(
    container: Container, email: Email
) -> None:
    EmailPort, SmtpEmail, FakeEmail = email

    @singleton
    class SignupService:
        def __init__(self, email: EmailPort) -> None:
            self.email = email

    with container.override(EmailPort, FakeEmail()):
        in_block = container.resolve(SignupService)

    after = container.resolve(SignupService)
    assert after is not in_block
    assert isinstance(after.email, SmtpEmail)


def test_everything_is_restored_when_the_block_raises(container: Container, email: Email) -> None:
    EmailPort, SmtpEmail, FakeEmail = email

    @singleton
    class SignupService:
        def __init__(self, email: EmailPort) -> None:
            self.email = email

    signup = container.resolve(SignupService)

    with pytest.raises(LookupError, match="raised in the block"):
        with container.override(EmailPort, FakeEmail()):
            assert isinstance(container.resolve(SignupService).email, FakeEmail)
            raise LookupError("raised in the block")

    assert container.resolve(SignupService) is signup
    assert isinstance(container.resolve(EmailPort), SmtpEmail)


def test_a_class_replacement_is_wired_from_its_hints_and_built_with_the_scope_given(
    container: Container, email: Email
) -> None:
    EmailPort, SmtpEmail, FakeEmail = email

    @singleton
    class Outbox:
        def __init__(self) -> None:
            self.sent: list[str] = []

    class RecordingEmail(EmailPort):
        def __init__(self, outbox: Outbox) -> None:
            self.outbox = outbox

        def send(self, to: str) -> str:
            self.outbox.sent.append(to)
            return "recorded"

    with container.override(EmailPort, RecordingEmail, scope=Scope.SINGLETON):
        email = container.resolve(EmailPort)
        assert isinstance(email, RecordingEmail)
        assert container.resolve(EmailPort) is email
        email.send("ada@example.com")

    assert container.resolve(Outbox).sent == ["ada@example.com"]


def test_a_class_replacement_keeps_the_lifetime_of_what_it_replaces(
    container: Container, email: Email
) -> None:
    EmailPort, SmtpEmail, FakeEmail = email  # SmtpEmail is a singleton

    with container.override(EmailPort, FakeEmail):
        assert isinstance(container.resolve(EmailPort), FakeEmail)
        assert container.resolve(EmailPort) is container.resolve(EmailPort)


def test_a_class_replacement_takes_the_scope_it_is_given(
    container: Container, email: Email
) -> None:
    EmailPort, SmtpEmail, FakeEmail = email

    with container.override(EmailPort, FakeEmail, scope=Scope.TRANSIENT):
        assert container.resolve(EmailPort) is not container.resolve(EmailPort)


def test_a_factory_replacement_is_called_with_injected_parameters(
    container: Container, email: Email
) -> None:
    EmailPort, SmtpEmail, FakeEmail = email

    @component
    class Settings:
        sender = "noreply@example.com"

    calls: list[str] = []

    def fake_email(settings: Settings) -> EmailPort:
        calls.append(settings.sender)
        return FakeEmail()

    with container.override(EmailPort, fake_email):
        assert isinstance(container.resolve(EmailPort), FakeEmail)

    assert calls == ["noreply@example.com"]


def test_overriding_an_implementation_reaches_dependants_of_its_interface(
    container: Container, email: Email
) -> None:
    EmailPort, SmtpEmail, FakeEmail = email

    class StubSmtp(SmtpEmail):
        def send(self, to: str) -> str:
            return "stub"

    @singleton
    class SignupService:
        def __init__(self, email: EmailPort) -> None:
            self.email = email

    signup = container.resolve(SignupService)
    stub = StubSmtp()

    with container.override(SmtpEmail, stub):
        assert container.resolve(EmailPort) is stub
        assert container.resolve(SignupService).email is stub

    assert container.resolve(SignupService) is signup
    assert type(container.resolve(EmailPort)) is SmtpEmail


def test_overriding_a_collection_member_keeps_its_place_and_restores_it() -> None:
    class Plugin: ...

    @component(provides=Plugin)
    class First(Plugin): ...

    @component(provides=Plugin)
    class Second(Plugin): ...

    @component(provides=Plugin)
    class Third(Plugin): ...

    class SecondStub(Second): ...

    @component
    class Host:
        def __init__(self, plugins: list[Plugin]) -> None:
            self.plugins = plugins

    container = Container()

    def kinds() -> list[type]:
        return [type(p) for p in container.resolve(Host).plugins if isinstance(p, Plugin)]

    with container.override(Second, SecondStub()):
        assert kinds() == [First, SecondStub, Third]
    assert kinds() == [First, Second, Third]


def test_nested_overrides_unwind_in_order(container: Container, email: Email) -> None:
    EmailPort, SmtpEmail, FakeEmail = email
    outer, inner = FakeEmail(), FakeEmail()

    with container.override(EmailPort, outer):
        with container.override(EmailPort, inner):
            assert container.resolve(EmailPort) is inner
        assert container.resolve(EmailPort) is outer

    assert isinstance(container.resolve(EmailPort), SmtpEmail)


def test_overrides_do_not_leak_into_other_containers(container: Container, email: Email) -> None:
    EmailPort, SmtpEmail, FakeEmail = email

    with container.override(EmailPort, FakeEmail()):
        assert isinstance(Container().resolve(EmailPort), SmtpEmail)


def test_overriding_an_unregistered_type_provides_it_only_inside_the_block(
    container: Container,
) -> None:
    class FeatureFlags: ...

    flags = FeatureFlags()
    with container.override(FeatureFlags, flags):
        assert container.resolve(FeatureFlags) is flags

    with pytest.raises(DependencyNotRegisteredError) as info:
        container.resolve(FeatureFlags)
    assert info.value.reason == "no provider is registered for FeatureFlags"


def test_overriding_an_explicit_registration_restores_it(container: Container) -> None:
    class Settings:
        def __init__(self, env: str = "prod") -> None:
            self.env = env

    prod = Settings()
    container.register_instance(Settings, prod)

    with container.override(Settings, Settings("test")):
        assert container.resolve(Settings).env == "test"

    assert container.resolve(Settings) is prod


def test_any_object_stands_in_for_a_test(container: Container, email: Email) -> None:
    """An override is a testing tool: a Mock without a spec, or any other
    object, replaces the provider; register_instance keeps checking."""
    EmailPort, SmtpEmail, FakeEmail = email

    class NotAnEmail: ...

    stand_in = NotAnEmail()
    with container.override(EmailPort, stand_in):
        assert container.resolve(EmailPort) is stand_in
    mock = Mock()
    with container.override(SmtpEmail, mock):
        assert container.resolve(SmtpEmail) is mock
    assert isinstance(container.resolve(SmtpEmail), SmtpEmail)

    with pytest.raises(DioxideTypeError) as info:
        Container().register_instance(EmailPort, NotAnEmail())  # type: ignore[arg-type]
    assert str(info.value).splitlines() == [
        "register_instance(EmailPort, ...) got an instance of NotAnEmail, "
        "which is not an instance of EmailPort",
        "  hint: pass a EmailPort instance, or register it under its own type",
    ]


def test_an_override_block_cannot_be_entered_twice(container: Container, email: Email) -> None:
    EmailPort, SmtpEmail, FakeEmail = email
    override = container.override(EmailPort, FakeEmail())

    with override:
        with pytest.raises(DioxideTypeError, match="this override is already active"):
            with override:
                pass


def test_a_generator_factory_replacement_is_finalized_with_the_container(email: Email) -> None:
    EmailPort, SmtpEmail, FakeEmail = email
    events: list[str] = []

    def fake_email() -> Iterator[EmailPort]:
        events.append("open")
        yield FakeEmail()
        events.append("close")

    with Container() as container:
        with container.override(EmailPort, fake_email, scope=Scope.SINGLETON):
            container.resolve(EmailPort)
        assert events == ["open"]

    assert events == ["open", "close"]


def test_an_override_that_would_close_a_cycle_is_refused_and_changes_nothing(
    container: Container, email: Email
) -> None:
    EmailPort, SmtpEmail, FakeEmail = email

    @singleton
    class SignupService:
        def __init__(self, email: EmailPort) -> None:
            self.email = email

    class LoopingEmail(EmailPort):
        def __init__(self, signup: SignupService) -> None: ...

        def send(self, to: str) -> str:
            return "loop"

    signup = container.resolve(SignupService)

    with pytest.raises(CircularDependencyError) as info:
        with container.override(EmailPort, LoopingEmail):
            pass

    assert info.value.reason == "circular dependency: EmailPort -> SignupService -> EmailPort"
    assert container.resolve(SignupService) is signup


def test_a_class_that_does_not_implement_the_type_is_refused(
    container: Container, email: Email
) -> None:
    EmailPort, SmtpEmail, FakeEmail = email

    class NotAnEmail: ...

    with pytest.raises(DioxideTypeError) as info:
        container.override(EmailPort, NotAnEmail)

    assert str(info.value).splitlines() == [
        "override(EmailPort, NotAnEmail): NotAnEmail is not a subclass of EmailPort",
        "  hint: pass a class that implements EmailPort, an instance of one, or a factory",
    ]


def test_an_override_ended_under_a_newer_one_is_undone_when_that_one_ends(
    container: Container,
) -> None:
    class Clock: ...

    class Other: ...

    container.register_class(Clock)
    container.register_class(Other)
    fake_clock, fake_other = Clock(), Other()
    outer = container.override(Clock, fake_clock)
    inner = container.override(Other, fake_other)
    outer.__enter__()
    inner.__enter__()

    # Ended out of order (two threads, say): it stays in force for now...
    outer.__exit__(None, None, None)
    assert container.resolve(Clock) is fake_clock

    # ...and both are undone, newest first, when the newer one ends.
    inner.__exit__(None, None, None)
    assert type(container.resolve(Clock)) is Clock
    assert container.resolve(Clock) is not fake_clock
    assert container.resolve(Other) is not fake_other


def test_a_refused_override_leaves_the_type_free_to_register() -> None:
    class Repo: ...

    class Service:
        def __init__(self, repo: Repo) -> None:
            self.repo = repo

    container = Container()
    container.register_class(Service)

    def make_repo(service: Service) -> Repo:  # Repo -> Service -> Repo
        return Repo()

    with pytest.raises(CircularDependencyError):
        with container.override(Repo, make_repo):
            pass

    container.register_class(Repo)
    assert isinstance(container.resolve(Service).repo, Repo)
