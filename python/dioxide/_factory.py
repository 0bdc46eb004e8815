"""Factories: build a class from the caller's arguments plus injected ones."""

from __future__ import annotations

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


class Factory(Generic[T]):
    """Builds ``T`` from the arguments you pass; every parameter you leave
    out is resolved from its annotation, as for a component. Made by
    :meth:`Container.factory` and :meth:`ContainerScope.factory`::

        class MovieLister:
            def __init__(self, path: str, finder: MovieFinder) -> None: ...

        make_lister = container.factory(MovieLister)
        lister = make_lister("movies.csv")        # finder is injected
        other = make_lister(path="other.csv", finder=FakeFinder())

    Each call builds a new ``T`` (it is not cached whatever ``T``'s
    registration says) and resolves the missing parameters anew, with their
    own lifetimes, from where the factory was made: the container (a scoped
    dependency is then refused) or a scope. An argument that names no
    parameter, too many positional arguments, or a parameter left out that
    dioxide cannot inject (a ``str`` without a ``Value``) raise
    :class:`~dioxide.DioxideTypeError` before anything is built.

    With ``dioxide.mypy_plugin``, mypy checks the call against ``T``'s
    constructor (every parameter optional, since any may be injected);
    without it, the arguments are not checked statically.
    """

    __slots__ = ("_arguments", "_cls", "_names", "_positional", "_required", "_source")

    def __init__(self, source: Any, cls: type[T], frame: Optional[FrameType]) -> None:
        if not isinstance(cls, type):
            raise DioxideTypeError(
                f"factory() expects a class, got {cls!r}",
                hint="pass the class to build, e.g. container.factory(MovieLister)",
            )
        self._source = source
        self._cls = cls
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
        self._names = [p.name for p in parameters]
        self._positional = [
            p.name for p in parameters if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)
        ]
        self._required = {p.name: p.default is p.empty for p in parameters}
        self._arguments = Arguments(init, frame) if init else None

    def __call__(self, *args: Any, **kwargs: Any) -> T:
        """Build a new ``T`` from ``args``/``kwargs`` plus injected values."""
        where = f"factory({describe(self._cls)})"
        if len(args) > len(self._positional):
            raise DioxideTypeError(
                f"{where} takes at most {len(self._positional)} positional arguments "
                f"({', '.join(self._positional) or 'none'}), got {len(args)}",
                hint="pass the rest by keyword, or leave them out to inject them",
            )
        given = dict(zip(self._positional, args))
        for name, value in kwargs.items():
            if name not in self._required:
                raise DioxideTypeError(
                    f"{where} got an unexpected argument '{name}'",
                    hint=f"{describe(self._cls)}.__init__ takes "
                    f"{', '.join(self._names) or 'no arguments'}",
                )
            if name in given:
                raise DioxideTypeError(
                    f"{where} got two values for '{name}'",
                    hint="pass each argument once, by position or by keyword",
                )
            given[name] = value
        missing = [name for name in self._names if name not in given]
        if missing and self._arguments is not None:
            wanted = []
            for name in missing:
                try:
                    dependency = self._arguments.dependency(
                        name, describe(self._cls), not self._required[name]
                    )
                except DioxideTypeError as error:
                    raise DioxideTypeError(
                        f"{where} needs the argument '{name}': dioxide cannot inject it",
                        hint=f"pass {name}=... (the parameter is annotated with a type "
                        "dioxide does not inject by type)",
                    ) from error
                if dependency is not None:
                    wanted.append(name)
            if wanted:
                container = getattr(self._source, "_container", self._source)
                collector = self._arguments.collector(
                    container, frozenset(wanted), describe(self._cls)
                )
                given.update(self._source.resolve(collector))
        built: T = self._cls(**given)
        return built

    def __repr__(self) -> str:
        return f"<dioxide.Factory[{describe(self._cls)}]>"
