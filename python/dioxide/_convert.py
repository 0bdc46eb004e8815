"""Configuration values converted to the type their parameter is annotated
with: ``Annotated[int, Value("db.pool_size")]`` gets an ``int`` even when the
value came from an environment variable.

A conversion is one node of the container's graph per ``(key, type)``: a
singleton built from the raw value the first time something needs it, so a
resolve reads the converted value from the container's cache like any other
singleton and never converts again. It exists only while the value is set
(the core's *derived* providers): without the value, a parameter falls back
to its default, to ``None``, or is reported missing, as before.
"""

from __future__ import annotations

import dataclasses
import enum
import json
import re
import threading
import types
from collections.abc import Mapping, Sequence
from datetime import timedelta
from pathlib import PurePath
from typing import TYPE_CHECKING, Any, Literal, Optional, Union

from typing_extensions import Annotated, get_args, get_origin, get_type_hints

from dioxide.exceptions import ConfigurationError, _describe

if TYPE_CHECKING:
    from dioxide._config import ConfigStore

__all__ = [
    "CONFIG_KEY",
    "Conversion",
    "ConversionFailure",
    "all_conversions",
    "conversion_entry",
    "conversion_for",
    "convert",
    "describe_type",
    "with_conversions",
]

from dioxide._markers import CONFIG_KEY

_UNION_TYPES: tuple[Any, ...] = (Union,) + (
    (types.UnionType,) if hasattr(types, "UnionType") else ()
)
_NONE = type(None)


class ConversionFailure(Exception):
    """Why one value does not convert (the path below the key, if any,
    and the reason); turned into a :class:`ConfigurationError` naming the
    key, its source, the expected type and the consumers."""

    def __init__(self, reason: str, path: str = "") -> None:
        super().__init__(reason)
        self.reason = reason
        self.path = path

    def within(self, part: str) -> ConversionFailure:
        return ConversionFailure(self.reason, f"{part}.{self.path}" if self.path else part)


def describe_type(type_: Any) -> str:
    """``int``, ``list[str]``, ``DbSettings``: a type as a user wrote it."""
    if isinstance(type_, type) and get_origin(type_) is None and not isinstance(
        type_, types.GenericAlias
    ):
        return _describe(type_)
    origin = get_origin(type_)
    if origin in _UNION_TYPES:
        return " | ".join(describe_type(arg) for arg in get_args(type_))
    if origin is Literal:
        return "Literal[" + ", ".join(repr(a) for a in get_args(type_)) + "]"
    if origin is not None:
        args = ", ".join(describe_type(arg) for arg in get_args(type_))
        return f"{describe_type(origin)}[{args}]"
    if type_ is None or type_ is _NONE:
        return "None"
    return repr(type_).replace("typing.", "")


_TRUE = frozenset({"1", "true", "yes", "on", "y", "t"})
_FALSE = frozenset({"0", "false", "no", "off", "n", "f"})
_DURATION = re.compile(r"(\d+(?:\.\d+)?)\s*(ms|s|m|h|d|w)", re.IGNORECASE)
_UNITS = {"ms": 0.001, "s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}


def _shown(raw: object) -> str:
    text = repr(raw)
    return text if len(text) <= 60 else text[:57] + "..."


def convert(raw: object, type_: Any) -> Any:
    """``raw`` as a ``type_``; raises :class:`ConversionFailure`. A value that
    is already right is returned as is (the same object)."""
    if type_ is Any or type_ is object:
        return raw
    origin = get_origin(type_)
    if origin is Annotated:
        return convert(raw, get_args(type_)[0])
    if origin in _UNION_TYPES:
        members = get_args(type_)
        if raw is None and _NONE in members:
            return None
        if isinstance(raw, str) and raw == "" and _NONE in members:
            return None
        failures = []
        for member in members:
            if member is _NONE:
                continue
            try:
                return convert(raw, member)
            except ConversionFailure as failure:
                failures.append(failure)
        if len(failures) == 1:
            raise failures[0]
        raise ConversionFailure(f"{_shown(raw)} matches none of {describe_type(type_)}")
    if origin is Literal:
        for option in get_args(type_):
            if raw == option or (isinstance(raw, str) and not isinstance(option, str) and raw == str(option)):
                return option
        raise ConversionFailure(f"{_shown(raw)} is not one of {describe_type(type_)}")
    if origin in (list, Sequence, tuple, set, frozenset):
        return _convert_items(raw, type_, origin)
    if origin in (dict, Mapping):
        return _convert_mapping(raw, type_)
    if not isinstance(type_, type):
        raise ConversionFailure(f"dioxide cannot convert values to {describe_type(type_)}")
    return _convert_class(raw, type_)


def _convert_class(raw: object, type_: type) -> Any:
    if type_ is bool:
        if isinstance(raw, bool):
            return raw
        if isinstance(raw, int) and raw in (0, 1):
            return bool(raw)
        if isinstance(raw, str):
            text = raw.strip().lower()
            if text in _TRUE:
                return True
            if text in _FALSE:
                return False
        raise ConversionFailure(
            f"{_shown(raw)} is not a boolean (use true/false, yes/no, on/off or 1/0)"
        )
    if type_ is int:
        if isinstance(raw, int) and not isinstance(raw, bool):
            return raw
        if isinstance(raw, float) and raw.is_integer():
            return int(raw)
        if isinstance(raw, str):
            try:
                return int(raw.strip())
            except ValueError:
                pass
        raise ConversionFailure(f"{_shown(raw)} is not an integer")
    if type_ is float:
        if isinstance(raw, float):
            return raw
        if isinstance(raw, int) and not isinstance(raw, bool):
            return float(raw)
        if isinstance(raw, str):
            try:
                return float(raw.strip())
            except ValueError:
                pass
        raise ConversionFailure(f"{_shown(raw)} is not a number")
    if hasattr(raw, "get_secret_value") and type_ in (str, bytes):
        # A pydantic SecretStr asked for as the plain value it hides.
        raw = raw.get_secret_value()
    if type_ is str:
        if isinstance(raw, str):
            return raw
        if isinstance(raw, (int, float, PurePath)) and not isinstance(raw, bool):
            return str(raw)
        raise ConversionFailure(f"{_shown(raw)} is not a string")
    if type_ is bytes:
        if isinstance(raw, bytes):
            return raw
        if isinstance(raw, str):
            return raw.encode()
        raise ConversionFailure(f"{_shown(raw)} is not bytes")
    if issubclass(type_, PurePath):
        if isinstance(raw, type_):
            return raw
        if isinstance(raw, (str, PurePath)) and str(raw):
            return type_(raw)
        raise ConversionFailure(f"{_shown(raw)} is not a path")
    if type_ is timedelta:
        return _duration(raw)
    if issubclass(type_, enum.Enum):
        if isinstance(raw, type_):
            return raw
        for member in type_:
            if member.value == raw or member.name == raw or str(member.value) == raw:
                return member
        names = ", ".join(m.name for m in type_)
        raise ConversionFailure(f"{_shown(raw)} is not a {type_.__name__} ({names})")
    if dataclasses.is_dataclass(type_):
        if isinstance(raw, type_):
            return raw
        return _dataclass(raw, type_)
    if _is_pydantic_model(type_):
        if isinstance(raw, type_):
            return raw
        return _pydantic(raw, type_)
    if isinstance(raw, type_):
        return raw
    raise ConversionFailure(
        f"{_shown(raw)} is a {type(raw).__name__}, not a {_describe(type_)}, "
        "and dioxide does not know how to convert it"
    )


def _duration(raw: object) -> timedelta:
    if isinstance(raw, timedelta):
        return raw
    if isinstance(raw, (int, float)) and not isinstance(raw, bool):
        return timedelta(seconds=raw)
    if isinstance(raw, str):
        text = raw.strip()
        try:
            return timedelta(seconds=float(text))
        except ValueError:
            pass
        parts = _DURATION.findall(text)
        if parts and _DURATION.sub("", text).strip() == "":
            return timedelta(seconds=sum(float(n) * _UNITS[u.lower()] for n, u in parts))
    raise ConversionFailure(
        f"{_shown(raw)} is not a duration (seconds, or e.g. '30s', '5m', '1h30m')"
    )


def _items_from_text(raw: str) -> list[Any]:
    text = raw.strip()
    if text.startswith("["):
        try:
            loaded = json.loads(text)
        except ValueError as error:
            raise ConversionFailure(f"{_shown(raw)} is not a JSON list: {error}") from None
        if isinstance(loaded, list):
            return loaded
    if not text:
        return []
    return [item.strip() for item in text.split(",")]


def _convert_items(raw: object, type_: Any, origin: Any) -> Any:
    if isinstance(raw, str):
        items: Sequence[Any] = _items_from_text(raw)
    elif isinstance(raw, (list, tuple, set, frozenset)):
        items = list(raw)
    else:
        raise ConversionFailure(f"{_shown(raw)} is not a list")
    args = get_args(type_)
    if origin is tuple and len(args) == 2 and args[1] is Ellipsis:
        args = (args[0],)
    if origin is tuple and len(args) > 1:
        if len(items) != len(args):
            raise ConversionFailure(f"{_shown(raw)} does not have {len(args)} items")
        kinds = list(args)
    else:
        kinds = [args[0] if args else Any] * len(items)
    converted = []
    for index, (item, kind) in enumerate(zip(items, kinds)):
        try:
            converted.append(convert(item, kind))
        except ConversionFailure as failure:
            raise failure.within(f"[{index}]") from None
    changed = not isinstance(raw, (list, tuple)) or any(
        a is not b for a, b in zip(converted, items)
    )
    if origin in (list, Sequence):
        if isinstance(raw, list) and not changed:
            return raw
        return converted
    if origin is tuple:
        return raw if isinstance(raw, tuple) and not changed else tuple(converted)
    return origin(converted)


def _convert_mapping(raw: object, type_: Any) -> Any:
    if isinstance(raw, str) and raw.strip().startswith("{"):
        try:
            raw = json.loads(raw)
        except ValueError as error:
            raise ConversionFailure(f"{_shown(raw)} is not a JSON object: {error}") from None
    if not isinstance(raw, Mapping):
        raise ConversionFailure(f"{_shown(raw)} is not a table of keys and values")
    args = get_args(type_)
    key_type, value_type = args if len(args) == 2 else (Any, Any)
    converted: dict[Any, Any] = {}
    changed = not isinstance(raw, dict)
    for key, item in raw.items():
        try:
            new_key = convert(key, key_type)
            new_item = convert(item, value_type)
        except ConversionFailure as failure:
            raise failure.within(str(key)) from None
        changed = changed or new_key is not key or new_item is not item
        converted[new_key] = new_item
    return converted if changed else raw


def _dataclass(raw: object, type_: type) -> Any:
    if not isinstance(raw, Mapping):
        raise ConversionFailure(f"{_shown(raw)} is not a section (a table of settings)")
    hints = get_type_hints(type_, include_extras=True)
    arguments: dict[str, Any] = {}
    for field in dataclasses.fields(type_):
        if not field.init:
            continue
        if field.name not in raw:
            if (
                field.default is dataclasses.MISSING
                and field.default_factory is dataclasses.MISSING
            ):
                raise ConversionFailure("the setting is missing", field.name)
            continue
        try:
            arguments[field.name] = convert(raw[field.name], hints.get(field.name, Any))
        except ConversionFailure as failure:
            raise failure.within(field.name) from None
    return type_(**arguments)


def _is_pydantic_model(type_: type) -> bool:
    return any(
        base.__name__ == "BaseModel" and base.__module__.startswith("pydantic")
        for base in type_.__mro__
    )


def _pydantic(raw: object, type_: Any) -> Any:
    if not isinstance(raw, Mapping):
        raise ConversionFailure(f"{_shown(raw)} is not a section (a table of settings)")
    try:
        return type_.model_validate(dict(raw))
    except ValueError as error:
        problems = getattr(error, "errors", None)
        if callable(problems):
            first = problems()[0]
            where = ".".join(str(part) for part in first.get("loc", ()))
            raise ConversionFailure(first.get("msg", str(error)), where) from None
        raise ConversionFailure(str(error)) from None


class Conversion:
    """The node that converts the value ``key`` to ``type_``, shared by every
    parameter annotated ``Annotated[type_, Value(key)]`` (interned for the
    process: see :func:`conversion_for`). Called by the core with the raw
    value and the container's configuration store."""

    __slots__ = ("__weakref__", "_consumers", "key", "type")

    def __init__(self, key: str, type_: Any) -> None:
        self.key = key
        self.type = type_
        #: (consumer, parameter): who asked for it, for messages.
        self._consumers: list[tuple[str, str, Any]] = []

    def needed_by(self, owner: Any, param: str) -> None:
        """Remember that ``owner``'s parameter ``param`` asks for it."""
        import weakref

        try:
            ref: Any = weakref.ref(owner)
        except TypeError:
            ref = lambda: owner  # noqa: E731 - an object that cannot be referenced weakly
        entry = (_describe(owner), param, ref)
        with _LOCK:
            if not any(c[0] == entry[0] and c[1] == param and c[2]() is owner for c in self._consumers):
                self._consumers.append(entry)

    def consumers(self, within: Optional[Any] = None) -> list[str]:
        """``Database (parameter 'pool_size')`` for each consumer still
        alive (in ``within``, a container, when given)."""
        found = []
        for name, param, ref in list(self._consumers):
            owner = ref()
            if owner is None:
                continue
            if within is not None:
                try:
                    if owner not in within:
                        continue
                except Exception:  # noqa: BLE001 - a consumer the container cannot look up
                    continue
            text = f"{name} (parameter '{param}')"
            if text not in found:
                found.append(text)
        return found

    def __call__(self, raw: object, config: Optional[ConfigStore] = None) -> Any:
        try:
            return convert(raw, self.type)
        except ConversionFailure as failure:
            raise self.error(raw, failure, config) from None

    def error(
        self, raw: object, failure: ConversionFailure, config: Optional[ConfigStore]
    ) -> ConfigurationError:
        if config is not None:
            secret = config.is_secret(self.key)
        else:
            from dioxide._config import looks_secret

            secret = looks_secret(self.key)
        source = config.source_of(self.key, raw) if config is not None else None
        within = config.container() if config is not None else None
        key = f"{self.key}.{failure.path}" if failure.path else self.key
        reason = failure.reason
        if secret:
            reason = _mask_reason(reason, raw)
        where = f" from {source}" if source else ""
        consumers = self.consumers(within)
        return ConfigurationError(
            f"cannot convert the value {key!r}{where} to {describe_type(self.type)}: {reason}",
            key=self.key,
            source=source,
            expected=self.type,
            consumers=consumers,
            hint=f"set {key!r} to a value that reads as "
            + (describe_type(self.type) if not failure.path else "what " + describe_type(self.type) + " expects"),
        )

    def __repr__(self) -> str:
        return f"<conversion of {self.key!r} to {describe_type(self.type)}>"


_LOCK = threading.Lock()
_CONVERSIONS: dict[tuple[str, Any], Conversion] = {}


def conversion_for(key: str, type_: Any) -> Conversion:
    """The one conversion of ``key`` to ``type_`` in this process."""
    try:
        identity: tuple[str, Any] = (key, type_)
        hash(identity)
    except TypeError:
        identity = (key, repr(type_))
    found = _CONVERSIONS.get(identity)
    if found is not None:
        return found
    with _LOCK:
        return _CONVERSIONS.setdefault(identity, Conversion(key, type_))


def all_conversions() -> list[Conversion]:
    """Every conversion declared in this process."""
    with _LOCK:
        return list(_CONVERSIONS.values())


def with_conversions(entries: list[Any]) -> list[Any]:
    """``entries`` and, after them, the conversion node of every converted
    value they depend on (the core keeps one per key)."""
    extra: list[Any] = []
    for entry in entries:
        for dep in entry.dependencies:
            if dep.flavor != "converted":
                continue
            conversion: Conversion = dep.annotation
            conversion.needed_by(entry.provides, dep.param)
            extra.append(conversion_entry(conversion))
    return entries + extra if extra else entries


def conversion_entry(conversion: Conversion) -> Any:
    """The registration of ``conversion``'s node: a singleton built from the
    raw value (and the container's configuration store, for messages)."""
    from dioxide._introspect import KEEP_DEFAULT, REQUIRED, Dependency
    from dioxide._registry import Entry

    return Entry(
        conversion,
        conversion,
        "singleton",
        "convert",
        [
            Dependency("raw", object, REQUIRED, "value", conversion.key, True),
            Dependency("config", object, KEEP_DEFAULT, "value", CONFIG_KEY, True),
        ],
    )


MASK = "***"


def _mask_reason(reason: str, raw: object) -> str:
    return reason.replace(_shown(raw), MASK).replace(repr(raw), MASK)
