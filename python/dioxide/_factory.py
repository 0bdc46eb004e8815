"""Factories: build a class from the caller's arguments plus injected ones."""

from __future__ import annotations

import threading
import weakref
from types import FrameType
from typing import TYPE_CHECKING, Any, Generic, Optional, TypeVar

if TYPE_CHECKING:
    import inspect
else:
    from dioxide._lazy import inspect

from dioxide._arguments import Arguments
from dioxide._introspect import _own_init, describe
from dioxide.exceptions import DioxideTypeError

__all__ = ["Factory"]

T = TypeVar("T")


class _Constructor:
    """What a factory knows of a class's constructor, shared by every
    factory of that class (so each container registers one provider per
    set of injected parameters, however many factories are made)."""

    def __init__(self, cls: type, frame: Optional[FrameType]) -> None:
        init = _own_init(cls)
        parameters = list(inspect.signature(init).parameters.values())[1:] if init else []
        for parameter in parameters:
            if parameter.kind in (
                parameter.VAR_POSITIONAL,
                parameter.VAR_KEYWORD,
                parameter.POSITIONAL_ONLY,
            ):
                raise DioxideTypeError(
                    f"parameter '{parameter.name}' of {describe(cls)}.__init__ is "
                    f"{parameter.kind.description}: a factory passes arguments by name",
                    hint="list each parameter by name, without `*args`, `**kwargs` or `/`",
                )
        self.names = [p.name for p in parameters]
        self.positional = [
            p.name for p in parameters if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)
        ]
        self.required = {p.name: p.default is p.empty for p in parameters}
        self.arguments = Arguments(init, frame) if init else None


_CONSTRUCTORS: weakref.WeakKeyDictionary[type, _Constructor] = weakref.WeakKeyDictionary()
_LOCK = threading.Lock()


def _constructor(cls: object, frame: Optional[FrameType]) -> _Constructor:
    if not isinstance(cls, type):
        raise DioxideTypeError(
            f"factory() expects a class, got {cls!r}",
            hint="pass the class to build, e.g. container.factory(MovieLister)",
        )
    found = _CONSTRUCTORS.get(cls)
    if found is None:
        made = _Constructor(cls, frame)
        with _LOCK:
            found = _CONSTRUCTORS.setdefault(cls, made)
    return found


class Factory(Generic[T]):
    """Builds ``T`` from the arguments you pass; every parameter you leave
    out is resolved from its annotation, as for a component. Ask for one
    with :meth:`Container.factory` / :meth:`ContainerScope.factory`, or
    inject it: a parameter annotated ``Factory[T]`` (in a constructor, or
    ``Inject[Factory[T]]`` with ``@inject``) receives one bound to where
    its holder was built::

        class MovieLister:
            def __init__(self, path: str, finder: MovieFinder) -> None: ...

        make_lister = container.factory(MovieLister)
        lister = make_lister("movies.csv")        # finder is injected
        other = make_lister(path="other.csv", finder=FakeFinder())

        @component
        class Catalogue:
            def __init__(self, listers: Factory[MovieLister]) -> None:
                self.listers = listers

    Each call builds a new ``T`` (whatever ``T``'s registration says; ``T``
    need not be registered) and resolves the missing parameters anew, with
    their own lifetimes, from where the factory was made: the container (a
    scoped dependency is then refused) or a scope. An argument that names
    no parameter, too many positional arguments, or a parameter left out
    that dioxide cannot inject (a ``str`` without a ``Value``) raise
    :class:`~dioxide.DioxideTypeError` before anything is built.

    With ``dioxide.mypy_plugin``, mypy checks the call against ``T``'s
    constructor (every parameter optional, since any may be injected);
    without it, the arguments are not checked statically.
    """

    __slots__ = ("_cls", "_collectors", "_constructor", "_source")

    def __init__(self, source: Any, cls: type[T], frame: Optional[FrameType]) -> None:
        self._constructor = _constructor(cls, frame)
        self._source = source
        self._cls = cls
        #: Per set of parameters left out, the provider gathering those
        #: dioxide injects (None: it injects none of them).
        self._collectors: dict[frozenset[str], Any] = {}

    @classmethod
    def _bind(cls, core: Any) -> Factory[Any]:
        """The factory for an injected ``Factory[T]``: ``core`` is the
        Rust core's handle (``_RustDeferred``), bound to the holder's owner."""
        factory: Factory[Any] = cls(core, core.type, None)
        return factory

    def __call__(self, *args: Any, **kwargs: Any) -> T:
        """Build a new ``T`` from ``args``/``kwargs`` plus injected values."""
        constructor = self._constructor
        if len(args) > len(constructor.positional):
            raise DioxideTypeError(
                f"{self._where()} takes at most {len(constructor.positional)} positional arguments "
                f"({', '.join(constructor.positional) or 'none'}), got {len(args)}",
                hint="pass the rest by keyword, or leave them out to inject them",
            )
        given = dict(zip(constructor.positional, args))
        for name, value in kwargs.items():
            if name not in constructor.required:
                raise DioxideTypeError(
                    f"{self._where()} got an unexpected argument '{name}'",
                    hint=f"{describe(self._cls)}.__init__ takes "
                    f"{', '.join(constructor.names) or 'no arguments'}",
                )
            if name in given:
                raise DioxideTypeError(
                    f"{self._where()} got two values for '{name}'",
                    hint="pass each argument once, by position or by keyword",
                )
            given[name] = value
        missing = frozenset(name for name in constructor.names if name not in given)
        if missing and constructor.arguments is not None:
            if missing in self._collectors:
                collector = self._collectors[missing]
            else:
                collector = self._collector(constructor, constructor.arguments, missing)
                self._collectors[missing] = collector
            if collector is not None:
                given.update(self._source.resolve(collector))
        built: T = self._cls(**given)
        return built

    def _collector(
        self,
        constructor: _Constructor,
        arguments: Arguments,
        missing: frozenset[str],
    ) -> Any:
        """The provider gathering the ``missing`` parameters dioxide can
        inject (those with a default it cannot fill keep it), or None."""
        wanted = []
        for name in missing:
            try:
                dependency = arguments.dependency(
                    name, describe(self._cls), not constructor.required[name]
                )
            except DioxideTypeError as error:
                raise DioxideTypeError(
                    f"{self._where()} needs the argument '{name}': dioxide cannot inject it",
                    hint=f"pass {name}=... (the parameter is annotated with a type "
                    "dioxide does not inject by type)",
                ) from error
            if dependency is not None:
                wanted.append(name)
        if not wanted:
            return None
        container = getattr(self._source, "_container", self._source)
        return arguments.collector(container, frozenset(wanted), describe(self._cls))

    def _where(self) -> str:
        """How errors name this factory."""
        return f"factory({describe(self._cls)})"

    def __repr__(self) -> str:
        return f"<dioxide.Factory[{describe(self._cls)}]>"
