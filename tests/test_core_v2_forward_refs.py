"""Core v2: forward references never leak across classes.

A class whose annotations name something not defined yet waits for it. If
the name turns out to be something dioxide cannot inject (a ``NewType``, an
alias of ``int``), resolving *that* class fails with a dioxide error naming
it; decorating other classes and making containers keep working. A
container made before the reference was completed sees the completion.
"""

from __future__ import annotations

import importlib.util
import sys
import textwrap
from pathlib import Path
from types import ModuleType
from typing import NewType, Optional

import pytest
from decorator_registry import fresh_decorator_registry

from dioxide import (
    Container,
    DependencyNotRegisteredError,
    DioxideError,
    DioxideTypeError,
    Registry,
    ValidationError,
    component,
    singleton,
)


def assert_names(error: BaseException, *names: str) -> None:
    assert isinstance(error, DioxideError)
    assert error.hint
    message = str(error)
    for name in names:
        assert name in message, f"{name!r} not in {message!r}"


# Completed by something that is not a class


def test_a_forward_reference_completed_by_a_newtype_fails_resolving_its_class() -> None:
    registry = Registry()

    @component(registry=registry)
    class A:
        def __init__(self, b: Later) -> None:
            self.b = b

    Later = NewType("Later", int)  # noqa: F841 - read through the frame by dioxide

    with pytest.raises(DioxideTypeError) as info:
        Container(registry=registry).resolve(A)
    assert_names(info.value, "A", "Later")


def test_a_forward_reference_completed_by_an_alias_of_int_fails_resolving_its_class() -> None:
    registry = Registry()

    @component(registry=registry)
    class A:
        def __init__(self, b: Later) -> None:
            self.b = b

    Later = int  # noqa: F841 - read through the frame by dioxide

    with pytest.raises(DioxideError) as info:
        Container(registry=registry).resolve(A)
    assert_names(info.value, "A", "'b'")


def test_a_bad_completion_fails_every_resolve_of_its_class_the_same_way() -> None:
    registry = Registry()

    @component(registry=registry)
    class A:
        def __init__(self, b: Later) -> None: ...

    Later = NewType("Later", int)  # noqa: F841 - read through the frame by dioxide
    container = Container(registry=registry)

    messages = set()
    for _ in range(3):
        with pytest.raises(DioxideTypeError) as info:
            container.resolve(A)
        messages.add(str(info.value))
    assert len(messages) == 1


def test_a_bad_completion_does_not_stop_decorating_other_classes() -> None:
    registry = Registry()

    @component(registry=registry)
    class A:
        def __init__(self, b: Later) -> None: ...

    Later = NewType("Later", int)  # noqa: F841 - read through the frame by dioxide

    @component(registry=registry)
    class Other: ...

    @singleton(registry=registry)
    class Another:
        def __init__(self, other: Other) -> None:
            self.other = other

    container = Container(registry=registry)
    assert isinstance(container.resolve(Another).other, Other)
    assert Other in registry and Another in registry


def test_a_bad_completion_does_not_stop_making_containers() -> None:
    registry = Registry()

    @component(registry=registry)
    class A:
        def __init__(self, b: Later) -> None: ...

    @component(registry=registry)
    class Other: ...

    Later = NewType("Later", int)  # noqa: F841 - read through the frame by dioxide

    container = Container(registry=registry)
    assert isinstance(container.resolve(Other), Other)
    assert isinstance(Container(registry=registry, profile="test").resolve(Other), Other)


def test_container_without_a_registry_never_raises_about_untouched_classes() -> None:
    # The decorators' default registry, swapped for an empty one for this
    # test only, so that nothing decorated here reaches other tests.
    with fresh_decorator_registry():

        @component
        class A:
            def __init__(self, b: Later) -> None: ...

        @component
        class Waiting:
            def __init__(self, never: NeverDefined) -> None: ...  # noqa: F821

        Later = NewType("Later", int)  # noqa: F841 - read through the frame by dioxide

        @component
        class Other: ...

        container = Container()
        assert isinstance(container.resolve(Other), Other)
        with pytest.raises(DioxideTypeError):
            container.resolve(A)
        with pytest.raises(DependencyNotRegisteredError) as info:
            container.resolve(Waiting)
        assert_names(info.value, "Waiting", "NeverDefined")


def test_a_broken_class_in_one_registry_does_not_reach_another() -> None:
    broken = Registry()

    @component(registry=broken)
    class A:
        def __init__(self, b: Later) -> None: ...

    Later = NewType("Later", int)  # noqa: F841 - read through the frame by dioxide
    clean = Registry()

    @component(registry=clean)
    class Other: ...

    assert isinstance(Container(registry=clean).resolve(Other), Other)
    assert A not in clean


def test_validate_reports_a_bad_completion_as_resolve_does() -> None:
    registry = Registry()

    @component(registry=registry)
    class A:
        def __init__(self, b: Later) -> None: ...

    Later = NewType("Later", int)  # noqa: F841 - read through the frame by dioxide
    container = Container(registry=registry)

    with pytest.raises(ValidationError) as info:
        container.validate()
    assert len(info.value.errors) == 1
    assert "not defined" not in str(info.value.errors[0])


# Completed by a class, seen by containers made before


def test_a_container_made_before_the_class_is_decorated_sees_the_completion() -> None:
    registry = Registry()

    @component(registry=registry)
    class A:
        def __init__(self, b: Later) -> None:
            self.b = b

    container = Container(registry=registry)
    with pytest.raises(DependencyNotRegisteredError) as info:
        container.resolve(A)
    assert_names(info.value, "A", "Later")

    @component(registry=registry)
    class Later: ...

    assert isinstance(container.resolve(A).b, Later)


def test_a_container_made_before_an_undecorated_class_is_defined_sees_it() -> None:
    registry = Registry()

    @component(registry=registry)
    class A:
        def __init__(self, b: Optional[Later] = None) -> None:
            self.b = b

    container = Container(registry=registry)

    class Later: ...

    # Defined but with no provider: the parameter keeps its default.
    assert container.resolve(A).b is None
    container.register_class(Later)
    assert isinstance(container.resolve(A).b, Later)


def test_an_undecorated_class_defined_later_is_then_reported_missing_not_undefined() -> None:
    registry = Registry()

    @component(registry=registry)
    class A:
        def __init__(self, b: Later) -> None:
            self.b = b

    container = Container(registry=registry)

    class Later: ...

    with pytest.raises(DependencyNotRegisteredError) as info:
        container.resolve(A)
    assert info.value.missing is Later
    assert "not defined" not in str(info.value)
    container.register_class(Later)
    assert isinstance(container.resolve(A).b, Later)


# Provider functions in a module with postponed annotations


def import_module_text(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, name: str, text: str
) -> ModuleType:
    """Write ``text`` as module ``name`` and import it (a real module, with
    its globals and ``sys.modules`` entry)."""
    path = tmp_path / f"{name}.py"
    path.write_text(textwrap.dedent(text))
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    monkeypatch.setitem(sys.modules, name, module)
    spec.loader.exec_module(module)
    return module


PROVIDER_BEFORE_ITS_PARAMETER_CLASS = """
    from __future__ import annotations

    from dioxide import Registry, component, provider

    registry = Registry()


    class Service:
        def __init__(self, repo: object) -> None:
            self.repo = repo


    @provider(registry=registry{provides})
    def make_service(repo: Repo) -> Service:
        return Service(repo)


    @component(registry=registry)
    class Repo: ...
"""


def test_a_provider_whose_parameter_names_a_later_class_is_wired_when_it_appears(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    module = import_module_text(
        tmp_path,
        monkeypatch,
        "corev2_provider_forward",
        PROVIDER_BEFORE_ITS_PARAMETER_CLASS.format(provides=""),
    )

    service = Container(registry=module.registry).resolve(module.Service)

    assert isinstance(service.repo, module.Repo)


def test_a_provider_with_provides_whose_parameter_names_a_later_class_is_wired(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    module = import_module_text(
        tmp_path,
        monkeypatch,
        "corev2_provider_forward_provides",
        PROVIDER_BEFORE_ITS_PARAMETER_CLASS.format(provides=", provides=Service"),
    )

    service = Container(registry=module.registry).resolve(module.Service)

    assert isinstance(service.repo, module.Repo)


def test_a_container_made_before_the_providers_parameter_class_appears_sees_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    module = import_module_text(
        tmp_path,
        monkeypatch,
        "corev2_provider_waiting",
        """
        from __future__ import annotations

        from dioxide import Registry, provider

        registry = Registry()


        class Service:
            def __init__(self, repo: object) -> None:
                self.repo = repo


        @provider(registry=registry, provides=Service)
        def make_service(repo: Repo) -> Service:
            return Service(repo)
        """,
    )
    container = Container(registry=module.registry)
    with pytest.raises(DependencyNotRegisteredError) as info:
        container.resolve(module.Service)
    assert_names(info.value, "Repo")

    class Repo: ...

    module.Repo = Repo
    component(registry=module.registry)(Repo)

    assert isinstance(container.resolve(module.Service).repo, Repo)
