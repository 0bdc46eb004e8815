"""pytest plugin: a fresh container per test, and overrides for one test.

Installed with dioxide (entry point ``pytest11``), so the fixtures are there
in every test suite of a project that has dioxide installed::

    def test_signup_sends_a_welcome_email(dioxide_container, dioxide_override):
        outbox = dioxide_override(EmailPort, FakeEmail())
        dioxide_container.resolve(SignupService).signup("ada@example.com")
        assert outbox.sent == ["ada@example.com"]

- ``dioxide_container``: a new :class:`~dioxide.Container` for the test,
  closed after it (its singletons are the test's own). It selects the profile
  given by ``@pytest.mark.dioxide(profile="test")`` or, for the whole suite,
  the ``dioxide_profile`` ini option.
- ``dioxide_override(T, replacement)``: replace ``T``'s provider in
  ``dioxide_container`` until the test ends; returns ``replacement``.
- ``dioxide_override_value(key, value)``: set the configuration value
  ``key`` in ``dioxide_container`` until the test ends; returns ``value``.

To test with your application's own container (its registered values and
factories), override the fixture in ``conftest.py``; ``dioxide_override``
then works on that container::

    @pytest.fixture
    def dioxide_container() -> Iterator[Container]:
        with create_container() as container:
            yield container

The container closes synchronously; a container with async finalizers needs
its own fixture that ends with ``await container.aclose()``.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack
from typing import Optional, TypeVar

import pytest
from typing_extensions import TypeForm

from dioxide._container import Container
from dioxide._scope import Scope
from dioxide.exceptions import DioxideTypeError

__all__ = [
    "DioxideOverride",
    "DioxideValueOverride",
    "dioxide_container",
    "dioxide_override",
    "dioxide_override_value",
]

R = TypeVar("R")

_PROFILE_INI = "dioxide_profile"


def pytest_addoption(parser: pytest.Parser) -> None:
    """Add the ``dioxide_profile`` ini option (``dioxide_profile = test``)."""
    parser.addini(
        _PROFILE_INI,
        "profile of the dioxide_container fixture (default: none)",
        default="",
    )


def pytest_configure(config: pytest.Config) -> None:
    """Declare the ``dioxide`` marker, so ``--strict-markers`` accepts it."""
    config.addinivalue_line(
        "markers",
        "dioxide(profile=None): options of the dioxide_container fixture for this test",
    )


def _profile(request: pytest.FixtureRequest) -> Optional[str]:
    marker = request.node.get_closest_marker("dioxide")
    if marker is not None:
        if marker.args or set(marker.kwargs) - {"profile"}:
            given = marker.args or marker.kwargs
            raise DioxideTypeError(
                f"@pytest.mark.dioxide takes only profile=..., got {given!r}",
                hint='e.g. @pytest.mark.dioxide(profile="test")',
            )
        if "profile" in marker.kwargs:
            profile: Optional[str] = marker.kwargs["profile"]
            return profile
    configured = str(request.config.getini(_PROFILE_INI)).strip()
    return configured or None


@pytest.fixture
def dioxide_container(request: pytest.FixtureRequest) -> Iterator[Container]:
    """A fresh container for one test, closed when the test ends::

        def test_repository_is_shared(dioxide_container: Container) -> None:
            service = dioxide_container.resolve(UserService)
            assert service.repo is dioxide_container.resolve(UserRepository)

    Registrations made on it stay in this test. Its profile comes from
    ``@pytest.mark.dioxide(profile=...)`` or the ``dioxide_profile`` ini option.
    """
    with Container(profile=_profile(request)) as container:
        yield container


class DioxideOverride:
    """What the ``dioxide_override`` fixture is: call it to replace a
    provider until the test ends::

        def test_checkout(dioxide_container, dioxide_override) -> None:
            gateway = dioxide_override(PaymentPort, FakeGateway())
            dioxide_container.resolve(Checkout).pay(10)
            assert gateway.charged == [10]
    """

    def __init__(self, container: Container, stack: ExitStack) -> None:
        self.container = container
        self._stack = stack

    def __call__(
        self, type_: TypeForm[object], replacement: R, *, scope: Scope = Scope.TRANSIENT
    ) -> R:
        """Replace ``type_``'s provider with ``replacement`` (an instance, a
        class or a factory, as for :meth:`Container.override`) for the rest
        of the test, and return ``replacement``."""
        self._stack.enter_context(self.container.override(type_, replacement, scope=scope))
        return replacement


@pytest.fixture
def dioxide_override(dioxide_container: Container) -> Iterator[DioxideOverride]:
    """Override providers of ``dioxide_container`` for one test; each
    override ends with the test (newest first)::

        def test_signup(dioxide_container, dioxide_override) -> None:
            outbox = dioxide_override(EmailPort, FakeEmail())
            dioxide_container.resolve(SignupService).signup("ada@example.com")
            assert outbox.sent == ["ada@example.com"]
    """
    with ExitStack() as stack:
        yield DioxideOverride(dioxide_container, stack)


class DioxideValueOverride:
    """What the ``dioxide_override_value`` fixture is: call it to set a
    configuration value until the test ends::

        def test_small_pool(dioxide_container, dioxide_override_value) -> None:
            dioxide_override_value("db.pool_size", 1)
            assert dioxide_container.resolve(Database).pool_size == 1
    """

    def __init__(self, container: Container, stack: ExitStack) -> None:
        self.container = container
        self._stack = stack

    def __call__(self, key: str, value: R) -> R:
        """Set ``key`` to ``value`` (as :meth:`Container.override_value`)
        for the rest of the test, and return ``value``."""
        self._stack.enter_context(self.container.override_value(key, value))
        return value


@pytest.fixture
def dioxide_override_value(dioxide_container: Container) -> Iterator[DioxideValueOverride]:
    """Set configuration values of ``dioxide_container`` for one test;
    singletons built with the old values are rebuilt, and everything is
    restored when the test ends::

        def test_sqlite(dioxide_container, dioxide_override_value) -> None:
            dioxide_override_value("db.url", "sqlite://")
            assert dioxide_container.resolve(Database).url == "sqlite://"
    """
    with ExitStack() as stack:
        yield DioxideValueOverride(dioxide_container, stack)
