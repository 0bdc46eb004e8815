"""Configuration on a :class:`~dioxide.Container`: ``load_config``,
``register_value``, ``override_value`` and the checks ``validate()`` adds for
values (kept apart from ``_container.py``, which is about providers)."""

from __future__ import annotations

import threading
from collections.abc import Iterator, Mapping
from contextlib import AbstractContextManager, contextmanager
from typing import TYPE_CHECKING, Any, Iterable, Optional, TypeVar, Union, overload

from dioxide.exceptions import (
    DependencyNotRegisteredError,
    DioxideError,
    DioxideTypeError,
)

if TYPE_CHECKING:
    from typing_extensions import TypeForm

    import os

    from dioxide._config import ConfigFile, ConfigStore

__all__ = ["ValueMethods"]

_STORE_LOCK = threading.Lock()
T = TypeVar("T")


class ValueMethods:
    """The configuration half of :class:`~dioxide.Container` (its instance
    dict, created on first use, is the container's)."""

    _config_store: Optional[ConfigStore]
    #: ``resolve_value``'s conversions, with the raw value each was made from.
    _converted: dict[Any, tuple[Any, Any]]

    if TYPE_CHECKING:

        def _set_values(self, values: list[tuple[str, Any]]) -> None: ...
        def _register_value(self, name: str, value: object) -> None: ...
        def _override_value_push(self, name: str, value: object) -> int: ...
        def _override_pop(self, token: int) -> None: ...
        def register_instance(self, type_: Any, instance: Any) -> None: ...

    def _store(self) -> ConfigStore:
        store = getattr(self, "_config_store", None)
        if store is None:
            with _STORE_LOCK:
                store = getattr(self, "_config_store", None)
                if store is None:
                    from dioxide._config import ConfigStore
                    from dioxide._convert import CONFIG_KEY

                    store = ConfigStore(self)
                    self._set_values([(CONFIG_KEY, store)])
                    self._config_store = store
        return store

    def load_config(
        self,
        *sources: Union[Mapping[str, Any], str, os.PathLike[str], ConfigFile, Any],
        env_prefix: Optional[str] = None,
        env_separator: str = "__",
        env_case_sensitive: bool = False,
        environ: Optional[Mapping[str, str]] = None,
        secrets: Iterable[str] = (),
    ) -> None:
        """Load configuration values, merged in order (later sources win)::

            container.load_config(
                {"db": {"pool_size": 5}},          # defaults
                "config.toml",                     # TOML, JSON, YAML (dioxide[yaml]), .env
                ConfigFile("local.toml", optional=True),
                env_prefix="APP_",                 # APP_DB__URL -> db.url, applied last
            )

        Nested keys are dotted (``db.url``); ``Value("db")`` is the whole
        section. Environment variables are read only with ``env_prefix``
        (``""`` reads them all): the rest of the name, split at
        ``env_separator`` and lower-cased (unless ``env_case_sensitive``),
        is the key. ``.env`` files are read the same way. A pydantic-settings
        ``BaseSettings`` class (or instance) is loaded as it loads itself,
        registered as the provider of its class, and its fields become
        values. ``secrets`` marks keys whose values are never shown (keys
        that say password, token, secret or key are masked anyway).

        A source that cannot be read raises :class:`ConfigurationError` and
        changes nothing. Loading again merges on top; only keys whose value
        changed are set again (singletons built from them are rebuilt).
        """
        from dioxide._config import EnvOptions, read_sources

        env = EnvOptions(env_prefix, env_separator, env_case_sensitive)
        marked = _keys(secrets, "secrets=")
        items, settings, secret_keys = read_sources(sources, env, environ)
        store = self._store()
        with store.lock:
            before = store.tree, dict(store.sources)
            try:
                store.merge(items)
                for instance in settings:
                    self.register_instance(type(instance), instance)
            except DioxideError:
                store.tree, store.sources = before
                raise
            store.secrets.update(marked)
            store.secrets.update(secret_keys)
            self._publish(store)

    def register_value(self, name: str, value: object, *, secret: bool = False) -> None:
        """Set a configuration value, injected into parameters annotated
        ``Annotated[T, Value(name)]`` (converted to ``T``); ``secret=True``
        keeps it out of every message::

            container.register_value("db_url", "postgres://localhost/app")

        A dotted name sets a key inside a section (``"db.url"``). Each key is
        set once per container this way; :meth:`load_config` merges instead.
        """
        if not isinstance(name, str) or not name:
            raise DioxideTypeError(
                f"register_value() takes a non-empty name, got {name!r}",
                hint='e.g. container.register_value("db_url", "postgres://...")',
            )
        store = self._store()
        with store.lock:
            if name in store.published or any(k.startswith(name + ".") for k in store.published):
                # The core raises the duplicate registration error.
                self._register_value(name, value)
            path = tuple(name.split("."))
            if any(not part for part in path):
                raise DioxideTypeError(
                    f"register_value() got the key {name!r}, which has an empty part",
                    hint='dotted keys name sections: "db.url"',
                )
            before = store.tree, dict(store.sources)
            try:
                store.merge([(path, value, "register_value()")])
            except DioxideError:
                store.tree, store.sources = before
                raise
            if secret:
                store.secrets.add(name)
            self._publish(store)

    def _publish(self, store: ConfigStore) -> None:
        """Tell the core every key whose value changed."""
        flat = store.flat(with_overrides=False)
        changed = [
            (key, value)
            for key, value in flat.items()
            if key not in store.published or store.published[key] is not value
        ]
        if changed:
            self._set_values(changed)
        store.published = flat

    @overload
    def resolve_value(self, key: str, /) -> Any: ...
    @overload
    def resolve_value(self, key: str, type_: TypeForm[T], /) -> T: ...
    def resolve_value(self, key: str, type_: Any = object, /) -> Any:
        """The value ``key`` converted to ``type_``, as a parameter annotated
        ``Annotated[type_, Value(key)]`` would get it (for code that is not
        wired by dioxide: a script, a web framework's handler)::

            pool_size = container.resolve_value("db.pool_size", int)

        The conversion is made once per value, not once per call.
        """
        from dioxide._convert import conversion_for

        store = getattr(self, "_config_store", None)
        flat = store.published if store is not None and not store.overrides else None
        if flat is None:
            flat = store.flat() if store is not None else {}
        if key not in flat:
            raise DependencyNotRegisteredError(
                f"the value {key!r} is not set",
                chain=[key],
                hint="load it with container.load_config(...) or container.register_value()",
            )
        raw = flat[key]
        if type_ is object or type_ is Any:
            return raw
        conversion = conversion_for(key, type_)
        cache = getattr(self, "_converted", None)
        if cache is None:
            cache = self._converted = {}
        found = cache.get(conversion)
        if found is not None and found[0] is raw:
            return found[1]
        converted = conversion(raw, store)
        cache[conversion] = (raw, converted)
        return converted

    def override_value(self, key: str, value: object) -> AbstractContextManager[None]:
        """Set the value ``key`` inside a ``with`` block, for tests::

            with container.override_value("db.url", "sqlite://"):
                assert container.resolve(Database).url == "sqlite://"

        Singletons built with the old value (and what depends on them) are
        set aside for the block and come back after it; sections that hold
        the key see the new value too. Blocks nest, and are safe to use from
        several threads, like :meth:`override`.
        """
        if not isinstance(key, str) or not key or any(not p for p in key.split(".")):
            raise DioxideTypeError(
                f"override_value() takes a dotted key, got {key!r}",
                hint='e.g. container.override_value("db.url", "sqlite://")',
            )
        return self._value_override(key, value)

    @contextmanager
    def _value_override(self, key: str, value: object) -> Iterator[None]:
        store = self._store()
        marker = object()
        tokens: list[int] = []
        with store.lock:
            before = store.flat()
            store.overrides.append((marker, tuple(key.split(".")), value))
            after = store.flat()
            try:
                for name, new in after.items():
                    if name not in before or before[name] is not new:
                        tokens.append(self._override_value_push(name, new))
            except BaseException:
                self._end_override(store, marker, tokens)
                raise
        try:
            yield
        finally:
            self._end_override(store, marker, tokens)

    def _end_override(self, store: ConfigStore, marker: object, tokens: list[int]) -> None:
        with store.lock:
            store.overrides = [o for o in store.overrides if o[0] is not marker]
        for token in reversed(tokens):
            self._override_pop(token)

    def _value_problems(self) -> list[DioxideError]:
        """Every value set here that will not convert to the type a provider
        of this container asks for (``validate()``)."""
        store = getattr(self, "_config_store", None)
        if store is None:
            return []
        from dioxide._convert import ConversionFailure, all_conversions, convert

        flat = store.flat()
        problems: list[DioxideError] = []
        for conversion in all_conversions():
            if conversion.key not in flat or not conversion.consumers(self):
                continue
            raw = flat[conversion.key]
            try:
                convert(raw, conversion.type)
            except ConversionFailure as failure:
                problems.append(conversion.error(raw, failure, store))
        return problems


def _keys(keys: Iterable[str], where: str) -> list[str]:
    if isinstance(keys, str):
        keys = [keys]
    listed = list(keys)
    if not all(isinstance(k, str) and k for k in listed):
        raise DioxideTypeError(f"{where} takes dotted keys, got {listed!r}")
    return listed
