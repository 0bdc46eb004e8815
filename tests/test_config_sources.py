"""Configuration sources: dicts, environment variables, ``.env`` files,
TOML, JSON and YAML, merged in order into dotted keys (``load_config``)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import pytest

from dioxide import (
    ConfigFile,
    ConfigurationError,
    Container,
    DuplicateRegistrationError,
    Value,
    component,
)


def values(container: Container, *keys: str) -> dict[str, Any]:
    return {key: container.resolve_value(key) for key in keys}


def test_a_dict_source_gives_dotted_keys_and_sections(container: Container) -> None:
    container.load_config({"db": {"url": "sqlite://", "pool": {"size": 5}}})

    assert values(container, "db.url", "db.pool.size") == {
        "db.url": "sqlite://",
        "db.pool.size": 5,
    }
    assert container.resolve_value("db") == {"url": "sqlite://", "pool": {"size": 5}}


def test_dotted_keys_in_a_dict_are_sections(container: Container) -> None:
    container.load_config({"db.url": "sqlite://", "db": {"pool_size": 3}})

    assert container.resolve_value("db") == {"url": "sqlite://", "pool_size": 3}


def test_later_sources_win_and_sections_merge(container: Container) -> None:
    container.load_config(
        {"db": {"url": "sqlite://", "pool_size": 5}},
        {"db": {"pool_size": 10}},
    )

    assert values(container, "db.url", "db.pool_size") == {
        "db.url": "sqlite://",
        "db.pool_size": 10,
    }


def test_loading_again_merges_on_top_and_rebuilds_what_used_the_changed_key(
    container: Container,
) -> None:
    @component(scope=__import__("dioxide").Scope.SINGLETON)
    class Pool:
        def __init__(self, size: Annotated[int, Value("db.pool_size")]) -> None:
            self.size = size

    @component(scope=__import__("dioxide").Scope.SINGLETON)
    class Client:
        def __init__(self, url: Annotated[str, Value("api.url")]) -> None:
            self.url = url

    container.load_config({"db": {"pool_size": 5}, "api": {"url": "http://a"}})
    pool, client = container.resolve(Pool), container.resolve(Client)
    container.load_config({"db": {"pool_size": "8"}})

    assert container.resolve(Pool).size == 8
    assert container.resolve(Pool) is not pool
    assert container.resolve(Client) is client


def test_toml_json_and_yaml_files(tmp_path: Path, container: Container) -> None:
    (tmp_path / "base.toml").write_text('[db]\nurl = "postgres://toml"\npool_size = 5\n')
    (tmp_path / "more.json").write_text('{"db": {"pool_size": 7}, "debug": true}')
    (tmp_path / "last.yaml").write_text("db:\n  url: postgres://yaml\nlog:\n  level: info\n")

    container.load_config(
        tmp_path / "base.toml", str(tmp_path / "more.json"), tmp_path / "last.yaml"
    )

    assert values(container, "db.url", "db.pool_size", "debug", "log.level") == {
        "db.url": "postgres://yaml",
        "db.pool_size": 7,
        "debug": True,
        "log.level": "info",
    }


def test_yml_suffix_and_an_explicit_format(tmp_path: Path, container: Container) -> None:
    (tmp_path / "a.yml").write_text("x: 1\n")
    (tmp_path / "settings.conf").write_text('y = "toml"\n')

    container.load_config(tmp_path / "a.yml", ConfigFile(tmp_path / "settings.conf", format="toml"))

    assert values(container, "x", "y") == {"x": 1, "y": "toml"}


def test_a_missing_file_is_an_error_naming_it(tmp_path: Path, container: Container) -> None:
    missing = tmp_path / "nope.toml"

    with pytest.raises(ConfigurationError) as info:
        container.load_config({"a": 1}, missing)

    assert str(info.value).splitlines() == [
        f"the configuration file {str(missing)!r} does not exist",
        f"  hint: create it, fix the path, or load ConfigFile({str(missing)!r}, "
        "optional=True) if it may be absent",
    ]
    assert isinstance(info.value, ValueError)
    # Nothing of the refused call was loaded.
    with pytest.raises(KeyError):
        container.resolve_value("a")


def test_a_file_marked_optional_may_be_missing(tmp_path: Path, container: Container) -> None:
    container.load_config({"a": 1}, ConfigFile(tmp_path / "local.toml", optional=True))

    assert container.resolve_value("a") == 1


def test_an_unreadable_file_names_the_file_and_the_parser_error(
    tmp_path: Path, container: Container
) -> None:
    broken = tmp_path / "broken.json"
    broken.write_text("{not json")

    with pytest.raises(ConfigurationError) as info:
        container.load_config(broken)

    assert str(info.value).startswith(f"cannot read the configuration file {str(broken)!r}: ")


def test_a_file_of_unknown_format_is_refused(tmp_path: Path, container: Container) -> None:
    odd = tmp_path / "settings.ini"
    odd.write_text("[a]\n")

    with pytest.raises(ConfigurationError) as info:
        container.load_config(odd)

    assert str(info.value).splitlines()[0] == (
        f"cannot tell the format of the configuration file {str(odd)!r}"
    )


def test_a_file_that_is_not_a_table_is_refused(tmp_path: Path, container: Container) -> None:
    listing = tmp_path / "list.json"
    listing.write_text("[1, 2]")

    with pytest.raises(ConfigurationError) as info:
        container.load_config(listing)

    assert str(info.value) == (
        f"the configuration file {str(listing)!r} holds a list, not a table of keys"
    )


def test_a_source_of_another_kind_is_refused(container: Container) -> None:
    with pytest.raises(ConfigurationError) as info:
        container.load_config(42)

    assert str(info.value).splitlines()[0] == "load_config() cannot read 42 (a int)"


# -- environment variables ------------------------------------------------------


def test_env_vars_with_a_prefix_and_nested_separator(container: Container) -> None:
    container.load_config(
        {"db": {"pool_size": 5}},
        env_prefix="APP_",
        environ={"APP_DB__URL": "postgres://env", "APP_DB__POOL_SIZE": "10", "OTHER": "x"},
    )

    assert values(container, "db.url", "db.pool_size") == {
        "db.url": "postgres://env",
        "db.pool_size": "10",
    }
    with pytest.raises(KeyError):
        container.resolve_value("other")


def test_env_names_are_lower_cased_and_the_prefix_matched_in_any_case(
    container: Container,
) -> None:
    container.load_config(env_prefix="app_", environ={"APP_Db__Url": "x", "app_LEVEL": "debug"})

    assert values(container, "db.url", "level") == {"db.url": "x", "level": "debug"}


def test_case_sensitive_env_keeps_names_and_requires_the_exact_prefix(
    container: Container,
) -> None:
    container.load_config(
        env_prefix="APP_",
        env_case_sensitive=True,
        environ={"APP_Db__Url": "x", "app_LEVEL": "ignored"},
    )

    assert container.resolve_value("Db.Url") == "x"
    with pytest.raises(KeyError):
        container.resolve_value("LEVEL")


def test_env_values_keep_empty_strings_and_unicode(container: Container) -> None:
    container.load_config(
        env_prefix="APP_", environ={"APP_EMPTY": "", "APP_NAME": "Zoë ✓", "APP_ÜBER": "ja"}
    )

    assert values(container, "empty", "name", "über") == {
        "empty": "",
        "name": "Zoë ✓",
        "über": "ja",
    }


def test_a_custom_separator_and_names_with_empty_parts_are_skipped(container: Container) -> None:
    container.load_config(
        env_prefix="APP_",
        env_separator=".",
        environ={"APP_DB.URL": "x", "APP_DB..PORT": "1", "APP_": "bare", "APP_DB.": "trail"},
    )

    assert container.resolve_value("db") == {"url": "x"}


def test_an_env_var_cannot_be_both_a_value_and_a_section(container: Container) -> None:
    with pytest.raises(ConfigurationError) as info:
        container.load_config(env_prefix="APP_", environ={"APP_DB": "x", "APP_DB__URL": "y"})

    assert str(info.value).splitlines()[0] == (
        "environment variable APP_DB__URL sets 'db.url', but 'db' is a plain value "
        "(from environment variable APP_DB), not a section"
    )


def test_env_vars_come_after_the_other_sources(container: Container) -> None:
    container.load_config({"x": "dict"}, env_prefix="APP_", environ={"APP_X": "env"})

    assert container.resolve_value("x") == "env"


def test_without_a_prefix_the_environment_is_not_read(
    container: Container, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DIOXIDE_TEST_SETTING", "1")

    container.load_config({"a": 1})

    with pytest.raises(KeyError):
        container.resolve_value("dioxide_test_setting")


def test_the_process_environment_is_the_default(
    container: Container, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DIOXTEST_DB__URL", "from-os")

    container.load_config(env_prefix="DIOXTEST_")

    assert container.resolve_value("db.url") == "from-os"


def test_an_empty_separator_is_refused(container: Container) -> None:
    with pytest.raises(ConfigurationError):
        container.load_config(env_prefix="APP_", env_separator="")


# -- .env files ---------------------------------------------------------------------


def test_dotenv_files(tmp_path: Path, container: Container) -> None:
    dotenv = tmp_path / ".env"
    dotenv.write_text(
        "# a comment\n"
        "\n"
        "export APP_DB__URL=postgres://dotenv\n"
        "APP_NAME='single # kept'\n"
        'APP_GREETING="line\\nbreak"\n'
        "APP_LEVEL=debug   # trailing comment\n"
        "APP_EMPTY=\n"
        "OTHER=ignored\n",
        encoding="utf-8",
    )

    container.load_config(dotenv, env_prefix="APP_", environ={})

    assert values(container, "db.url", "name", "greeting", "level", "empty") == {
        "db.url": "postgres://dotenv",
        "name": "single # kept",
        "greeting": "line\nbreak",
        "level": "debug",
        "empty": "",
    }


def test_the_environment_wins_over_a_dotenv_file(tmp_path: Path, container: Container) -> None:
    (tmp_path / ".env").write_text("APP_X=file\n")

    container.load_config(tmp_path / ".env", env_prefix="APP_", environ={"APP_X": "env"})

    assert container.resolve_value("x") == "env"


def test_a_malformed_dotenv_line_is_an_error_naming_it(
    tmp_path: Path, container: Container
) -> None:
    dotenv = tmp_path / ".env"
    dotenv.write_text("A=1\nthis is wrong\n")

    with pytest.raises(ConfigurationError) as info:
        container.load_config(dotenv)

    assert str(info.value) == f"{dotenv} line 2 is not NAME=value: 'this is wrong'"


# -- register_value is the same mechanism ---------------------------------------------


def test_register_value_sets_a_key_inside_a_section(container: Container) -> None:
    container.load_config({"db": {"url": "sqlite://"}})
    container.register_value("db.pool_size", 3)

    assert container.resolve_value("db") == {"url": "sqlite://", "pool_size": 3}


def test_register_value_refuses_a_key_already_loaded(container: Container) -> None:
    container.load_config({"db": {"url": "sqlite://"}})

    with pytest.raises(DuplicateRegistrationError):
        container.register_value("db.url", "postgres://")


def test_a_missing_value_is_a_key_error(container: Container) -> None:
    with pytest.raises(KeyError) as info:
        container.resolve_value("db.url")

    assert str(info.value).splitlines()[0] == "the value 'db.url' is not set"
