"""Markers for ``typing.Annotated`` parameters: ``Named`` and ``Value``."""

from __future__ import annotations

from typing import Any

__all__ = ["CONFIG_KEY", "Named", "Value"]

#: The value under which a container keeps its configuration store: what
#: conversions read the source of a value from, for their messages.
CONFIG_KEY = "dioxide.config"


class _Marker:
    """A named marker: equal to another of its kind with the same name.
    (Hand-written rather than a dataclass: importing dataclasses would add
    a few milliseconds to ``import dioxide``.)"""

    __slots__ = ("name",)
    name: str

    def __init__(self, name: str) -> None:
        if not isinstance(name, str) or not name:
            from dioxide.exceptions import DioxideTypeError

            raise DioxideTypeError(
                f"{type(self).__name__}() takes a non-empty name, got {name!r}",
                hint=f'e.g. {type(self).__name__}("primary")',
            )
        object.__setattr__(self, "name", name)

    def __setattr__(self, attribute: str, value: Any) -> None:
        raise AttributeError(f"{type(self).__name__} is immutable")

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _Marker) and type(other) is type(self) and other.name == self.name

    def __hash__(self) -> int:
        return hash((type(self).__name__, self.name))

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.name!r})"


class Named(_Marker):
    """Ask for the implementation registered under ``name``::

        @component(provides=Cache, name="local")
        class LocalCache: ...

        @component
        class Service:
            def __init__(self, cache: Annotated[Cache, Named("local")]) -> None: ...
    """

    __slots__ = ()


class Value(_Marker):
    """Inject the configuration value ``name``, loaded with
    ``container.load_config`` or set with ``container.register_value``, and
    converted to the annotated type (once per container)::

        container.load_config({"db": {"url": "postgres://...", "pool_size": "10"}})

        @component
        class Database:
            def __init__(
                self,
                url: Annotated[str, Value("db.url")],
                pool_size: Annotated[int, Value("db.pool_size")] = 5,
            ) -> None: ...

    A dotted name is a key inside a section; the section itself
    (``Value("db")``) injects as a dict, a dataclass or a pydantic model.
    """

    __slots__ = ()
