"""Every class shape users write: pydantic models and settings, classes with
``__signature__``, ``functools.partial`` factories, dataclass ``InitVar``
fields, ``resolve(list[P])`` and ``resolve(Annotated[C, Named(...)])``,
fitting hints for what cannot be injected, and ``override`` with any object."""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from dataclasses import InitVar, dataclass, field
from typing import Annotated, Any, Generic, Optional, TypeVar, Union
from unittest.mock import Mock

import pytest
from pydantic import BaseModel, ConfigDict
from pydantic_settings import BaseSettings

from dioxide import Container, Named, Registry, Scope, component, singleton
from dioxide.exceptions import DioxideTypeError

T = TypeVar("T")


class Database:
    def __init__(self) -> None:
        self.url = "sqlite://"


class Cache: ...


class AppSettings(BaseSettings):
    dsn: str = "sqlite://memory"
    workers: int = 2


def test_a_pydantic_model_is_built_from_its_signature() -> None:
    registry = Registry()
    singleton(Database, registry=registry)

    @component(registry=registry)
    class Report(BaseModel):
        model_config = ConfigDict(arbitrary_types_allowed=True)

        database: Database
        title: str = "monthly"
        cache: Optional[Cache] = None

    container = Container(registry=registry)
    report = container.resolve(Report)
    assert report.database is container.resolve(Database)
    assert report.title == "monthly"
    assert report.cache is None


def test_pydantic_settings_are_built_with_their_defaults_and_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("WORKERS", "8")
    container = Container(registry=Registry())
    container.register_class(AppSettings, scope=Scope.SINGLETON)
    settings = container.resolve(AppSettings)
    assert settings.dsn == "sqlite://memory"
    assert settings.workers == 8


def test_a_class_with_a_signature_of_its_own() -> None:
    class Record:
        """Takes ``**fields`` but states what it needs."""

        def __init__(self, **fields: Any) -> None:
            self.fields = fields

    Record.__signature__ = inspect.Signature(  # type: ignore[attr-defined]
        [
            inspect.Parameter("database", inspect.Parameter.KEYWORD_ONLY, annotation=Database),
            inspect.Parameter(
                "label", inspect.Parameter.KEYWORD_ONLY, annotation=str, default="x"
            ),
        ]
    )
    container = Container(registry=Registry())
    container.register_class(Database, scope=Scope.SINGLETON)
    container.register_class(Record)
    record = container.resolve(Record)
    assert record.fields == {"database": container.resolve(Database)}


def test_a_partial_factory_keeps_its_bound_arguments() -> None:
    calls: list[tuple[Any, ...]] = []

    def connect(database: Database, url: str, retries: int = 1) -> Cache:
        calls.append((database, url, retries))
        return Cache()

    container = Container(registry=Registry())
    container.register_class(Database, scope=Scope.SINGLETON)
    container.register_factory(Cache, functools.partial(connect, url="redis://", retries=5))
    assert isinstance(container.resolve(Cache), Cache)
    assert calls == [(container.resolve(Database), "redis://", 5)]


def test_a_partial_binding_a_positional_argument() -> None:
    def connect(url: str, database: Database) -> Cache:
        cache = Cache()
        cache.url = url  # type: ignore[attr-defined]
        cache.database = database  # type: ignore[attr-defined]
        return cache

    container = Container(registry=Registry())
    container.register_class(Database, scope=Scope.SINGLETON)
    container.register_factory(Cache, functools.partial(connect, "redis://"))
    cache = container.resolve(Cache)
    assert cache.url == "redis://"  # type: ignore[attr-defined]
    assert cache.database is container.resolve(Database)  # type: ignore[attr-defined]


def test_a_partial_replaces_a_provider_in_an_override() -> None:
    def fake(database: Database, label: str) -> Cache:
        cache = Cache()
        cache.label = label  # type: ignore[attr-defined]
        return cache

    container = Container(registry=Registry())
    container.register_class(Database)
    container.register_class(Cache)
    with container.override(Cache, functools.partial(fake, label="fake")):
        assert container.resolve(Cache).label == "fake"  # type: ignore[attr-defined]


def test_dataclass_init_var_fields_are_injected() -> None:
    registry = Registry()
    singleton(Database, registry=registry)

    @component(registry=registry)
    @dataclass
    class Repository:
        database: InitVar[Database]
        table: str = "users"
        url: str = field(init=False)

        def __post_init__(self, database: Database) -> None:
            self.url = database.url

    repository = Container(registry=registry).resolve(Repository)
    assert repository.url == "sqlite://"
    assert repository.table == "users"


def test_resolve_a_list_and_a_named_implementation() -> None:
    registry = Registry()

    class Plugin: ...

    @component(provides=Plugin, name="a", registry=registry)
    class First(Plugin): ...

    @component(provides=Plugin, name="b", registry=registry)
    class Second(Plugin): ...

    container = Container(registry=registry)
    assert [type(p) for p in container.resolve(list[Plugin])] == [First, Second]
    assert isinstance(container.resolve(Annotated[Plugin, Named("b")]), Second)
    with container.create_scope() as scope:
        assert isinstance(scope.resolve(Annotated[Plugin, Named("a")]), First)


@pytest.mark.parametrize(
    ("annotation", "in_hint"),
    [
        (Union[Database, Cache], "cannot choose between Database and Cache"),
        (Callable[[], Database], "a Callable is not a class"),
        (dict[str, Database], "is a parametrised dict"),
    ],
)
def test_annotations_that_cannot_be_injected_get_a_fitting_hint(
    annotation: Any, in_hint: str
) -> None:
    def make(value: Any) -> Cache:
        return Cache()

    make.__annotations__ = {"value": annotation, "return": Cache}
    with pytest.raises(DioxideTypeError) as caught:
        Container(registry=Registry()).register_factory(Cache, make)
    assert in_hint in (caught.value.hint or "")
    assert "str or int" not in (caught.value.hint or "")


def test_resolving_an_annotation_that_cannot_be_injected() -> None:
    with pytest.raises(DioxideTypeError) as caught:
        Container(registry=Registry()).resolve(Union[Database, Cache])  # type: ignore[call-overload]
    assert "cannot choose between" in (caught.value.hint or "")


def test_an_unprovided_parametrised_generic_gets_a_generic_hint() -> None:
    class Box(Generic[T]): ...

    def make(box: Box[int]) -> Cache:
        return Cache()

    container = Container(registry=Registry())
    container.register_factory(Cache, make)
    with pytest.raises(KeyError) as caught:
        container.resolve(Cache)
    assert "Box[int]" in str(caught.value)
    assert "generic class Box" in str(caught.value)


def test_override_accepts_a_mock_without_a_spec() -> None:
    container = Container(registry=Registry())
    container.register_class(Database)
    mock = Mock()
    with container.override(Database, mock):
        assert container.resolve(Database) is mock
    assert isinstance(container.resolve(Database), Database)
    with pytest.raises(DioxideTypeError):
        container.register_instance(Cache, Mock())  # type: ignore[arg-type]
