"""Markers for ``typing.Annotated`` parameters: ``Named`` and ``Value``."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["Named", "Value"]


@dataclass(frozen=True)
class Named:
    """Ask for the implementation registered under ``name``::

        @component(provides=Cache, name="local")
        class LocalCache: ...

        @component
        class Service:
            def __init__(self, cache: Annotated[Cache, Named("local")]) -> None: ...
    """

    name: str


@dataclass(frozen=True)
class Value:
    """Inject the configuration value set with ``container.register_value``::

        container.register_value("db_url", "postgres://...")

        @component
        class Database:
            def __init__(self, url: Annotated[str, Value("db_url")]) -> None: ...
    """

    name: str
