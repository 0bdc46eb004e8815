"""Classes dioxide cannot build are refused when registered, not when resolved.

Builtins, Enums, Protocols, abstract classes, NamedTuples and classes built
only by a ``__new__`` with parameters are each refused by ``@component``,
``@singleton`` and ``register_class()`` with a ``DioxideTypeError`` that
names the class and says what to register instead. Every class here is
defined inside its test, and decorated only inside a private decorator
registry, so nothing reaches other tests even if a refusal regressed.
"""

from __future__ import annotations

import collections
import dataclasses
import enum
from abc import ABC, abstractmethod
from collections.abc import Callable
from typing import Annotated, Any, Generic, NamedTuple, Protocol, TypeVar

import pydantic
import pytest
import typing_extensions

from dioxide import (
    Container,
    DioxideTypeError,
    Scope,
    Value,
    component,
    provider,
    singleton,
)
from dioxide._kinds import check_shape

from tests.decorator_registry import fresh_decorator_registry

T = TypeVar("T")


# --- the bad shapes: each builds a fresh class -------------------------------


def named_tuple() -> type:
    class Point(NamedTuple):
        x: int
        y: int

    return Point


def collections_namedtuple() -> type:
    return collections.namedtuple("Pair", "left right")


def new_only() -> type:
    class Token:
        def __new__(cls, secret: str) -> Token:
            made = super().__new__(cls)
            made.secret = secret  # type: ignore[attr-defined]
            return made

    return Token


def new_only_with_default() -> type:
    class Counter:
        def __new__(cls, start: int = 0) -> Counter:
            return super().__new__(cls)

    return Counter


def protocol() -> type:
    class Greeter(Protocol):
        def greet(self) -> str: ...

    return Greeter


def extensions_protocol() -> type:
    class Greeter(typing_extensions.Protocol):
        def greet(self) -> str: ...

    return Greeter


def an_enum() -> type:
    class Color(enum.Enum):
        RED = 1
        GREEN = 2

    return Color


def abstract() -> type:
    class Store(ABC):
        @abstractmethod
        def get(self, key: str) -> str: ...

    return Store


#: shape -> (a class of that shape, words the message must hold, words the hint must hold)
BAD_SHAPES: dict[str, tuple[Callable[[], type], list[str], list[str]]] = {
    "NamedTuple": (named_tuple, ["Point", "NamedTuple", "__new__"], ["@provider", "-> Point"]),
    "namedtuple()": (collections_namedtuple, ["Pair", "NamedTuple"], ["@provider", "-> Pair"]),
    "__new__ only": (
        new_only,
        ["Token", "__new__(cls, secret)", "no __init__"],
        ["give it an __init__", "@provider", "-> Token"],
    ),
    "__new__ only, defaulted": (
        new_only_with_default,
        ["Counter", "__new__(cls, start)"],
        ["give it an __init__"],
    ),
    "Protocol": (protocol, ["Greeter", "Protocol"], ["provides=Greeter"]),
    "typing_extensions.Protocol": (
        extensions_protocol,
        ["Greeter", "Protocol"],
        ["provides=Greeter"],
    ),
    "Enum": (an_enum, ["Color", "Enum"], ["register_instance(Color, Color.RED)"]),
    "abstract": (abstract, ["Store", "abstract", "get"], ["provides=Store"]),
}

BUILTINS = [int, str, float, bool, bytes, object, type, list, dict, set, tuple, frozenset]


def decorate_component(cls: type) -> None:
    component(cls)


def decorate_component_with_options(cls: type) -> None:
    component(scope=Scope.SINGLETON)(cls)


def decorate_singleton(cls: type) -> None:
    singleton(cls)


def register_class(cls: type) -> None:
    Container().register_class(cls)


def register_class_as(cls: type) -> None:
    # The class is the implementation of some interface: still refused.
    Container().register_class(object, cls)


#: entry point -> (how to register a class there, the name the message uses)
ENTRY_POINTS: dict[str, tuple[Callable[[type], None], str]] = {
    "@component": (decorate_component, "@component"),
    "@component(...)": (decorate_component_with_options, "@component"),
    "@singleton": (decorate_singleton, "@singleton"),
    "register_class(C)": (register_class, "register_class()"),
    "register_class(I, C)": (register_class_as, "register_class()"),
}


def refused(register: Callable[[type], None], cls: type) -> DioxideTypeError:
    """Register ``cls`` in a private registry and return the refusal; check
    that nothing was registered."""
    with fresh_decorator_registry() as registry:
        with pytest.raises(DioxideTypeError) as info:
            register(cls)
        assert len(registry) == 0
        assert cls not in Container()
    return info.value


@pytest.mark.parametrize("entry", list(ENTRY_POINTS))
@pytest.mark.parametrize("shape", list(BAD_SHAPES))
def test_bad_shape_is_refused_where_it_is_registered(shape: str, entry: str) -> None:
    make, in_message, in_hint = BAD_SHAPES[shape]
    register, where = ENTRY_POINTS[entry]
    cls = make()

    error = refused(register, cls)

    assert isinstance(error, TypeError)
    assert error.requested is cls
    assert error.chain == [cls]
    assert error.reason.startswith(f"{where}: ")
    for words in in_message:
        assert words in error.reason
    assert error.hint is not None
    for words in in_hint:
        assert words in error.hint
    assert f"hint: {error.hint}" in str(error)


@pytest.mark.parametrize("entry", list(ENTRY_POINTS))
@pytest.mark.parametrize("builtin", BUILTINS, ids=lambda b: b.__name__)
def test_builtin_type_is_refused_with_a_value_hint(builtin: type, entry: str) -> None:
    register, where = ENTRY_POINTS[entry]

    error = refused(register, builtin)

    assert error.reason.startswith(f"{where}: {builtin.__name__} is a builtin type")
    assert error.hint is not None
    assert f"register_instance({builtin.__name__}, ...)" in error.hint
    assert "register_value(" in error.hint
    assert f"Annotated[{builtin.__name__}, Value(" in error.hint


def test_none_type_and_builtin_exceptions_are_builtins_too() -> None:
    for builtin in (type(None), ValueError):
        with pytest.raises(DioxideTypeError, match="is a builtin type"):
            check_shape(builtin, "register_class()")


def test_registering_a_protocol_as_the_implementation_of_a_port_is_refused() -> None:
    class Port(Protocol):
        def send(self) -> None: ...

    class Sender(Protocol):
        def send(self) -> None: ...

    with pytest.raises(DioxideTypeError) as info:
        Container().register_class(Port, Sender)

    assert info.value.reason == (
        "register_class(): Sender is a Protocol, an interface that cannot be instantiated"
    )
    assert info.value.requested is Sender


def test_refusal_comes_before_lifecycle_and_provides_checks() -> None:
    class Port: ...

    Point = named_tuple()
    with fresh_decorator_registry():
        with pytest.raises(DioxideTypeError, match="Point is a NamedTuple"):
            component(provides=Port, lifecycle=True)(Point)


def test_class_statement_fails_at_decoration_and_leaves_the_name_unbound() -> None:
    with fresh_decorator_registry() as registry:
        with pytest.raises(DioxideTypeError, match="@singleton: Settings is a NamedTuple"):

            @singleton
            class Settings(NamedTuple):
                dsn: str

        assert len(registry) == 0
    assert "Settings" not in locals()


def test_non_classes_are_left_to_the_callers_own_check() -> None:
    check_shape(len, "@component")  # type: ignore[arg-type]
    check_shape(5, "@component")  # type: ignore[arg-type]
    with pytest.raises(DioxideTypeError, match="@component decorates classes"):
        component(len)  # type: ignore[type-var]


# --- what stays allowed ------------------------------------------------------


def test_instances_of_refused_shapes_can_still_be_registered() -> None:
    Point = named_tuple()
    Color = an_enum()
    container = Container()

    container.register_instance(int, 5)
    container.register_instance(Point, Point(1, 2))
    container.register_instance(Color, Color.GREEN)
    container.register_value("port", 8080)

    assert container.resolve(int) == 5
    assert container.resolve(Point) == (1, 2)
    assert container.resolve(Color) is Color.GREEN


def test_a_provider_function_for_a_named_tuple_is_not_a_class_and_is_accepted() -> None:
    class Point(NamedTuple):
        x: int
        y: int

    class Origin:
        def __init__(self, x: Annotated[int, Value("x")]) -> None:
            self.x = x

    with fresh_decorator_registry():

        @provider
        def make_point(origin: Origin) -> Point:
            return Point(origin.x, 0)

        component(Origin)
        container = Container()
        container.register_value("x", 3)

        assert container.resolve(Point) == (3, 0)

    container = Container()
    container.register_factory(Point, lambda: Point(0, 0))
    assert container.resolve(Point) == (0, 0)


def legit_shapes() -> tuple[type, dict[str, tuple[type, Callable[[Any, Any], bool]]]]:
    """A fresh ``Dep`` class and classes that depend on it and are built
    fine, each with a check of the instance built (given the ``Dep``
    instance the container holds). Nothing is decorated here."""

    class Dep: ...
    @dataclasses.dataclass
    class Data:
        dep: Dep

    @dataclasses.dataclass(frozen=True)
    class Frozen:
        dep: Dep

    class Plain:
        def __init__(self, dep: Dep) -> None:
            self.dep = dep

    class NoInit: ...

    class Base:
        def __init__(self, dep: Dep) -> None:
            self.dep = dep

    class Inherits(Base): ...

    class Repo(Generic[T]):
        def __init__(self, dep: Dep) -> None:
            self.dep = dep

    class NewAndInit:
        def __new__(cls, *args: Any, **kwargs: Any) -> NewAndInit:
            return super().__new__(cls)

        def __init__(self, dep: Dep) -> None:
            self.dep = dep

    class NewWithParamsAndInit:
        def __new__(cls, dep: Dep) -> NewWithParamsAndInit:
            return super().__new__(cls)

        def __init__(self, dep: Dep) -> None:
            self.dep = dep

    class NewStarOnly:
        made = 0

        def __new__(cls, *args: Any, **kwargs: Any) -> NewStarOnly:
            cls.made += 1
            return super().__new__(cls)

    class InheritsNewAndInit(NewWithParamsAndInit): ...

    class Store(ABC):
        @abstractmethod
        def get(self) -> str: ...

    class MemoryStore(Store):
        def __init__(self, dep: Dep) -> None:
            self.dep = dep

        def get(self) -> str:
            return "x"

    class Greeter(Protocol):
        def greet(self) -> str: ...

    class Hello(Greeter):
        def greet(self) -> str:
            return "hello"

    class HelloWithDep(Greeter):
        def __init__(self, dep: Dep) -> None:
            self.dep = dep

        def greet(self) -> str:
            return "hi"

    class GreeterX(typing_extensions.Protocol):
        def greet(self) -> str: ...

    class HelloX(GreeterX):
        def greet(self) -> str:
            return "hello"

    class ProtocolFirst(Greeter, Base):
        def greet(self) -> str:
            return "first"

    class Failure(Exception): ...

    class Settings(dict[str, int]): ...

    def has_dep(made: Any, dep: Any) -> bool:
        return made.dep is dep

    def built(made: Any, dep: Any) -> bool:
        return True

    return Dep, {
        "dataclass": (Data, has_dep),
        "frozen dataclass": (Frozen, has_dep),
        "plain class": (Plain, has_dep),
        "no __init__": (NoInit, built),
        "inherited __init__": (Inherits, has_dep),
        "Generic class": (Repo, has_dep),
        "__new__(*args) and __init__": (NewAndInit, has_dep),
        "__new__(dep) and __init__": (NewWithParamsAndInit, has_dep),
        "__new__(*args) only": (NewStarOnly, lambda made, dep: type(made).made >= 1),
        "inherited __new__ and __init__": (InheritsNewAndInit, has_dep),
        "ABC implementation": (MemoryStore, has_dep),
        "Protocol implementation": (Hello, lambda made, dep: made.greet() == "hello"),
        "Protocol implementation with __init__": (HelloWithDep, has_dep),
        "typing_extensions Protocol implementation": (
            HelloX,
            lambda made, dep: made.greet() == "hello",
        ),
        "Protocol first, __init__ from a later base": (ProtocolFirst, has_dep),
        "Exception subclass": (Failure, lambda made, dep: made.args == ()),
        "dict subclass": (Settings, lambda made, dep: made == {}),
    }


LEGIT = list(legit_shapes()[1])


@pytest.mark.parametrize("entry", ["@component", "@singleton", "register_class()"])
@pytest.mark.parametrize("shape", LEGIT)
def test_buildable_shapes_are_accepted_and_built(shape: str, entry: str) -> None:
    # Dep is bound here: the string annotations naming it are read in this frame.
    Dep, shapes = legit_shapes()
    cls, check = shapes[shape]
    check_shape(cls, entry)
    with fresh_decorator_registry():
        singleton(Dep)
        container = Container()
        if entry == "@component":
            component(cls)
        elif entry == "@singleton":
            singleton(cls)
        else:
            container.register_class(cls)

        made = container.resolve(cls)

        assert isinstance(made, cls)
        assert check(made, container.resolve(Dep))


def test_a_pydantic_model_is_built_from_its_signature() -> None:
    # Its __init__(self, /, **data) says nothing; its __signature__ lists
    # the fields, and that is what dioxide reads.
    class Model(pydantic.BaseModel):
        name: str = "m"

    check_shape(Model, "@component")
    container = Container()
    container.register_class(Model)
    assert container.resolve(Model).name == "m"


def test_a_class_made_by_exec_is_not_mistaken_for_a_builtin() -> None:
    namespace: dict[str, Any] = {}
    exec("class Made:\n    pass\n", namespace)  # noqa: S102 - builds a test class
    made = namespace["Made"]
    assert made.__module__ == "builtins"

    check_shape(made, "@component")
    container = Container()
    container.register_class(made)
    assert isinstance(container.resolve(made), made)
