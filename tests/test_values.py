"""Configuration values (``register_value`` and ``Value``), primitives that are
never injected by type, and optional dependencies."""

from __future__ import annotations

from typing import Annotated, Optional, Union

import pytest

from dioxide import (
    Container,
    DependencyNotRegisteredError,
    DioxideTypeError,
    DuplicateRegistrationError,
    Value,
    component,
    provider,
)


def test_a_value_parameter_gets_the_registered_value(container: Container) -> None:
    @component
    class Database:
        def __init__(self, url: Annotated[str, Value("db_url")]) -> None:
            self.url = url

    container.register_value("db_url", "postgres://localhost/app")

    assert container.resolve(Database).url == "postgres://localhost/app"


def test_a_value_is_injected_as_the_object_itself(container: Container) -> None:
    settings = {"retries": 3}

    @component
    class Client:
        def __init__(self, settings: Annotated[dict[str, int], Value("client")]) -> None:
            self.settings = settings

    container.register_value("client", settings)

    assert container.resolve(Client).settings is settings


def test_a_missing_value_names_the_parameter_and_says_how_to_set_it(
    container: Container,
) -> None:
    @component
    class Database:
        def __init__(self, url: Annotated[str, Value("db_url")]) -> None: ...

    @component
    class Repository:
        def __init__(self, db: Database) -> None: ...

    with pytest.raises(DependencyNotRegisteredError) as info:
        container.resolve(Repository)

    assert info.value.chain == [Repository, Database, "db_url"]
    assert str(info.value).splitlines() == [
        'cannot resolve Repository: Database needs the value "db_url" for parameter \'url\', '
        "but it is not set",
        '  chain: Repository -> Database -> value "db_url"',
        '  hint: set it with container.register_value("db_url", ...)',
    ]


def test_a_value_parameter_with_a_default_keeps_it_when_the_value_is_not_set(
    container: Container,
) -> None:
    @component
    class Pool:
        def __init__(self, size: Annotated[int, Value("pool_size")] = 5) -> None:
            self.size = size

    assert container.resolve(Pool).size == 5
    container.register_value("pool_size", 20)
    assert container.resolve(Pool).size == 20


def test_an_optional_value_parameter_with_a_default_keeps_it(container: Container) -> None:
    @component
    class Tracer:
        def __init__(self, endpoint: Optional[Annotated[str, Value("otlp")]] = None) -> None:
            self.endpoint = endpoint

    assert container.resolve(Tracer).endpoint is None


def test_values_reach_provider_functions(container: Container) -> None:
    class Connection:
        def __init__(self, url: str) -> None:
            self.url = url

    @provider
    def connect(url: Annotated[str, Value("db_url")]) -> Connection:
        return Connection(url)

    container.register_value("db_url", "sqlite://")

    assert container.resolve(Connection).url == "sqlite://"


def test_values_stay_in_their_container(container: Container) -> None:
    @component
    class Database:
        def __init__(self, url: Annotated[str, Value("db_url")]) -> None:
            self.url = url

    container.register_value("db_url", "postgres://prod")
    other = Container()
    other.register_value("db_url", "sqlite://test")

    assert container.resolve(Database).url == "postgres://prod"
    assert other.resolve(Database).url == "sqlite://test"


def test_setting_a_value_twice_is_refused(container: Container) -> None:
    container.register_value("db_url", "postgres://a")

    with pytest.raises(DuplicateRegistrationError) as info:
        container.register_value("db_url", "postgres://b")

    assert str(info.value).splitlines()[0] == (
        'value "db_url" is already registered in this container'
    )


@pytest.mark.parametrize("name", ["", None, 42])
def test_a_value_needs_a_non_empty_name(container: Container, name: object) -> None:
    with pytest.raises(DioxideTypeError) as info:
        container.register_value(name, "x")  # type: ignore[arg-type]

    assert str(info.value).splitlines() == [
        f"register_value() takes a non-empty name, got {name!r}",
        '  hint: e.g. container.register_value("db_url", "postgres://...")',
    ]


@pytest.mark.parametrize("primitive", [str, int, float, bool, bytes])
def test_a_primitive_parameter_is_never_injected_by_type(primitive: type) -> None:
    def init(self: object, setting: object) -> None: ...

    init.__annotations__ = {"setting": primitive, "return": None}

    with pytest.raises(DioxideTypeError) as info:
        component(type("Service", (), {"__init__": init}))

    assert str(info.value).splitlines() == [
        f"parameter 'setting' of Service.__init__ is annotated {primitive.__name__}, "
        "which dioxide does not inject by type",
        "  hint: values such as str or int are configuration: annotate them "
        "Annotated[str, Value('name')] and call container.register_value(), "
        "give the parameter a default, or build the object in a factory",
    ]


def test_a_primitive_parameter_with_a_default_keeps_it(container: Container) -> None:
    @component
    class Retry:
        def __init__(self, attempts: int = 3, label: str = "retry") -> None:
            self.attempts = attempts
            self.label = label

    retry = container.resolve(Retry)

    assert (retry.attempts, retry.label) == (3, "retry")


def test_an_optional_dependency_gets_the_provider_when_registered(container: Container) -> None:
    class Metrics: ...

    @component
    class Service:
        def __init__(self, metrics: Metrics | None = None) -> None:
            self.metrics = metrics

    container.register_class(Metrics)

    assert isinstance(container.resolve(Service).metrics, Metrics)


def test_an_optional_dependency_gets_none_when_nothing_provides_it(container: Container) -> None:
    class Metrics: ...

    @component
    class Service:
        def __init__(self, metrics: Metrics | None = None) -> None:
            self.metrics = metrics

    assert container.resolve(Service).metrics is None


def test_an_optional_dependency_without_a_default_gets_none(container: Container) -> None:
    class Metrics: ...

    @component
    class WithOptional:
        def __init__(self, metrics: Optional[Metrics]) -> None:
            self.metrics = metrics

    @component
    class WithUnion:
        def __init__(self, metrics: Union[Metrics, None]) -> None:
            self.metrics = metrics

    @component
    class WithBar:
        def __init__(self, metrics: Metrics | None) -> None:
            self.metrics = metrics

    assert container.resolve(WithOptional).metrics is None
    assert container.resolve(WithUnion).metrics is None
    assert container.resolve(WithBar).metrics is None


def test_a_parameter_with_a_default_keeps_it_when_nothing_provides_its_type(
    container: Container,
) -> None:
    class Clock:
        def now(self) -> float:
            return 0.0

    fixed = Clock()

    @component
    class Scheduler:
        def __init__(self, clock: Clock = fixed) -> None:
            self.clock = clock

    assert container.resolve(Scheduler).clock is fixed
    container.register_class(Clock)
    assert container.resolve(Scheduler).clock is not fixed


def test_an_optional_value_parameter_without_a_default_gets_none(container: Container) -> None:
    @component
    class Tracer:
        def __init__(self, endpoint: Optional[Annotated[str, Value("otlp")]]) -> None:
            self.endpoint = endpoint

    assert container.resolve(Tracer).endpoint is None
    container.register_value("otlp", "http://collector")
    assert container.resolve(Tracer).endpoint == "http://collector"
