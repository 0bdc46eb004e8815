"""Configuration with the libraries around it: pydantic-settings, PyYAML
(the ``dioxide[yaml]`` extra), FastAPI, Flask, the pytest plugin and the
``python -m dioxide check`` command."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Annotated

import click
import pytest
from click.testing import CliRunner
from fastapi import FastAPI
from fastapi.testclient import TestClient
from flask import Flask
from pydantic import SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

from dioxide import ConfigurationError, Container, Value, component, singleton
from dioxide import click as dioxide_click
from dioxide import fastapi as dioxide_fastapi
from dioxide import flask as dioxide_flask

pytest_plugins = ["pytester"]


class AppSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="SHOP_")

    db_url: str = "sqlite://"
    pool_size: int = 5
    api_token: SecretStr = SecretStr("none")


def test_pydantic_settings_register_as_a_provider_and_their_fields_as_values(
    container: Container, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SHOP_DB_URL", "postgres://settings")
    monkeypatch.setenv("SHOP_POOL_SIZE", "12")

    @component
    class Database:
        def __init__(
            self,
            settings: AppSettings,
            url: Annotated[str, Value("db_url")],
            pool_size: Annotated[int, Value("pool_size")],
        ) -> None:
            self.settings, self.url, self.pool_size = settings, url, pool_size

    container.load_config(AppSettings)

    db = container.resolve(Database)
    assert isinstance(db.settings, AppSettings)
    assert db.settings is container.resolve(AppSettings)
    assert (db.url, db.pool_size) == ("postgres://settings", 12)


def test_pydantic_settings_dotenv_loading_applies(
    container: Container, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "shop.env").write_text("SHOP_DB_URL=postgres://from-dotenv\n")
    monkeypatch.delenv("SHOP_DB_URL", raising=False)

    class FileSettings(AppSettings):
        model_config = SettingsConfigDict(env_prefix="SHOP_", env_file=tmp_path / "shop.env")

    container.load_config(FileSettings)

    assert container.resolve_value("db_url") == "postgres://from-dotenv"
    assert container.resolve(FileSettings).db_url == "postgres://from-dotenv"


def test_a_settings_instance_and_later_sources(container: Container) -> None:
    container.load_config(AppSettings(db_url="postgres://given"), {"pool_size": 1})

    assert container.resolve_value("db_url") == "postgres://given"
    assert container.resolve_value("pool_size", int) == 1


def test_secret_fields_of_pydantic_settings_are_masked(container: Container) -> None:
    container.load_config(AppSettings(api_token=SecretStr("tok-123"), db_url="x"))

    assert "tok-123" not in container.graph()
    assert container.resolve_value("api_token", str) == "tok-123"


def test_yaml_without_pyyaml_says_how_to_install_it(
    container: Container, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = tmp_path / "config.yaml"
    config.write_text("a: 1\n")
    monkeypatch.setitem(sys.modules, "yaml", None)

    with pytest.raises(ConfigurationError) as info:
        container.load_config(config)

    assert str(info.value).splitlines() == [
        f"reading {config} needs PyYAML, which is not installed",
        "  hint: pip install 'dioxide[yaml]'",
    ]


def test_a_yaml_parse_error_names_the_file(container: Container, tmp_path: Path) -> None:
    config = tmp_path / "config.yaml"
    config.write_text("a: [1, 2\n")

    with pytest.raises(ConfigurationError) as info:
        container.load_config(config)

    assert str(info.value).startswith(f"cannot read the configuration file {str(config)!r}: ")


def test_values_inject_into_fastapi_endpoints(container: Container) -> None:
    app = FastAPI()
    dioxide_fastapi.attach(app, container)
    container.load_config(
        env_prefix="APP_", environ={"APP_SHOP__NAME": "Corner", "APP_SHOP__SEATS": "12"}
    )

    @app.get("/")
    def index(
        name: dioxide_fastapi.Inject[Annotated[str, Value("shop.name")]],
        seats: dioxide_fastapi.Inject[Annotated[int, Value("shop.seats")]],
    ) -> dict[str, object]:
        return {"name": name, "seats": seats}

    with TestClient(app) as client:
        assert client.get("/").json() == {"name": "Corner", "seats": 12}
        with container.override_value("shop.seats", 3):
            assert client.get("/").json() == {"name": "Corner", "seats": 3}


def test_values_inject_into_flask_views(container: Container) -> None:
    app = Flask(__name__)
    dioxide_flask.Dioxide(app, container)
    container.load_config({"shop": {"name": "Corner", "open": "yes"}})

    @app.get("/")
    @dioxide_flask.inject
    def index(
        name: dioxide_flask.Inject[Annotated[str, Value("shop.name")]],
        is_open: dioxide_flask.Inject[Annotated[bool, Value("shop.open")]],
    ) -> dict[str, object]:
        return {"name": name, "open": is_open}

    assert app.test_client().get("/").get_json() == {"name": "Corner", "open": True}


def test_the_pytest_plugin_overrides_values_for_one_test(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        textwrap.dedent(
            """
            from typing import Annotated

            import pytest

            from dioxide import Container, Value, singleton


            @singleton
            class Database:
                def __init__(self, url: Annotated[str, Value("db.url")]) -> None:
                    self.url = url


            @pytest.fixture
            def dioxide_container():
                with Container() as container:
                    container.load_config({"db": {"url": "postgres://prod"}})
                    yield container


            def test_override(dioxide_container, dioxide_override_value):
                assert dioxide_override_value("db.url", "sqlite://") == "sqlite://"
                assert dioxide_container.resolve(Database).url == "sqlite://"


            def test_untouched(dioxide_container):
                assert dioxide_container.resolve(Database).url == "postgres://prod"
            """
        )
    )

    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "-W", "error")

    result.assert_outcomes(passed=2)


CHECKED_APP = """
from typing import Annotated

from dioxide import Container, Registry, Value, singleton

registry = Registry()


@singleton(registry=registry)
class Database:
    def __init__(
        self,
        url: Annotated[str, Value("db.url")],
        password: Annotated[int, Value("db.password")],
        pool_size: Annotated[int, Value("db.pool_size")],
    ) -> None: ...


container = Container(registry=registry)
container.load_config({"db": {"password": "hunter2", "pool_size": "big"}})
"""


def test_check_shows_missing_and_unconvertible_values_masking_secrets(tmp_path: Path) -> None:
    (tmp_path / "checked_app.py").write_text(CHECKED_APP)
    environment = {k: v for k, v in os.environ.items() if k not in {"NO_COLOR", "FORCE_COLOR"}}

    result = subprocess.run(
        [sys.executable, "-m", "dioxide", "check", "checked_app:container"],
        cwd=tmp_path,
        env=environment,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )

    assert result.returncode == 1, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == "checked_app:container: 3 wiring problems"
    assert lines[2] == (
        "1. cannot resolve Database: Database needs the value \"db.url\" for parameter "
        "'url', but it is not set [DependencyNotRegisteredError]"
    )
    assert (
        "2. cannot convert the value 'db.password' from source #1 (a dict) to int: "
        "*** is not an integer [ConfigurationError]"
    ) in lines
    assert (
        "3. cannot convert the value 'db.pool_size' from source #1 (a dict) to int: "
        "'big' is not an integer [ConfigurationError]"
    ) in lines
    assert "     needed by: Database (parameter 'pool_size')" in lines
    assert "hunter2" not in result.stdout


def test_a_decorated_settings_class_is_built_by_loading_itself(
    container: Container, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SHOP_DB_URL", "postgres://decorated")

    @singleton
    class ShopSettings(AppSettings):
        pass

    @component
    class Database:
        def __init__(self, settings: ShopSettings) -> None:
            self.url = settings.db_url

    assert container.resolve(Database).url == "postgres://decorated"
    container.register_class(AppSettings)
    assert container.resolve(AppSettings).db_url == "postgres://decorated"


def test_resolve_takes_an_annotated_value(container: Container) -> None:
    container.load_config({"db": {"pool_size": "7"}})

    assert container.resolve(Annotated[int, Value("db.pool_size")]) == 7
    assert container.resolve(Annotated[object, Value("db.pool_size")]) == "7"
    with container.create_scope() as scope:
        assert scope.resolve(Annotated[int, Value("db.pool_size")]) == 7


def test_values_inject_into_click_commands(container: Container) -> None:
    container.load_config({"greeting": {"times": "2"}})

    @click.command()
    def hello(times: dioxide_click.Inject[Annotated[int, Value("greeting.times")]]) -> None:
        click.echo("hi " * times)

    dioxide_click.setup(hello, container)
    result = CliRunner().invoke(hello, [])

    assert result.output.strip() == "hi hi", result.output
