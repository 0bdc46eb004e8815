"""Every failure is a dioxide exception that names the chain and says what to do."""

from __future__ import annotations

from typing import Any

import pytest

from dioxide import (
    Container,
    DependencyNotRegisteredError,
    DioxideError,
    DioxideTypeError,
    DuplicateRegistrationError,
    component,
    singleton,
)


def test_missing_provider_names_the_chain_parameter_and_a_hint(container: Container) -> None:
    class Config: ...

    @component
    class Database:
        def __init__(self, config: Config) -> None: ...

    @component
    class UserService:
        def __init__(self, db: Database) -> None: ...

    with pytest.raises(DependencyNotRegisteredError) as info:
        container.resolve(UserService)

    error = info.value
    assert isinstance(error, KeyError)
    assert isinstance(error, DioxideError)
    assert error.requested is UserService
    assert error.chain == [UserService, Database, Config]
    assert error.missing is Config
    assert str(error).splitlines() == [
        "cannot resolve UserService: Database needs Config for parameter 'config', "
        "but no provider is registered for it",
        "  chain: UserService -> Database -> Config",
        "  hint: decorate Config with @component or @singleton, or register it on the "
        "container with register_class(Config, ...), register_instance(Config, ...) "
        "or register_factory(Config, ...)",
    ]


def test_resolving_an_unregistered_type_directly(container: Container) -> None:
    class Stranger: ...

    with pytest.raises(DependencyNotRegisteredError) as info:
        container.resolve(Stranger)

    assert str(info.value).startswith("no provider is registered for Stranger\n  hint:")
    assert info.value.chain == [Stranger]


def test_failed_resolve_leaves_the_container_usable(container: Container) -> None:
    class Missing: ...

    @component
    class Needy:
        def __init__(self, missing: Missing) -> None:
            self.missing = missing

    with pytest.raises(DependencyNotRegisteredError):
        container.resolve(Needy)

    container.register_instance(Missing, Missing())
    assert isinstance(container.resolve(Needy).missing, Missing)


def test_duplicate_registration_is_refused(container: Container) -> None:
    class Cache: ...

    container.register_class(Cache)
    with pytest.raises(DuplicateRegistrationError) as info:
        container.register_instance(Cache, Cache())

    assert isinstance(info.value, ValueError)
    assert "Cache is already registered in this container" in str(info.value)
    assert "hint:" in str(info.value)


def test_register_instance_of_the_wrong_type(container: Container) -> None:
    class UserService: ...

    with pytest.raises(DioxideTypeError) as info:
        container.register_instance(UserService, "not a UserService")

    assert isinstance(info.value, TypeError)
    assert "got an instance of str, which is not an instance of UserService" in str(info.value)
    assert UserService not in container


@pytest.mark.parametrize(
    "bad",
    [42, None, "UserService", list[int], object()],
    ids=["int", "None", "string", "generic-alias", "instance"],
)
def test_resolve_rejects_non_types(container: Container, bad: Any) -> None:
    with pytest.raises(DioxideTypeError, match="dioxide resolves classes") as info:
        container.resolve(bad)

    assert "hint:" in str(info.value)


def test_component_on_a_function_is_refused() -> None:
    def make_service() -> None: ...

    with pytest.raises(DioxideTypeError) as info:
        component(make_service)  # type: ignore[type-var]

    assert "@component decorates classes" in str(info.value)
    assert "@provider" in str(info.value)


@pytest.mark.parametrize(
    ("signature", "fragment"),
    [
        ("def __init__(self, *args: int) -> None: ...", "takes *args"),
        ("def __init__(self, **kwargs: int) -> None: ...", "takes **kwargs"),
        ("def __init__(self, dep: object, /) -> None: ...", "positional-only"),
        ("def __init__(self, dep) -> None: ...", "has no type annotation"),
        ("def __init__(self, name: str) -> None: ...", "annotated str"),
        ("def __init__(self, items: list[int]) -> None: ...", "annotated list[int]"),
    ],
    ids=["varargs", "varkw", "positional-only", "unannotated", "primitive", "generic"],
)
def test_constructors_dioxide_cannot_wire_are_refused(signature: str, fragment: str) -> None:
    namespace: dict[str, Any] = {}
    exec(f"class Odd:\n    {signature}\n", namespace)  # noqa: S102 - builds test classes
    odd = namespace["Odd"]

    with pytest.raises(DioxideTypeError) as info:
        singleton(odd)

    assert fragment in str(info.value)
    assert "hint:" in str(info.value)
    assert odd not in Container()
