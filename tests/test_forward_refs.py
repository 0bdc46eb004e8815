"""String annotations and forward references to classes defined later."""

from __future__ import annotations

import pytest

from dioxide import Container, DependencyNotRegisteredError, component, singleton


def test_string_annotation_to_an_earlier_class(container: Container) -> None:
    @singleton
    class Config: ...

    @component
    class Service:
        def __init__(self, config: "Config") -> None:
            self.config = config

    assert isinstance(container.resolve(Service).config, Config)


def test_forward_reference_is_wired_once_its_target_is_decorated(
    container: Container,
) -> None:
    @component
    class Service:
        def __init__(self, repo: Repository) -> None:
            self.repo = repo

    @component
    class Repository: ...

    assert isinstance(container.resolve(Service).repo, Repository)


def test_pending_forward_reference_explains_itself() -> None:
    @component
    class Waiting:
        def __init__(self, later: NeverDefined) -> None:  # noqa: F821
            self.later = later

    with pytest.raises(DependencyNotRegisteredError) as info:
        Container().resolve(Waiting)

    message = str(info.value)
    assert "'NeverDefined'" in message
    assert "Waiting" in message
    assert "hint:" in message


def test_forward_reference_to_an_undecorated_class_defined_later() -> None:
    @component
    class Service:
        def __init__(self, helper: Helper | None = None) -> None:
            self.helper = helper

    class Helper: ...

    # Helper has no provider, so the parameter keeps its default.
    assert Container().resolve(Service).helper is None
