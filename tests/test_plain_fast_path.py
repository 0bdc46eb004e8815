"""Decorating a plain class through the core's fast path changes nothing a
user can see.

``@component``/``@singleton`` on a plain class (default metaclass, no
``__new__``, an undecorated ``__init__`` whose parameters are annotated with
classes or their names) is read by the Rust core itself; everything else
takes the general Python path. Each case here is decorated both ways, in a
registry of its own, and must give the same graph and the same resolve
outcome: the same arguments, defaults kept alike, the same errors.
"""

from __future__ import annotations

from typing import Any, Callable

import pytest

from dioxide import Container, Registry, _introspect
from dioxide._registry import Registry as RegistryClass

HEADER = """\
{future}
import collections
from typing import Annotated, Optional
from dioxide import Named, component, singleton

@singleton(registry=REGISTRY)
class Dep: ...

@component(registry=REGISTRY)
class Other: ...

NotAClass = 42
"""

SIGNATURES = {
    "no parameters": "(self) -> None",
    "no __init__": None,
    "one dependency": "(self, dep: Dep) -> None",
    "defaults, keyword-only": "(self, dep: Dep, other: Other = None, *, more: Dep, "
    "last: Other = None) -> None",
    "default of an unregistered class": "(self, dep: Dep, missing: Missing = None) -> None",
    "itself, later": "(self, dep: Dep, again: Optional[Made] = None) -> None",
    "builtin value": "(self, dep: Dep, count: int = 3) -> None",
    "unannotated": "(self, dep: Dep, extra=1) -> None",
    "dotted": "(self, items: collections.OrderedDict) -> None",
    "not a class": "(self, dep: NotAClass) -> None",
    "subscript": "(self, deps: list[Dep]) -> None",
    "Annotated": "(self, dep: Annotated[Other, Named('x')]) -> None",
    "undefined": "(self, dep: Dep, later: Later) -> None",
    "varargs": "(self, *deps: Dep) -> None",
    "positional-only": "(self, dep: Dep, /) -> None",
    "keyword name": "(self, dep: 'None') -> None",
}

#: Cases the fast path takes (the others it leaves to the general path).
PLAIN = {"no parameters", "no __init__", "one dependency", "defaults, keyword-only"}

STRINGS_ONLY = {"undefined", "default of an unregistered class", "itself, later"}


def build(
    signature: str | None, future: bool, fast: bool, decorator: str
) -> tuple[Registry, type]:
    registry = Registry()
    header = HEADER.format(future="from __future__ import annotations" if future else "")
    if signature is None:
        body = "class Made:\n    pass\n"
    else:
        body = (
            f"class Made:\n    def __init__{signature}:\n"
            "        self.seen = {k: v for k, v in locals().items() if k != 'self'}\n"
        )
    source = f"{header}\n\n@{decorator}(registry=REGISTRY)\n{body}"
    namespace: dict[str, Any] = {"__name__": "tests._plain_module", "REGISTRY": registry}
    if fast:
        exec(compile(source, "<plain>", "exec", dont_inherit=True), namespace)  # noqa: S102
    else:
        original = RegistryClass._register_plain
        RegistryClass._register_plain = lambda *args: False  # type: ignore[method-assign]
        try:
            exec(compile(source, "<plain>", "exec", dont_inherit=True), namespace)  # noqa: S102
        finally:
            RegistryClass._register_plain = original  # type: ignore[method-assign]
    made: type = namespace["Made"]
    return registry, made


def outcome(read: Callable[[], Any]) -> tuple[str, Any]:
    try:
        return ("ok", read())
    except Exception as error:  # noqa: BLE001 - compared, not handled
        return (type(error).__name__, str(error))


def seen(registry: Registry, cls: type) -> Any:
    made = Container(registry=registry).resolve(cls)
    return {k: type(v).__name__ for k, v in getattr(made, "seen", {}).items()}


@pytest.mark.parametrize("decorator", ["component", "singleton"])
@pytest.mark.parametrize("future", [True, False], ids=["strings", "objects"])
@pytest.mark.parametrize("case", list(SIGNATURES))
def test_fast_and_general_paths_agree(case: str, future: bool, decorator: str) -> None:
    if not future and case in STRINGS_ONLY:
        pytest.skip("names a class defined later: only valid as a string annotation")
    results = []
    for fast in (True, False):
        try:
            registry, made = build(SIGNATURES[case], future, fast, decorator)
        except Exception as error:  # noqa: BLE001 - compared, not handled
            results.append(("decoration failed", type(error).__name__, str(error)))
            continue
        container = Container(registry=registry)
        results.append(
            (
                outcome(lambda: seen(registry, made)),  # noqa: B023 - called at once
                outcome(container.graph),
                outcome(container.validate),
            )
        )
    assert results[0] == results[1]
    if case in PLAIN:
        assert results[0][0][0] == "ok"


def test_plain_classes_skip_the_python_introspection(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("the general path read the class")

    monkeypatch.setattr(_introspect, "class_dependencies", refuse)
    registry, cls = build("(self, dep: Dep, *, other: Other) -> None", True, True, "component")

    made: Any = Container(registry=registry).resolve(cls)

    assert sorted(made.seen) == ["dep", "other"]


@pytest.mark.parametrize(
    "extra",
    [
        "class Meta(type): ...\n\n@component(registry=REGISTRY)\nclass Made(metaclass=Meta):\n"
        "    def __init__(self, dep: Dep) -> None: self.dep = dep\n",
        "@component(registry=REGISTRY)\nclass Made:\n    def __new__(cls, *a, **k):\n"
        "        return super().__new__(cls)\n"
        "    def __init__(self, dep: Dep) -> None: self.dep = dep\n",
        "import functools\ndef wrap(f):\n    @functools.wraps(f)\n"
        "    def inner(*a, **k): return f(*a, **k)\n    return inner\n\n"
        "@component(registry=REGISTRY)\nclass Made:\n    @wrap\n"
        "    def __init__(self, dep: Dep) -> None: self.dep = dep\n",
    ],
    ids=["metaclass", "__new__", "wrapped __init__"],
)
def test_classes_that_are_not_plain_take_the_general_path(extra: str) -> None:
    registry = Registry()
    namespace: dict[str, Any] = {"__name__": "tests._plain_module", "REGISTRY": registry}
    source = HEADER.format(future="") + "\n" + extra
    exec(compile(source, "<plain>", "exec", dont_inherit=True), namespace)  # noqa: S102

    made = Container(registry=registry).resolve(namespace["Made"])

    assert isinstance(made.dep, namespace["Dep"])
