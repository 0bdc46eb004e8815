"""The dioxide exception hierarchy.

Every exception dioxide raises derives from :class:`DioxideError` *and* from
the builtin a caller would catch without knowing dioxide (``KeyError`` for a
missing provider, ``ValueError`` for a refused registration, ...). Each one
carries its data as attributes (``requested``, ``chain``, ``hint``) and renders
it into a message that names the chain and says what to do::

    >>> from dioxide import Container
    >>> class Missing: ...
    >>> Container().resolve(Missing)
    Traceback (most recent call last):
    ...
    dioxide.exceptions.DependencyNotRegisteredError: no provider is registered for Missing
      hint: decorate Missing with @component or @singleton, ...
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Optional

from dioxide import _dioxide_core

__all__ = [
    "AmbiguousProviderError",
    "CaptiveDependencyError",
    "CircularDependencyError",
    "ConfigurationError",
    "DependencyNotRegisteredError",
    "DioxideError",
    "DioxideTypeError",
    "DuplicateRegistrationError",
    "ResolutionError",
    "ScopeError",
    "ValidationError",
]


class DioxideError(Exception):
    """Base class of every dioxide error.

    Attributes:
        reason: what went wrong, in one sentence.
        requested: the type whose resolution or registration failed, if any.
        chain: the types from ``requested`` to the one at fault.
        hint: what to do about it.
        message: the full text: reason, chain and hint, one per line.
    """

    #: Set where the reason already spells the chain out (a cycle), so the
    #: message does not repeat it on a ``chain:`` line.
    _chain_in_reason = False

    def __init__(
        self,
        message: str,
        *,
        requested: Optional[Any] = None,
        chain: Sequence[Any] = (),
        hint: Optional[str] = None,
        names: Optional[Sequence[str]] = None,
    ) -> None:
        self.reason = message
        self.requested = requested
        self.chain: list[Any] = list(chain)
        self.hint = hint
        self._names = list(names) if names is not None else [_describe(t) for t in self.chain]
        self.message = _render(message, [] if self._chain_in_reason else self._names, hint)
        super().__init__(self.message)

    def __str__(self) -> str:
        # KeyError would otherwise show the repr of the message, quotes and all.
        return self.message

    def __reduce__(self) -> tuple[Any, ...]:
        return (
            _rebuild,
            (type(self), self.reason, self.requested, self.chain, self.hint, self._names),
        )


def _describe(obj: object) -> str:
    """A short name for messages: the qualified name without ``<locals>``;
    a parametrised generic as ``Repository[User]``."""
    args = getattr(obj, "__args__", None)
    origin = getattr(obj, "__origin__", None)
    if (
        isinstance(args, tuple)
        and isinstance(origin, type)
        and not isinstance(obj, type)
        and not hasattr(obj, "__metadata__")
    ):
        return f"{_describe(origin)}[{', '.join(_describe(a) for a in args)}]"
    name = getattr(obj, "__qualname__", None) or getattr(obj, "__name__", None)
    if isinstance(name, str):
        return name.rsplit("<locals>.", 1)[-1]
    return repr(obj)


def _render(reason: str, names: Sequence[str], hint: Optional[str]) -> str:
    lines = [reason]
    if len(names) > 1:
        lines.append("  chain: " + " -> ".join(names))
    if hint:
        lines.append("  hint: " + hint)
    return "\n".join(lines)


def _rebuild(
    cls: type[DioxideError],
    message: str,
    requested: Any,
    chain: list[Any],
    hint: Optional[str],
    names: list[str],
) -> DioxideError:
    return cls(message, requested=requested, chain=chain, hint=hint, names=names)


class DependencyNotRegisteredError(DioxideError, KeyError):
    """No provider is registered for a type that is needed.

    ``chain`` runs from the requested type to the missing one, whose type is
    also available as ``missing``.
    """

    @property
    def missing(self) -> Any:
        """The type nobody provides (last in ``chain``)."""
        return self.chain[-1] if self.chain else self.requested


class DuplicateRegistrationError(DioxideError, ValueError):
    """A type was registered twice on the same container."""


class AmbiguousProviderError(DuplicateRegistrationError):
    """An interface has several implementations and nothing says which to use.

    ``candidates`` lists the implementing classes in registration order.
    """

    candidates: list[Any]

    def __reduce__(self) -> tuple[Any, ...]:
        # The core sets ``candidates`` after construction; carry it as state.
        return (*super().__reduce__(), {"candidates": list(getattr(self, "candidates", []))})


class CircularDependencyError(DioxideError, ValueError):
    """A registration would close a dependency cycle; it was refused.

    ``cycle`` lists the types in order, the first repeated at the end
    (``[A, B, A]``). The registry is left exactly as it was before.
    """

    _chain_in_reason = True

    @property
    def cycle(self) -> list[Any]:
        """The types around the cycle, first one repeated at the end."""
        return list(self.chain)


class ResolutionError(DioxideError, RuntimeError):
    """A type is registered but cannot be built the way it was asked for."""


class DioxideTypeError(DioxideError, TypeError):
    """Something that is not a valid type, provider or instance was passed."""


class ScopeError(DioxideError, RuntimeError):
    """A scoped type was used outside a scope, or a scope was used after closing."""


class CaptiveDependencyError(ScopeError):
    """A singleton would hold on to a scoped instance (a captive dependency)."""


class ConfigurationError(DioxideError, ValueError):
    """A configuration value cannot be read or converted: a source that
    cannot be loaded, or a value that does not convert to the type its
    parameter is annotated with.

    Attributes (beyond :class:`DioxideError`'s):
        key: the dotted key, e.g. ``"db.pool_size"`` (``None`` for a source).
        source: where the value came from (``"environment variable
            APP_DB__POOL_SIZE"``, ``"config.toml"``), if known.
        expected: the type it should convert to, if any.
        consumers: who needs it: ``"Database (parameter 'pool_size')"``.
    """

    def __init__(
        self,
        message: str,
        *,
        key: Optional[str] = None,
        source: Optional[str] = None,
        expected: Any = None,
        consumers: Sequence[str] = (),
        hint: Optional[str] = None,
    ) -> None:
        self.key = key
        self.source = source
        self.expected = expected
        self.consumers = list(consumers)
        super().__init__(message, hint=hint)
        if self.consumers:
            first, *rest = self.message.split("\n")
            needed = "  needed by: " + ", ".join(self.consumers)
            self.message = "\n".join([first, needed, *rest])
            self.args = (self.message,)

    def __reduce__(self) -> tuple[Any, ...]:
        return (
            _rebuild_configuration,
            (self.reason, self.key, self.source, self.expected, self.consumers, self.hint),
        )


def _rebuild_configuration(
    message: str,
    key: Optional[str],
    source: Optional[str],
    expected: Any,
    consumers: list[str],
    hint: Optional[str],
) -> ConfigurationError:
    return ConfigurationError(
        message, key=key, source=source, expected=expected, consumers=consumers, hint=hint
    )


class ValidationError(DioxideError, ValueError):
    """``container.validate()`` found wiring problems; ``errors`` holds one
    dioxide exception per problem, and the message lists them all."""

    def __init__(self, errors: Sequence[DioxideError]) -> None:
        self.errors = list(errors)
        count = len(self.errors)
        body = "\n".join(
            f"{index}. " + str(error).replace("\n", "\n   ")
            for index, error in enumerate(self.errors, 1)
        )
        super().__init__(
            f"{count} wiring problem{'s' if count != 1 else ''} found:\n{body}",
            hint=None,
        )

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (self.errors,))


_dioxide_core.install_exceptions(
    {
        cls.__name__: cls
        for cls in (
            DependencyNotRegisteredError,
            DuplicateRegistrationError,
            AmbiguousProviderError,
            CircularDependencyError,
            ResolutionError,
            DioxideTypeError,
            ScopeError,
            CaptiveDependencyError,
        )
    }
)
