"""Reading constructor hints by direct lookup gives what ``get_type_hints`` gives.

``resolve_hints`` looks plain names (``"Name"``, ``"module.Name"``) up in the
namespaces instead of ``eval``-ing them through ``typing.get_type_hints``,
and reads the dependencies of plain constructors straight from their code
object. Each case here is compared with the general path
(``_evaluated_hints`` and ``_read_dependencies``): same hints, same
dependencies, same exception with the same name or message.
"""

from __future__ import annotations

import collections
import sys
import typing
from collections.abc import Iterator, Mapping
from typing import Any, Callable, Optional

import pytest

from dioxide import _introspect
from dioxide._introspect import (
    UnresolvedReference,
    _evaluated_hints,
    _read_dependencies,
    class_dependencies,
    resolve_hints,
)

#: The direct lookups stand in for ``typing.get_type_hints`` up to Python
#: 3.13; from 3.14 (lazy annotations) every function takes the general path.
fast_path_only = pytest.mark.skipif(
    not _introspect._FAST_HINTS, reason="the direct lookups serve Python 3.11-3.13 only"
)

HEADER = """\
from __future__ import annotations
import collections
import typing
from typing import Annotated, Generic, Optional, Protocol, TypeVar
from dioxide import Named

class Dep: ...
class Other: ...
class Shadowed: ...
T = TypeVar("T")
Alias = Optional[Dep]
NotAClass = 42
"""

#: A signature per case, compiled in a module under ``from __future__
#: import annotations`` (every annotation a string) and in one without.
SIGNATURES = {
    "one global": "(self, dep: Dep) -> None",
    "several, defaults, keyword-only": (
        "(self, dep: Dep, other: Other = None, *, more: Dep, last: Other = None) -> None"
    ),
    "builtin name": "(self, count: int, name: str = 'x') -> None",
    "object and type": "(self, thing: object, kind: type = int) -> None",
    "dotted module name": "(self, items: collections.OrderedDict) -> None",
    "typing.Any": "(self, anything: typing.Any = None) -> None",
    "None return only": "(self) -> None",
    "no annotations": "(self, dep, other=1)",
    "undefined name": "(self, dep: Dep, later: Later) -> None",
    "undefined name first": "(self, later: Later, dep: Dep) -> None",
    "undefined module": "(self, dep: nowhere.Thing) -> None",
    "missing attribute": "(self, dep: collections.NoSuchThing) -> None",
    "name of a non-class": "(self, dep: NotAClass) -> None",
    "TypeVar": "(self, dep: T) -> None",
    "alias": "(self, dep: Alias) -> None",
    "Generic": "(self, dep: Generic) -> None",
    "Protocol": "(self, dep: Protocol) -> None",
    "keyword True": "(self, dep: True) -> None",
    "__debug__": "(self, dep: __debug__) -> None",
    "subscript": "(self, deps: list[Dep], maybe: Optional[Dep] = None) -> None",
    "union": "(self, dep: Dep | None = None) -> None",
    "Annotated": "(self, dep: Annotated[Dep, Named('x')]) -> None",
    "undefined in a subscript": "(self, deps: list[Later]) -> None",
    "spaces": "(self, dep: 'Dep ') -> None",
    "local shadows global": "(self, dep: Shadowed, other: LocalOnly) -> None",
    "positional-only": "(self, dep: Dep, /) -> None",
    "varargs": "(self, *deps: Dep) -> None",
    "varkw": "(self, **deps: Dep) -> None",
}


#: Cases that only compile, or only run, with string annotations.
STRINGS_ONLY = {
    "undefined name",
    "undefined name first",
    "undefined module",
    "missing attribute",
    "undefined in a subscript",
    "local shadows global",
} | ({"union"} if sys.version_info < (3, 10) else set())

CASES = [
    pytest.param(case, future, id=f"{case}-{'strings' if future else 'objects'}")
    for case in SIGNATURES
    for future in (True, False)
    if future or case not in STRINGS_ONLY
]


class Local:
    """Stands in for a class only the local namespace has."""


class LocalShadow:
    """What ``Shadowed`` names in the local namespace."""


class FrameLike(Mapping[str, Any]):
    """A read-only mapping like the registry's lazy frame namespace."""

    def __init__(self, names: dict[str, Any]) -> None:
        self.names = names
        self.reads = 0

    def __getitem__(self, name: str) -> Any:
        self.reads += 1
        return self.names[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self.names)

    def __len__(self) -> int:
        return len(self.names)


LOCALS: dict[str, Callable[[], Optional[Mapping[str, Any]]]] = {
    "no locals": lambda: None,
    "dict locals": lambda: {"LocalOnly": Local, "Shadowed": LocalShadow},
    "mapping locals": lambda: FrameLike({"LocalOnly": Local, "Shadowed": LocalShadow}),
}


def make_class(signature: str, future: bool) -> type:
    header = HEADER if future else HEADER.replace("from __future__ import annotations\n", "")
    source = f"{header}\nclass Made:\n    def __init__{signature}:\n        pass\n"
    namespace: dict[str, Any] = {"__name__": "tests._fast_hints_module"}
    exec(compile(source, "<fast-hints>", "exec", dont_inherit=True), namespace)  # noqa: S102
    made: type = namespace["Made"]
    return made


def outcome(read: Callable[[], Any]) -> tuple[str, Any]:
    """What ``read`` returns, or the type and text of what it raises."""
    try:
        return ("ok", read())
    except UnresolvedReference as error:
        return ("unresolved", error.name)
    except Exception as error:  # noqa: BLE001 - compared, not handled
        return (type(error).__name__, str(error))


@pytest.mark.parametrize("local", list(LOCALS))
@pytest.mark.parametrize(("case", "future"), CASES)
def test_hints_and_dependencies_match_the_general_path(
    case: str, future: bool, local: str
) -> None:
    init: Any = make_class(SIGNATURES[case], future).__init__

    fast = outcome(lambda: resolve_hints(init, LOCALS[local]()))
    general = outcome(lambda: _evaluated_hints(init, LOCALS[local]()))
    assert fast == general

    cls = make_class(SIGNATURES[case], future)
    fast_deps = outcome(lambda: class_dependencies(cls, LOCALS[local]()))
    general_deps = outcome(
        lambda: _read_dependencies(cls.__init__, "Made.__init__", None, True, LOCALS[local]())
    )
    assert fast_deps == general_deps


def test_undefined_names_are_reported_by_name() -> None:
    cls = make_class("(self, dep: Dep, later: Later) -> None", future=True)

    with pytest.raises(UnresolvedReference) as info:
        class_dependencies(cls)

    assert info.value.name == "Later"
    assert outcome(lambda: resolve_hints(cls.__init__, None)) == ("unresolved", "Later")


@fast_path_only
def test_plain_names_do_not_go_through_get_type_hints(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # (Defaults of None would take the general path before Python 3.11,
    # where get_type_hints makes their annotations Optional.)
    cls = make_class(
        "(self, dep: Dep, other: Other = 0, *, more: Dep, last: Other = 0) -> None", future=True
    )
    module = cls.__init__.__globals__

    def refuse(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("get_type_hints was called")

    monkeypatch.setattr(typing, "get_type_hints", refuse)
    deps = class_dependencies(cls, FrameLike({"LocalOnly": Local}))

    assert deps == [
        ("dep", module["Dep"], _introspect.REQUIRED, "type", None, True),
        ("other", module["Other"], _introspect.KEEP_DEFAULT, "type", None, True),
        ("more", module["Dep"], _introspect.REQUIRED, "type", None, False),
        ("last", module["Other"], _introspect.KEEP_DEFAULT, "type", None, False),
    ]


def test_a_local_name_wins_over_the_global_one() -> None:
    cls = make_class("(self, dep: Shadowed) -> None", future=True)
    local = FrameLike({"Shadowed": LocalShadow})

    assert resolve_hints(cls.__init__, local)["dep"] is LocalShadow
    assert resolve_hints(cls.__init__, None)["dep"] is cls.__init__.__globals__["Shadowed"]
    if _introspect._FAST_HINTS:
        # The direct lookup reads the name once (eval, from 3.14, may read it more).
        assert local.reads == 1


def test_wrapped_and_no_type_check_functions_take_the_general_path() -> None:
    cls = make_class("(self, dep: Dep) -> None", future=True)
    init: Any = cls.__init__
    wrapped: Any = lambda self, dep: None  # noqa: E731
    wrapped.__annotations__ = {"dep": "collections.OrderedDict"}
    wrapped.__wrapped__ = init

    assert resolve_hints(wrapped, None) == _evaluated_hints(wrapped, None)
    assert resolve_hints(typing.no_type_check(init), None) == {}
    assert collections.OrderedDict is resolve_hints(wrapped, None)["dep"]


@pytest.mark.parametrize(
    "text",
    [
        "Dep",
        "collections.OrderedDict",
        "collections.1x",
        "Dep ",
        " Dep",
        "Dep.",
        ".Dep",
        "Dep..x",
        "Dep.__name__",
        "Later.x",
        "None",
        "True",
        "lambda",
        "__debug__",
        "D\u00e9j\u00e0",
        "\ufb01le",
        "int",
        "len",
        "list[Dep]",
        "Dep | None",
    ],
)
def test_any_string_annotation_reads_as_get_type_hints_reads_it(text: str) -> None:
    cls = make_class("(self, dep: Dep) -> None", future=True)
    init: Any = cls.__init__
    init.__annotations__ = {"dep": text, "return": "None"}
    local = {"\u00e9": 1}

    for localns in (None, local, FrameLike(local)):
        fast = outcome(lambda: resolve_hints(init, localns))  # noqa: B023
        assert fast == outcome(lambda: _evaluated_hints(init, localns))  # noqa: B023
