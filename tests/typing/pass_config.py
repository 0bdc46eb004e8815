"""Configuration as the docs show it: ``load_config`` with every kind of
source, ``register_value``, ``override_value``, ``resolve_value`` and
``args=``. mypy --strict accepts this file with no ignore comment (with and
without ``dioxide.mypy_plugin``), and it runs."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

from typing_extensions import Annotated, assert_type

from dioxide import ConfigFile, Container, Registry, Value, component


registry = Registry()


@component(registry=registry, args={"name": "pool", "size": Value("pool.size")})
class Pool:
    def __init__(self, name: str, size: int) -> None:
        self.name, self.size = name, size


@component(registry=registry)
class Database:
    def __init__(self, url: Annotated[str, Value("db.url")], pool: Pool) -> None:
        self.url, self.pool = url, pool


class Client:
    def __init__(self, base_url: str, retries: int) -> None:
        self.base_url, self.retries = base_url, retries


with tempfile.TemporaryDirectory() as folder:
    toml = Path(folder) / "config.toml"
    toml.write_text('[db]\nurl = "postgres://toml"\n')
    container = Container(registry=registry)
    container.load_config(
        {"pool": {"size": "3"}},
        toml,
        str(toml),
        ConfigFile(Path(folder) / "local.toml", optional=True),
        env_prefix="APP_",
        env_separator="__",
        env_case_sensitive=False,
        environ={"APP_API__URL": "http://api"},
        secrets=["db.url"],
    )
    container.register_value("api.retries", 2, secret=False)
    container.register_class(Client, args={"base_url": Value("api.url"), "retries": 5})
    container.validate()

    assert_type(container.resolve_value("pool.size", int), int)
    assert_type(container.resolve_value("pool"), Any)
    assert container.resolve(Database).pool.size == 3
    with container.override_value("db.url", "sqlite://"):
        assert container.resolve(Database).url == "sqlite://"
    assert container.resolve(Client).retries == 5
