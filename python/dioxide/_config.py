"""Configuration sources (dicts, environment variables, ``.env``, TOML, JSON,
YAML, pydantic-settings) merged into one tree of dotted keys per container.

Every key of the merged tree is a configuration value of the container:
``db.url`` a leaf, ``db`` the whole section (a dict). Loading again merges
on top (later sources win) and sets only the keys whose value changed, so
singletons built from unchanged values stay.
"""

from __future__ import annotations

import os
import re
import sys
import threading
import weakref
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any, Optional, Union

if TYPE_CHECKING:
    from pathlib import Path

from dioxide._introspect import _is_settings_class as _settings_class
from dioxide.exceptions import ConfigurationError

__all__ = ["ConfigFile", "ConfigStore", "MASK", "looks_secret", "read_sources"]

#: What a secret value is shown as.
MASK = "***"

_SECRET_PARTS = re.compile(r"password|passwd|passphrase|token|secret|credential|private")
_SECRET_SEGMENT = re.compile(r"(^|[._\-])(key|apikey|api_key|dsn_password)$")


def looks_secret(key: str) -> bool:
    """Whether a dotted key names a secret: a part of it says password,
    token, secret, credential or private, or its last word is ``key``
    (``api_key``, ``stripe.key``)."""
    lowered = key.lower()
    return bool(_SECRET_PARTS.search(lowered) or _SECRET_SEGMENT.search(lowered))


class ConfigFile:
    """A configuration file with options: ``optional=True`` when it may be
    absent (a missing file is an error otherwise), ``format`` when its
    name does not tell (``"toml"``, ``"json"``, ``"yaml"``, ``"env"``)::

        container.load_config("config.toml", ConfigFile("local.toml", optional=True))
    """

    __slots__ = ("format", "optional", "path")

    def __init__(
        self,
        path: Union[str, os.PathLike[str]],
        *,
        optional: bool = False,
        format: Optional[str] = None,
    ) -> None:
        if format is not None and format not in _READERS:
            raise ConfigurationError(
                f"ConfigFile(format=...) takes one of {', '.join(map(repr, _READERS))}, "
                f"got {format!r}"
            )
        # (pathlib and json are imported when a file is named: not every
        # program reads one, and they add milliseconds to `import dioxide`.)
        from pathlib import Path

        self.path = Path(path)
        self.optional = optional
        self.format = format

    def __repr__(self) -> str:
        extra = ", optional=True" if self.optional else ""
        return f"ConfigFile({str(self.path)!r}{extra})"


#: One value read from a source: its path (key parts), the value, and
#: where it came from (for messages).
Item = tuple[tuple[str, ...], Any, str]


class EnvOptions:
    """How environment variable names become keys."""

    __slots__ = ("case_sensitive", "prefix", "separator")

    def __init__(self, prefix: Optional[str], separator: str, case_sensitive: bool) -> None:
        if prefix is not None and not isinstance(prefix, str):
            raise ConfigurationError(f"env_prefix= takes a string, got {prefix!r}")
        if not isinstance(separator, str) or not separator:
            raise ConfigurationError(
                f"env_separator= takes a non-empty string, got {separator!r}",
                hint='the default "__" reads APP_DB__URL as db.url',
            )
        self.prefix = prefix
        self.separator = separator
        self.case_sensitive = case_sensitive

    def path(self, name: str) -> Optional[tuple[str, ...]]:
        """The key parts a variable name stands for, or None when it is not
        one of ours (no prefix, or an empty part: ``APP_DB____URL``)."""
        prefix = self.prefix or ""
        if self.case_sensitive:
            if not name.startswith(prefix):
                return None
        elif not name.upper().startswith(prefix.upper()):
            return None
        rest = name[len(prefix):]
        if not rest:
            return None
        parts = rest.split(self.separator)
        if any(not part for part in parts):
            return None
        if not self.case_sensitive:
            parts = [part.lower() for part in parts]
        return tuple(parts)

    def items(self, variables: Mapping[str, str], where: str) -> list[Item]:
        found = []
        for name in sorted(variables):
            path = self.path(name)
            if path is not None:
                found.append((path, variables[name], where.format(name=name)))
        return found


def _split(key: Any, source: str) -> tuple[str, ...]:
    if not isinstance(key, str) or not key:
        raise ConfigurationError(
            f"configuration keys are non-empty strings; {source} has the key {key!r}"
        )
    parts = tuple(key.split("."))
    if any(not part for part in parts):
        raise ConfigurationError(f"the key {key!r} in {source} has an empty part")
    return parts


def _flatten_source(data: Mapping[Any, Any], source: str) -> list[Item]:
    """The leaves of a mapping, dotted keys in it split into sections."""
    found: list[Item] = []

    def walk(prefix: tuple[str, ...], node: Mapping[Any, Any]) -> None:
        for key, value in node.items():
            path = prefix + _split(key, source)
            if isinstance(value, Mapping) and value:
                walk(path, value)
            else:
                found.append((path, value, source))

    walk((), data)
    return found


def _read_toml(path: Path) -> Any:
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover - Python 3.9 and 3.10
        try:
            import tomli as tomllib  # type: ignore[import-not-found,unused-ignore]
        except ImportError:
            raise ConfigurationError(
                f"reading {path} needs Python 3.11 (tomllib) or the tomli package",
                hint="pip install tomli",
            ) from None
    with path.open("rb") as handle:
        return tomllib.load(handle)


def _read_json(path: Path) -> Any:
    import json

    with path.open("r", encoding="utf-8") as handle:
        return json.load(handle)


def _read_yaml(path: Path) -> Any:
    try:
        import yaml  # type: ignore[import-untyped]
    except ImportError:
        raise ConfigurationError(
            f"reading {path} needs PyYAML, which is not installed",
            hint="pip install 'dioxide[yaml]'",
        ) from None
    with path.open("r", encoding="utf-8") as handle:
        return yaml.safe_load(handle) or {}


_READERS = {"toml": _read_toml, "json": _read_json, "yaml": _read_yaml, "env": None}
_SUFFIXES = {".toml": "toml", ".json": "json", ".yaml": "yaml", ".yml": "yaml", ".env": "env"}


def _format_of(path: Path) -> Optional[str]:
    name = path.name.lower()
    if name == ".env" or name.startswith(".env."):
        return "env"
    return _SUFFIXES.get(path.suffix.lower())


_DOTENV_LINE = re.compile(r"^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_.\-]*)\s*=\s*(.*?)\s*$")
_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", '"': '"', "\\": "\\", "$": "$"}


def parse_dotenv(text: str, source: str) -> dict[str, str]:
    """``NAME=value`` lines: ``#`` comments, ``export``, single quotes
    (literal), double quotes (``\\n``-style escapes), and unquoted values
    (trailing `` # comment`` dropped). A line that is none of these is an
    error naming the line."""
    found: dict[str, str] = {}
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        match = _DOTENV_LINE.match(line)
        if match is None:
            raise ConfigurationError(
                f"{source} line {number} is not NAME=value: {line.strip()[:40]!r}"
            )
        name, value = match.group(1), match.group(2)
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
            body = value[1:-1]
            if value[0] == '"':
                body = re.sub(r"\\(.)", lambda m: _ESCAPES.get(m.group(1), "\\" + m.group(1)), body)
            value = body
        else:
            value = re.split(r"\s+#", value, maxsplit=1)[0].strip()
        found[name] = value
    return found


def _read_file(spec: ConfigFile, env: EnvOptions) -> list[Item]:
    path = spec.path
    shown = str(path)
    kind = spec.format or _format_of(path)
    if kind is None:
        raise ConfigurationError(
            f"cannot tell the format of the configuration file {shown!r}",
            hint="name it .toml, .json, .yaml, .yml or .env, or pass "
            "ConfigFile(path, format='toml')",
        )
    if not path.is_file():
        if spec.optional:
            return []
        raise ConfigurationError(
            f"the configuration file {shown!r} does not exist",
            source=shown,
            hint=f"create it, fix the path, or load ConfigFile({shown!r}, optional=True) "
            "if it may be absent",
        )
    try:
        if kind == "env":
            text = path.read_text(encoding="utf-8")
            dotenv = EnvOptions(env.prefix or "", env.separator, env.case_sensitive)
            return dotenv.items(parse_dotenv(text, shown), f"{shown} ({{name}})")
        reader = _READERS[kind]
        assert reader is not None
        data = reader(path)
    except ConfigurationError:
        raise
    except (OSError, ValueError, UnicodeDecodeError) as error:
        raise ConfigurationError(
            f"cannot read the configuration file {shown!r}: {error}", source=shown
        ) from None
    except Exception as error:  # noqa: BLE001 - a parser's own error (YAML)
        raise ConfigurationError(
            f"cannot read the configuration file {shown!r}: {error}", source=shown
        ) from None
    if data is None:
        return []
    if not isinstance(data, Mapping):
        raise ConfigurationError(
            f"the configuration file {shown!r} holds a {type(data).__name__}, not a table "
            "of keys",
            source=shown,
        )
    return _flatten_source(data, shown)


def _is_settings_class(source: Any) -> bool:
    return isinstance(source, type) and _settings_class(source)


def _is_settings_instance(source: Any) -> bool:
    return _is_settings_class(type(source))


def settings_items(settings: Any) -> tuple[list[Item], list[str]]:
    """The fields of a pydantic model as items, and the keys of its secret
    fields (``SecretStr``, ``SecretBytes``)."""
    name = type(settings).__name__
    source = f"{name} (pydantic-settings)"
    secrets: list[str] = []
    found: list[Item] = []

    def walk(prefix: tuple[str, ...], model: Any) -> None:
        for field in type(model).model_fields:
            value = getattr(model, field)
            path = prefix + (field,)
            if hasattr(value, "model_fields") and not isinstance(value, type):
                walk(path, value)
                continue
            if hasattr(value, "get_secret_value"):
                secrets.append(".".join(path))
            found.append((path, value, source))

    walk((), settings)
    return found, secrets


def read_sources(
    sources: Iterable[Any], env: EnvOptions, environ: Optional[Mapping[str, str]]
) -> tuple[list[Item], list[Any], list[str]]:
    """Every item of ``sources`` in order, then of the environment (when a
    prefix is given); with the pydantic-settings instances to register as
    providers and the keys they mark secret."""
    items: list[Item] = []
    settings: list[Any] = []
    secrets: list[str] = []
    for index, source in enumerate(sources, 1):
        if isinstance(source, Mapping):
            items.extend(_flatten_source(source, f"source #{index} (a dict)"))
        elif isinstance(source, (str, os.PathLike)):
            items.extend(_read_file(ConfigFile(source), env))
        elif isinstance(source, ConfigFile):
            items.extend(_read_file(source, env))
        elif _is_settings_class(source) or _is_settings_instance(source):
            instance = source() if isinstance(source, type) else source
            found, marked = settings_items(instance)
            items.extend(found)
            secrets.extend(marked)
            settings.append(instance)
        else:
            raise ConfigurationError(
                f"load_config() cannot read {source!r} (a {type(source).__name__})",
                hint="pass a dict, a file path (.toml, .json, .yaml, .env), a ConfigFile, "
                "or a pydantic-settings BaseSettings class",
            )
    if env.prefix is not None:
        variables = os.environ if environ is None else environ
        items.extend(env.items(variables, "environment variable {name}"))
    return items, settings, secrets


class ConfigStore:
    """A container's configuration: the merged tree, where each leaf came
    from, which keys are secret, and the values overridden for tests."""

    def __init__(self, container: Any) -> None:
        self.container = weakref.ref(container)
        self.lock = threading.RLock()
        self.tree: dict[str, Any] = {}
        self.sources: dict[str, str] = {}
        self.secrets: set[str] = set()
        #: Active ``override_value`` blocks, oldest first: (token, path, value).
        self.overrides: list[tuple[object, tuple[str, ...], Any]] = []
        #: What the container was last told, per key.
        self.published: dict[str, Any] = {}

    # -- reading -------------------------------------------------------
    def is_secret(self, key: str) -> bool:
        parts = key.split(".")
        prefixes = {".".join(parts[: i + 1]) for i in range(len(parts))}
        return looks_secret(key) or bool(prefixes & self.secrets)

    def shown(self, key: str, value: Any) -> str:
        """``value`` for messages: masked when ``key`` is secret."""
        if self.is_secret(key):
            return MASK
        text = repr(value)
        return text if len(text) <= 60 else text[:57] + "..."

    def source_of(self, key: str, raw: object = None) -> Optional[str]:
        with self.lock:
            for _token, path, _value in reversed(self.overrides):
                if ".".join(path) == key or key.startswith(".".join(path) + "."):
                    return "override_value()"
            found = self.sources.get(key)
            if found is not None:
                return found
            below = sorted({s for k, s in self.sources.items() if k.startswith(key + ".")})
            if len(below) == 1:
                return below[0]
            if below:
                return ", ".join(below)
            return None

    def keys(self) -> list[str]:
        return list(self.published)

    # -- changing ------------------------------------------------------
    def merge(self, items: list[Item]) -> None:
        """Put each item into the tree (copying the sections on the way,
        so a section that changed is a new dict and one that did not keeps
        its identity). A key that is a section in one source and a plain
        value in another is refused."""
        with self.lock:
            tree = self.tree
            for path, value, source in items:
                tree = _put(tree, path, value, source, self.sources)
                key = ".".join(path)
                self.sources[key] = source
                for known in [k for k in self.sources if k.startswith(key + ".")]:
                    if isinstance(value, Mapping):
                        continue
                    del self.sources[known]
            self.tree = tree

    def flat(self, with_overrides: bool = True) -> dict[str, Any]:
        """Every key of the tree: leaves and sections (dicts)."""
        with self.lock:
            tree = self.tree
            if with_overrides:
                for _token, path, value in self.overrides:
                    tree = _put(tree, path, value, "override_value()", None)
        found: dict[str, Any] = {}

        def walk(prefix: str, node: Mapping[str, Any]) -> None:
            for key, value in node.items():
                path = f"{prefix}.{key}" if prefix else str(key)
                found[path] = value
                if isinstance(value, Mapping):
                    walk(path, value)

        walk("", tree)
        return found


def _put(
    tree: dict[str, Any],
    path: tuple[str, ...],
    value: Any,
    source: str,
    sources: Optional[dict[str, str]],
) -> dict[str, Any]:
    """A copy of ``tree`` (sections on the path copied) with ``value`` at
    ``path``."""
    head, rest = path[0], path[1:]
    new = dict(tree)
    if not rest:
        new[head] = value
        return new
    below = tree.get(head)
    if below is None:
        below = {}
    elif not isinstance(below, Mapping):
        if sources is None:
            below = {}
        else:
            key = head
            where = sources.get(key, "an earlier source")
            raise ConfigurationError(
                f"{source} sets {'.'.join(path)!r}, but {key!r} is a plain value "
                f"(from {where}), not a section",
                key=".".join(path),
                source=source,
                hint="a key is either a value or a section of values, in every source",
            )
    new[head] = _put(dict(below), rest, value, source, _below(sources, head))
    return new


def _below(sources: Optional[dict[str, str]], head: str) -> Optional[dict[str, str]]:
    if sources is None:
        return None
    prefix = head + "."
    return {k[len(prefix):]: v for k, v in sources.items() if k.startswith(prefix)}
