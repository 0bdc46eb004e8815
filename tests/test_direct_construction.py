"""Plain classes are built directly (``object.__new__``, then ``__init__``
called on the arguments in place; see src/bindings/construct.rs). Whatever
makes a class not plain must still be honoured exactly as calling the class
would: a metaclass ``__call__``, a ``__new__``, what ``__init_subclass__``
installs, and any change to ``__init__`` after the plan was compiled."""

from __future__ import annotations

import functools
from abc import ABCMeta
from typing import Any

import pytest
from dioxide import Container, Registry, Scope


def container_for(*classes: type, singletons: tuple[type, ...] = ()) -> Container:
    container = Container(registry=Registry())
    for cls in singletons:
        container.register_class(cls, scope=Scope.SINGLETON)
    for cls in classes:
        container.register_class(cls)
    return container


class Leaf:
    def __init__(self) -> None:
        self.made = True


def test_plain_classes_get_their_arguments_by_position_keyword_and_default() -> None:
    class Target:
        def __init__(self, leaf: Leaf, *, other: Leaf, flag: int = 3) -> None:
            self.leaf, self.other, self.flag = leaf, other, flag

    class Bare:
        pass

    container = container_for(Leaf, Target, Bare)
    target = container.resolve(Target)

    assert isinstance(target.leaf, Leaf) and target.leaf.made
    assert isinstance(target.other, Leaf) and target.other is not target.leaf
    assert target.flag == 3
    assert type(container.resolve(Bare)) is Bare


def test_an_init_that_returns_a_value_is_refused_as_calling_the_class_would() -> None:
    class Odd:
        def __init__(self) -> None:
            return 1  # type: ignore[return-value]

    with pytest.raises(TypeError) as by_hand:
        Odd()
    with pytest.raises(TypeError) as by_dioxide:
        container_for(Odd).resolve(Odd)

    assert str(by_dioxide.value) == str(by_hand.value)


def test_an_exception_from_init_propagates_and_the_instance_is_not_kept() -> None:
    class Failing:
        def __init__(self, leaf: Leaf) -> None:
            raise ValueError("no")

    container = container_for(Leaf, Failing)
    with pytest.raises(ValueError, match="no"):
        container.resolve(Failing)


def test_a_metaclass_call_is_honoured() -> None:
    class Counting(type):
        calls = 0

        def __call__(cls, *args: Any, **kwargs: Any) -> Any:
            Counting.calls += 1
            return super().__call__(*args, **kwargs)

    class Counted(metaclass=Counting):
        def __init__(self, leaf: Leaf) -> None:
            self.leaf = leaf

    container = container_for(Leaf, Counted)
    container.resolve(Counted)
    container.resolve(Counted)

    assert Counting.calls == 2


def test_a_metaclass_call_added_after_compiling_is_honoured() -> None:
    class Meta(ABCMeta):
        pass

    class Product(metaclass=Meta):
        def __init__(self, leaf: Leaf) -> None:
            self.leaf = leaf

    container = container_for(Leaf, Product)
    assert type(container.resolve(Product)) is Product  # compiled, built directly

    def call(cls: Any, *args: Any, **kwargs: Any) -> Any:
        return ("made by the metaclass", args)

    Meta.__call__ = call  # type: ignore[method-assign]
    made = container.resolve(Product)

    assert made[0] == "made by the metaclass" and isinstance(made[1][0], Leaf)


def test_a_new_is_honoured() -> None:
    class Interned:
        instance: Any = None

        def __new__(cls, leaf: Leaf) -> Any:
            if cls.instance is None:
                cls.instance = super().__new__(cls)
            return cls.instance

        def __init__(self, leaf: Leaf) -> None:
            self.leaf = leaf

    container = container_for(Leaf, Interned)

    assert container.resolve(Interned) is container.resolve(Interned)


def test_a_new_added_after_compiling_is_honoured() -> None:
    class Product:
        def __init__(self) -> None:
            pass

    container = container_for(Product)
    first = container.resolve(Product)
    Product.__new__ = lambda cls: first  # type: ignore[method-assign,assignment]

    assert container.resolve(Product) is first


def test_what_init_subclass_installs_is_honoured() -> None:
    made: list[str] = []

    class Tracked:
        def __init_subclass__(cls, **kwargs: Any) -> None:
            super().__init_subclass__(**kwargs)
            original = cls.__init__

            def __new__(klass: type, *args: Any, **kw: Any) -> Any:
                made.append(f"new {klass.__name__}")
                return object.__new__(klass)

            @functools.wraps(original)
            def __init__(self: Any, *args: Any, **kw: Any) -> None:
                made.append(f"init {cls.__name__}")
                original(self, *args, **kw)

            cls.__new__ = __new__  # type: ignore[method-assign,assignment]
            cls.__init__ = __init__  # type: ignore[method-assign]

    class Service(Tracked):
        def __init__(self, leaf: Leaf) -> None:
            self.leaf = leaf

    service = container_for(Leaf, Service).resolve(Service)

    assert isinstance(service.leaf, Leaf)
    assert made == ["new Service", "init Service"]


def test_init_subclass_that_changes_a_compiled_base_is_honoured() -> None:
    class Base:
        def __init__(self) -> None:
            self.how = "original"

        def __init_subclass__(cls, **kwargs: Any) -> None:
            super().__init_subclass__(**kwargs)

            def replaced(self: Any) -> None:
                self.how = "replaced when a subclass was defined"

            Base.__init__ = replaced  # type: ignore[method-assign]

    container = container_for(Base)
    assert container.resolve(Base).how == "original"

    class Later(Base):  # its definition replaces Base.__init__
        pass

    assert container.resolve(Base).how == "replaced when a subclass was defined"
    assert Later is not Base


def test_an_init_replaced_after_compiling_is_called() -> None:
    class Product:
        def __init__(self, leaf: Leaf) -> None:
            self.how = "original"

    container = container_for(Leaf, Product)
    assert container.resolve(Product).how == "original"

    def patched(self: Any, leaf: Leaf) -> None:
        self.how = "patched"

    Product.__init__ = patched  # type: ignore[method-assign]

    assert container.resolve(Product).how == "patched"


def test_an_init_replaced_on_a_base_after_compiling_is_called() -> None:
    class Base:
        def __init__(self, leaf: Leaf) -> None:
            self.how = "original"

    class Product(Base):
        pass

    container = container_for(Leaf, Product)
    assert container.resolve(Product).how == "original"

    def patched(self: Any, leaf: Leaf) -> None:
        self.how = "patched on the base"

    Base.__init__ = patched  # type: ignore[method-assign]

    assert container.resolve(Product).how == "patched on the base"


def test_a_singleton_built_directly_is_still_built_once() -> None:
    class Shared:
        count = 0

        def __init__(self) -> None:
            Shared.count += 1

    container = container_for(singletons=(Shared,))

    assert container.resolve(Shared) is container.resolve(Shared)
    assert Shared.count == 1
