"""Typed configuration values: conversion to the annotated type, whole
sections as settings objects, failures that say what and where, secrets
kept out of messages, validation before building, and ``override_value``."""

from __future__ import annotations

import dataclasses
import enum
import threading
from datetime import timedelta
from pathlib import Path
from typing import Annotated, Any, Optional

import pytest

from dioxide import (
    ConfigurationError,
    Container,
    DependencyNotRegisteredError,
    DioxideTypeError,
    Registry,
    Scope,
    ValidationError,
    Value,
    component,
    provider,
    singleton,
)


class Color(enum.Enum):
    RED = "red"
    BLUE = "blue"


@pytest.mark.parametrize(
    ("annotation", "raw", "expected"),
    [
        (int, "10", 10),
        (int, " -3 ", -3),
        (int, 7, 7),
        (float, "0.25", 0.25),
        (float, 2, 2.0),
        (bool, "true", True),
        (bool, "True", True),
        (bool, "1", True),
        (bool, "yes", True),
        (bool, "on", True),
        (bool, "false", False),
        (bool, "0", False),
        (bool, "OFF", False),
        (bool, False, False),
        (str, "text", "text"),
        (str, 5432, "5432"),
        (Path, "/var/data", Path("/var/data")),
        (timedelta, "90", timedelta(seconds=90)),
        (timedelta, 1.5, timedelta(seconds=1.5)),
        (timedelta, "1h30m", timedelta(hours=1, minutes=30)),
        (timedelta, "250ms", timedelta(milliseconds=250)),
        (list[str], "a, b,c", ["a", "b", "c"]),
        (list[str], "", []),
        (list[str], '["x", "y"]', ["x", "y"]),
        (list[str], ["x", "y"], ["x", "y"]),
        (list[int], "1,2", [1, 2]),
        (dict[str, int], {"a": "1"}, {"a": 1}),
        (dict[str, dict[str, int]], {"a": {"b": "2"}}, {"a": {"b": 2}}),
        (dict[str, str], '{"k": "v"}', {"k": "v"}),
        (Optional[int], "", None),
        (Optional[int], "4", 4),
        (Color, "blue", Color.BLUE),
        (Color, "RED", Color.RED),
    ],
)
def test_a_value_is_converted_to_the_annotated_type(
    container: Container, annotation: Any, raw: object, expected: object
) -> None:
    @component
    class Consumer:
        def __init__(self, setting: Annotated[annotation, Value("setting")]) -> None:  # type: ignore[valid-type]
            self.setting = setting

    container.register_value("setting", raw)

    assert container.resolve(Consumer).setting == expected


def test_a_value_from_the_environment_is_converted_once_per_container(
    container: Container,
) -> None:
    @component
    class Pool:
        def __init__(self, size: Annotated[int, Value("db.pool_size")]) -> None:
            self.size = size

    container.load_config(env_prefix="APP_", environ={"APP_DB__POOL_SIZE": "10"})
    first, second = container.resolve(Pool), container.resolve(Pool)

    assert first is not second  # transient consumers...
    assert first.size == 10
    # ...share one converted value: the conversion ran once.
    big = 10**30
    container.load_config({"db": {"pool_size": str(big)}})
    assert container.resolve(Pool).size is container.resolve(Pool).size


def test_the_example_of_the_issue(container: Container, tmp_path: Path) -> None:
    (tmp_path / "config.toml").write_text('[db]\nurl = "postgres://toml"\n')

    @component
    class Database:
        def __init__(
            self,
            url: Annotated[str, Value("db.url")],
            pool_size: Annotated[int, Value("db.pool_size")] = 5,
        ) -> None:
            self.url, self.pool_size = url, pool_size

    container.load_config(
        {"db": {"pool_size": 5}},
        tmp_path / "config.toml",
        env_prefix="APP_",
        environ={"APP_DB__POOL_SIZE": "10"},
    )

    db = container.resolve(Database)
    assert (db.url, db.pool_size) == ("postgres://toml", 10)
    with container.override_value("db.url", "sqlite://"):
        assert container.resolve(Database).url == "sqlite://"
    assert container.resolve(Database).url == "postgres://toml"


def test_a_value_already_of_the_type_is_injected_as_is(container: Container) -> None:
    hosts = ["a", "b"]

    @component
    class Client:
        def __init__(self, hosts: Annotated[list[str], Value("hosts")]) -> None:
            self.hosts = hosts

    container.register_value("hosts", hosts)

    assert container.resolve(Client).hosts is hosts


# -- whole sections -------------------------------------------------------------------


@dataclasses.dataclass
class DbSettings:
    url: str
    pool_size: int = 5
    timeout: timedelta = timedelta(seconds=30)


def test_a_section_injects_as_a_dataclass(container: Container) -> None:
    @component
    class Database:
        def __init__(self, settings: Annotated[DbSettings, Value("db")]) -> None:
            self.settings = settings

    container.load_config(
        {"db": {"url": "sqlite://"}}, env_prefix="APP_", environ={"APP_DB__POOL_SIZE": "3"}
    )

    assert container.resolve(Database).settings == DbSettings("sqlite://", 3)


def test_a_section_injects_as_a_plain_dict(container: Container) -> None:
    @component
    class Database:
        def __init__(self, settings: Annotated[dict[str, Any], Value("db")]) -> None:
            self.settings = settings

    container.load_config({"db": {"url": "sqlite://", "pool_size": 2}})

    assert container.resolve(Database).settings == {"url": "sqlite://", "pool_size": 2}


def test_a_section_injects_as_a_pydantic_model(container: Container) -> None:
    from pydantic import BaseModel

    class Api(BaseModel):
        url: str
        retries: int = 3

    @component
    class Client:
        def __init__(self, api: Annotated[Api, Value("api")]) -> None:
            self.api = api

    container.load_config({"api": {"url": "http://x", "retries": "5"}})

    assert container.resolve(Client).api == Api(url="http://x", retries=5)


# -- failures ---------------------------------------------------------------------------


def test_a_value_that_does_not_convert_names_key_source_type_and_consumer(
    container: Container,
) -> None:
    @component
    class Database:
        def __init__(self, pool_size: Annotated[int, Value("db.pool_size")]) -> None: ...

    container.load_config(env_prefix="APP_", environ={"APP_DB__POOL_SIZE": "ten"})

    with pytest.raises(ConfigurationError) as info:
        container.resolve(Database)

    assert str(info.value).splitlines() == [
        "cannot convert the value 'db.pool_size' from environment variable "
        "APP_DB__POOL_SIZE to int: 'ten' is not an integer",
        "  needed by: Database (parameter 'pool_size')",
        "  hint: set 'db.pool_size' to a value that reads as int",
    ]
    error = info.value
    assert (error.key, error.source, error.expected) == (
        "db.pool_size",
        "environment variable APP_DB__POOL_SIZE",
        int,
    )
    assert error.consumers == ["Database (parameter 'pool_size')"]
    assert isinstance(error, ValueError)


def test_a_bool_that_does_not_read_as_one(container: Container, tmp_path: Path) -> None:
    config = tmp_path / "app.toml"
    config.write_text('debug = "maybe"\n')

    @component
    class App:
        def __init__(self, debug: Annotated[bool, Value("debug")]) -> None: ...

    container.load_config(config)

    with pytest.raises(ConfigurationError) as info:
        container.resolve(App)

    assert str(info.value).splitlines()[0] == (
        f"cannot convert the value 'debug' from {config} to bool: 'maybe' is not a "
        "boolean (use true/false, yes/no, on/off or 1/0)"
    )


def test_a_field_of_a_section_that_does_not_convert_is_named(container: Container) -> None:
    @component
    class Database:
        def __init__(self, settings: Annotated[DbSettings, Value("db")]) -> None: ...

    container.load_config({"db": {"url": "x", "pool_size": "many"}})

    with pytest.raises(ConfigurationError) as info:
        container.resolve(Database)

    assert str(info.value).splitlines()[:2] == [
        "cannot convert the value 'db.pool_size' from source #1 (a dict) to DbSettings: "
        "'many' is not an integer",
        "  needed by: Database (parameter 'settings')",
    ]


def test_a_section_missing_a_required_field(container: Container) -> None:
    @component
    class Database:
        def __init__(self, settings: Annotated[DbSettings, Value("db")]) -> None: ...

    container.load_config({"db": {"pool_size": 1}})

    with pytest.raises(ConfigurationError) as info:
        container.resolve(Database)

    assert str(info.value).splitlines()[0] == (
        "cannot convert the value 'db.url' from source #1 (a dict) to DbSettings: "
        "the setting is missing"
    )


def test_a_missing_value_still_says_it_is_not_set(container: Container) -> None:
    @component
    class Database:
        def __init__(self, pool_size: Annotated[int, Value("db.pool_size")]) -> None: ...

    with pytest.raises(DependencyNotRegisteredError) as info:
        container.resolve(Database)

    assert info.value.chain == [Database, "db.pool_size"]


def test_a_converted_value_with_a_default_keeps_it_when_not_set(container: Container) -> None:
    @component
    class Pool:
        def __init__(self, size: Annotated[int, Value("pool.size")] = 4) -> None:
            self.size = size

    assert container.resolve(Pool).size == 4
    container.load_config({"pool": {"size": "9"}})
    assert container.resolve(Pool).size == 9


# -- secrets ------------------------------------------------------------------------------


@pytest.mark.parametrize("key", ["db.password", "api_token", "client_secret", "stripe.api_key"])
def test_a_secret_looking_key_is_masked_in_errors(container: Container, key: str) -> None:
    @component
    class Client:
        def __init__(self, value: Annotated[int, Value(key)]) -> None: ...

    container.register_value(key, "hunter2")

    with pytest.raises(ConfigurationError) as info:
        container.resolve(Client)

    assert "hunter2" not in str(info.value)
    assert "*** is not an integer" in str(info.value)


def test_a_value_marked_secret_is_masked_in_errors_and_the_graph(container: Container) -> None:
    @component
    class Client:
        def __init__(self, dsn: Annotated[int, Value("db.dsn")]) -> None: ...

    container.load_config({"db": {"dsn": "postgres://u:pw@h/db", "name": "shop"}}, secrets=["db.dsn"])

    graph = container.graph()
    assert "db.dsn = *** (value)" in graph
    assert "db.name = 'shop' (value)" in graph
    assert "pw@h" not in graph
    with pytest.raises(ConfigurationError) as info:
        container.resolve(Client)
    assert "pw@h" not in str(info.value)
    with pytest.raises(ValidationError) as invalid:
        container.validate()
    assert "pw@h" not in str(invalid.value)


def test_register_value_can_mark_a_value_secret(container: Container) -> None:
    container.register_value("session.signing", "abcdef", secret=True)

    assert "abcdef" not in container.graph()
    assert "session.signing = *** (value)" in container.graph()


# -- validation ---------------------------------------------------------------------------


def test_validate_reports_every_missing_and_unconvertible_value_before_building(
    container: Container,
) -> None:
    built: list[str] = []

    @singleton
    class Database:
        def __init__(
            self,
            url: Annotated[str, Value("db.url")],
            pool_size: Annotated[int, Value("db.pool_size")],
            timeout: Annotated[timedelta, Value("db.timeout")],
        ) -> None:
            built.append("db")

    @singleton
    class Repository:
        def __init__(self, db: Database) -> None:
            built.append("repo")

    container.load_config({"db": {"pool_size": "lots", "timeout": "soon"}})

    with pytest.raises(ValidationError) as info:
        container.validate()

    messages = [str(error).splitlines()[0] for error in info.value.errors]
    assert messages == [
        "cannot resolve Repository: Database needs the value \"db.url\" for parameter "
        "'url', but it is not set",
        "cannot convert the value 'db.pool_size' from source #1 (a dict) to int: "
        "'lots' is not an integer",
        "cannot convert the value 'db.timeout' from source #1 (a dict) to timedelta: "
        "'soon' is not a duration (seconds, or e.g. '30s', '5m', '1h30m')",
    ]
    assert info.value.errors[0].chain == [Repository, Database, "db.url"]
    assert str(info.value.errors[1]).splitlines()[1] == (
        "  needed by: Database (parameter 'pool_size')"
    )
    assert built == []


def test_validate_ignores_values_nothing_in_the_container_needs(container: Container) -> None:
    other = Registry()

    @component(registry=other)
    class Elsewhere:
        def __init__(self, port: Annotated[int, Value("port")]) -> None: ...

    container.load_config({"port": "not a number"})

    container.validate()


# -- override_value -------------------------------------------------------------------------


def test_override_value_rebuilds_singletons_that_used_it_and_restores_them(
    container: Container,
) -> None:
    @singleton
    class Database:
        def __init__(self, url: Annotated[str, Value("db.url")]) -> None:
            self.url = url

    @singleton
    class Repository:
        def __init__(self, db: Database) -> None:
            self.db = db

    @singleton
    class Unrelated:
        pass

    container.load_config({"db": {"url": "postgres://prod"}})
    repository, unrelated = container.resolve(Repository), container.resolve(Unrelated)

    with container.override_value("db.url", "sqlite://"):
        inside = container.resolve(Repository)
        assert inside.db.url == "sqlite://"
        assert inside is not repository
        assert container.resolve(Unrelated) is unrelated

    assert container.resolve(Repository) is repository
    assert container.resolve(Database).url == "postgres://prod"


def test_override_value_is_converted_and_reaches_sections(container: Container) -> None:
    @component
    class Database:
        def __init__(
            self,
            settings: Annotated[DbSettings, Value("db")],
            size: Annotated[int, Value("db.pool_size")],
        ) -> None:
            self.settings, self.size = settings, size

    container.load_config({"db": {"url": "x", "pool_size": 5}})

    with container.override_value("db.pool_size", "2"):
        db = container.resolve(Database)
        assert (db.settings.pool_size, db.size) == (2, 2)

    assert container.resolve(Database).size == 5


def test_override_values_nest(container: Container) -> None:
    @component
    class Client:
        def __init__(
            self,
            url: Annotated[str, Value("api.url")],
            retries: Annotated[int, Value("api.retries")] = 1,
        ) -> None:
            self.url, self.retries = url, retries

    container.load_config({"api": {"url": "http://prod"}})

    with container.override_value("api.url", "http://a"):
        with container.override_value("api.retries", 3):
            with container.override_value("api.url", "http://b"):
                assert vars(container.resolve(Client)) == {"url": "http://b", "retries": 3}
            assert vars(container.resolve(Client)) == {"url": "http://a", "retries": 3}
        assert vars(container.resolve(Client)) == {"url": "http://a", "retries": 1}
    assert vars(container.resolve(Client)) == {"url": "http://prod", "retries": 1}


def test_override_value_restores_after_an_exception(container: Container) -> None:
    @component
    class Client:
        def __init__(self, url: Annotated[str, Value("url")]) -> None:
            self.url = url

    container.register_value("url", "prod")

    with pytest.raises(RuntimeError):
        with container.override_value("url", "test"):
            raise RuntimeError("boom")

    assert container.resolve(Client).url == "prod"


def test_override_value_of_a_key_that_is_not_set(container: Container) -> None:
    @component
    class Client:
        def __init__(self, url: Annotated[str, Value("url")] = "default") -> None:
            self.url = url

    assert container.resolve(Client).url == "default"
    with container.override_value("url", "test"):
        assert container.resolve(Client).url == "test"
    assert container.resolve(Client).url == "default"


def test_override_value_from_threads(container: Container) -> None:
    @singleton
    class Client:
        def __init__(self, url: Annotated[str, Value("url")]) -> None:
            self.url = url

    container.register_value("url", "prod")
    both_inside = threading.Barrier(2)
    seen: list[str] = []

    def worker(value: str) -> None:
        with container.override_value("url", value):
            both_inside.wait()
            seen.append(container.resolve(Client).url)
            both_inside.wait()

    threads = [threading.Thread(target=worker, args=(v,)) for v in ("a", "b")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert len(seen) == 2 and set(seen) <= {"a", "b"}
    assert container.resolve(Client).url == "prod"


@pytest.mark.parametrize("key", ["", "a..b", None])
def test_override_value_needs_a_dotted_key(container: Container, key: Any) -> None:
    with pytest.raises(DioxideTypeError):
        container.override_value(key, 1)


# -- values everywhere -----------------------------------------------------------------------


def test_values_are_converted_for_provider_functions(container: Container) -> None:
    class Pool:
        def __init__(self, size: int) -> None:
            self.size = size

    @provider(scope=Scope.SINGLETON)
    def make_pool(size: Annotated[int, Value("pool.size")]) -> Pool:
        return Pool(size)

    container.load_config(env_prefix="APP_", environ={"APP_POOL__SIZE": "12"})

    assert container.resolve(Pool).size == 12


def test_resolve_value_converts_once(container: Container) -> None:
    container.load_config({"hosts": "a,b"})

    first = container.resolve_value("hosts", list[str])

    assert first == ["a", "b"]
    assert container.resolve_value("hosts", list[str]) is first


# -- constructor arguments at registration ------------------------------------------------------


def test_register_class_binds_plain_values_and_keys(container: Container) -> None:
    def shout(text: str) -> str:
        return text.upper()

    class Client:
        def __init__(self, url: str, retries: int, formatter, timeout: float = 1.0) -> None:  # type: ignore[no-untyped-def]
            self.url, self.retries, self.formatter, self.timeout = (
                url,
                retries,
                formatter,
                timeout,
            )

    container.load_config({"api": {"url": "http://api", "timeout": "2.5"}})
    container.register_class(
        Client,
        scope=Scope.SINGLETON,
        args={
            "url": Value("api.url"),
            "retries": 3,
            "formatter": shout,
            "timeout": Value("api.timeout"),
        },
    )

    client = container.resolve(Client)
    assert (client.url, client.retries, client.formatter, client.timeout) == (
        "http://api",
        3,
        shout,
        2.5,
    )


def test_decorators_bind_arguments(container: Container) -> None:
    @component(args={"name": "worker", "size": Value("pool.size")})
    class Pool:
        def __init__(self, name: str, size: int) -> None:
            self.name, self.size = name, size

    container.register_value("pool.size", "4")

    pool = container.resolve(Pool)
    assert (pool.name, pool.size) == ("worker", 4)


def test_register_factory_binds_arguments(container: Container) -> None:
    class Connection:
        def __init__(self, url: str) -> None:
            self.url = url

    def connect(url: str, prefix: str) -> Connection:
        return Connection(prefix + url)

    container.register_value("db.url", "host")
    container.register_factory(
        Connection, connect, args={"url": Value("db.url"), "prefix": "pg://"}
    )

    assert container.resolve(Connection).url == "pg://host"


def test_binding_an_argument_the_constructor_does_not_take_is_refused(
    container: Container,
) -> None:
    class Client:
        def __init__(self, url: str) -> None: ...

    with pytest.raises(DioxideTypeError) as info:
        container.register_class(Client, args={"uri": "x"})

    assert str(info.value).splitlines() == [
        "args= names 'uri', which Client.__init__ does not take",
        "  hint: give values for parameters of the constructor or factory, by their names: url",
    ]


def test_args_must_be_a_mapping(container: Container) -> None:
    class Client:
        def __init__(self, url: str) -> None: ...

    with pytest.raises(DioxideTypeError):
        container.register_class(Client, args=["url"])  # type: ignore[arg-type]
