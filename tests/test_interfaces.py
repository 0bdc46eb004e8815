"""Interfaces: ``provides=`` and ``register_class(Port, Impl)`` bind an
implementation to a Protocol, an ABC or a base class.

Decorated classes are seen by every container, so each test defines its own
interface: one defined at module level would collect the implementations of
every test.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Protocol, runtime_checkable

import pytest

from dioxide import (
    CircularDependencyError,
    Container,
    DependencyNotRegisteredError,
    DioxideTypeError,
    Scope,
    component,
    singleton,
)


def test_a_parameter_typed_as_a_protocol_gets_the_implementation(container: Container) -> None:
    class PaymentPort(Protocol):
        def pay(self, cents: int) -> str: ...

    @component(provides=PaymentPort)
    class StripeGateway:
        def pay(self, cents: int) -> str:
            return f"stripe charged {cents}"

    @component
    class Checkout:
        def __init__(self, payments: PaymentPort) -> None:
            self.payments = payments

    checkout = container.resolve(Checkout)

    assert isinstance(checkout.payments, StripeGateway)
    assert checkout.payments.pay(250) == "stripe charged 250"


def test_a_parameter_typed_as_an_abc_gets_the_implementation(container: Container) -> None:
    class PaymentPort(ABC):
        @abstractmethod
        def pay(self, cents: int) -> str: ...

    @component(provides=PaymentPort)
    class StripeGateway(PaymentPort):
        def pay(self, cents: int) -> str:
            return "stripe"

    @component
    class Checkout:
        def __init__(self, payments: PaymentPort) -> None:
            self.payments = payments

    assert isinstance(container.resolve(Checkout).payments, StripeGateway)


def test_resolving_the_interface_returns_the_implementation(container: Container) -> None:
    class Clock(ABC):
        @abstractmethod
        def now(self) -> float: ...

    @component(provides=Clock)
    class SystemClock(Clock):
        def now(self) -> float:
            return 0.0

    assert isinstance(container.resolve(Clock), SystemClock)


def test_the_implementation_stays_available_under_its_own_class(container: Container) -> None:
    class Clock(ABC): ...

    @singleton(provides=Clock)
    class SystemClock(Clock): ...

    assert container.resolve(SystemClock) is container.resolve(Clock)


def test_a_singleton_providing_several_interfaces_is_one_instance(container: Container) -> None:
    class Reader(ABC): ...

    class Writer(ABC): ...

    @singleton(provides=[Reader, Writer])
    class FileStore(Reader, Writer): ...

    @component
    class Copier:
        def __init__(self, source: Reader, target: Writer) -> None:
            self.source = source
            self.target = target

    copier = container.resolve(Copier)

    assert isinstance(copier.source, FileStore)
    assert copier.source is copier.target is container.resolve(FileStore)


def test_a_transient_providing_several_interfaces_is_built_per_injection(
    container: Container,
) -> None:
    class Reader(ABC): ...

    class Writer(ABC): ...

    @component(provides=(Reader, Writer))
    class Buffer(Reader, Writer): ...

    assert isinstance(container.resolve(Reader), Buffer)
    assert container.resolve(Reader) is not container.resolve(Writer)


def test_a_non_runtime_checkable_protocol_is_trusted_structurally(container: Container) -> None:
    class Greeter(Protocol):
        def greet(self) -> str: ...

    @component(provides=Greeter)
    class English:
        def greet(self) -> str:
            return "hello"

    assert container.resolve(Greeter).greet() == "hello"


def test_register_class_binds_an_interface_in_one_container_only(container: Container) -> None:
    class PaymentPort(ABC): ...

    class StripeGateway(PaymentPort): ...

    container.register_class(PaymentPort, StripeGateway, scope=Scope.SINGLETON)

    assert isinstance(container.resolve(PaymentPort), StripeGateway)
    assert container.resolve(PaymentPort) is container.resolve(PaymentPort)
    with pytest.raises(DependencyNotRegisteredError):
        Container().resolve(PaymentPort)


def test_register_class_takes_precedence_over_decorated_implementations(
    container: Container,
) -> None:
    class PaymentPort(ABC): ...

    @component(provides=PaymentPort)
    class StripeGateway(PaymentPort): ...

    @component(provides=PaymentPort)
    class PaypalGateway(PaymentPort): ...

    class FakeGateway(PaymentPort): ...

    container.register_class(PaymentPort, FakeGateway)

    assert isinstance(container.resolve(PaymentPort), FakeGateway)


def test_register_class_refuses_a_class_that_does_not_implement_the_interface(
    container: Container,
) -> None:
    class PaymentPort(ABC): ...

    class Unrelated: ...

    with pytest.raises(DioxideTypeError) as info:
        container.register_class(PaymentPort, Unrelated)

    assert str(info.value).splitlines() == [
        "register_class(PaymentPort, Unrelated): Unrelated is not a subclass of PaymentPort",
        "  hint: register a class that implements PaymentPort",
    ]


def test_provides_refuses_a_class_that_does_not_implement_the_abc() -> None:
    class PaymentPort(ABC): ...

    with pytest.raises(DioxideTypeError) as info:

        @component(provides=PaymentPort)
        class Unrelated: ...

    assert str(info.value).splitlines() == [
        "@component: Unrelated does not implement PaymentPort (it is not a subclass)",
        "  hint: derive Unrelated from PaymentPort, or drop it from provides=",
    ]


def test_provides_checks_a_runtime_checkable_protocol_by_its_methods() -> None:
    @runtime_checkable
    class Greeter(Protocol):
        def greet(self) -> str: ...

    with pytest.raises(DioxideTypeError, match="Mute does not implement Greeter"):

        @singleton(provides=Greeter)
        class Mute: ...


@pytest.mark.parametrize(
    ("provides", "shown"),
    [("PaymentPort", "'PaymentPort'"), (42, "42"), ([int, "Port"], "'Port'")],
)
def test_provides_refuses_what_is_not_a_class(provides: object, shown: str) -> None:
    with pytest.raises(DioxideTypeError) as info:

        @component(provides=provides)
        class Gateway: ...

    assert str(info.value).splitlines() == [
        "@component: provides= takes classes (an interface, a Protocol or an ABC), "
        f"got {shown}",
        "  hint: pass the interface class itself, e.g. provides=PaymentPort",
    ]


def test_an_interface_nobody_implements_says_how_to_provide_it(container: Container) -> None:
    class PaymentPort(ABC):
        @abstractmethod
        def pay(self) -> None: ...

    @component
    class Checkout:
        def __init__(self, payments: PaymentPort) -> None: ...

    with pytest.raises(DependencyNotRegisteredError) as info:
        container.resolve(Checkout)

    assert info.value.chain == [Checkout, PaymentPort]
    assert str(info.value).splitlines() == [
        "cannot resolve Checkout: Checkout needs PaymentPort for parameter 'payments', "
        "but no provider is registered for it",
        "  chain: Checkout -> PaymentPort",
        "  hint: PaymentPort is an interface: decorate an implementation with "
        "@component(provides=PaymentPort) or @singleton(provides=PaymentPort), "
        "or register one with container.register_class(PaymentPort, Implementation)",
    ]


def test_an_implementation_that_needs_its_own_interface_is_a_cycle() -> None:
    class Handler(ABC): ...

    with pytest.raises(CircularDependencyError) as info:

        @component(provides=Handler)
        class LoggingHandler(Handler):
            def __init__(self, inner: Handler) -> None: ...

    names = [cls.__name__ for cls in info.value.cycle]
    assert names == ["LoggingHandler", "Handler", "LoggingHandler"]
    assert info.value.reason == "circular dependency: LoggingHandler -> Handler -> LoggingHandler"
