"""A resolve runs its compiled plan to the end whatever its constructors do
to the container meanwhile: the plan the container read without a lock is
lent for the resolve and outlives the container's own copy, and the plans
let go of meanwhile are dropped once no resolve runs one."""

from __future__ import annotations

import contextlib
import gc
import sys
from typing import Any

from dioxide import Container, Registry, Scope

#: Resolves before the plan is read from the lock-free table (the first
#: compiles it, the second enters it in the table).
WARM = 3


def fresh() -> tuple[Container, dict[str, Any]]:
    return Container(registry=Registry()), {}


def test_a_plan_whose_provider_is_replaced_by_its_own_constructor_still_builds() -> None:
    container, state = fresh()
    stack = contextlib.ExitStack()

    class Engine:
        def __init__(self) -> None:
            if state.get("replace"):
                state["replace"] = False
                # Replaces the provider of the class being built: its
                # compiled plan is dropped by the container mid-resolve.
                stack.enter_context(container.override(Car, ElectricCar))
                stack.enter_context(container.override(Wheel, SpareWheel))

    class Wheel:
        pass

    class SpareWheel(Wheel):
        pass

    class Car:
        def __init__(self, engine: Engine, wheel: Wheel) -> None:
            self.engine, self.wheel = engine, wheel

    class ElectricCar(Car):
        def __init__(self) -> None:
            pass

    for cls in (Engine, Wheel, Car):
        container.register_class(cls)
    for _ in range(WARM):
        assert type(container.resolve(Car)) is Car

    state["replace"] = True
    car = container.resolve(Car)

    # The running plan finished as compiled (after its Engine, a Wheel of
    # the plan it began with), and the next resolve uses the override.
    assert type(car) is Car and type(car.wheel) is Wheel
    assert type(container.resolve(Car)) is ElectricCar
    stack.close()
    assert type(container.resolve(Car)) is Car
    assert type(container.resolve(Car).wheel) is Wheel


def test_nested_resolves_and_registrations_inside_a_constructor() -> None:
    container, state = fresh()
    made: list[type] = []

    class Leaf:
        pass

    class Middle:
        def __init__(self, leaf: Leaf) -> None:
            self.leaf = leaf
            if state.get("register"):
                # Each registration empties the table; the inner resolves
                # borrow plans from it while the outer one runs.
                extra = type(f"Extra{len(made)}", (), {})
                made.append(extra)
                container.register_class(extra)
                self.extra = container.resolve(extra)
                self.again = container.resolve(Leaf)

    class Top:
        def __init__(self, middle: Middle, other: Middle) -> None:
            self.middle, self.other = middle, other

    for cls in (Leaf, Middle, Top):
        container.register_class(cls)
    for _ in range(WARM):
        container.resolve(Top)

    state["register"] = True
    for _ in range(20):
        top = container.resolve(Top)
        assert type(top.middle.extra) is made[-2] and type(top.other.extra) is made[-1]
        assert type(top.middle.again) is Leaf and top.middle.again is not top.middle.leaf
    assert len(made) == 40


def test_plans_let_go_of_mid_resolve_do_not_keep_their_classes() -> None:
    container, state = fresh()

    class Part:
        def __init__(self) -> None:
            if state.get("churn"):
                container.register_class(type("Churn", (), {}))

    class Whole:
        def __init__(self, part: Part) -> None:
            self.part = part

    container.register_class(Part)
    container.register_class(Whole)
    for _ in range(WARM):
        container.resolve(Whole)
    gc.collect()
    before = sys.getrefcount(Part), sys.getrefcount(Whole)

    state["churn"] = True
    for _ in range(50):
        container.resolve(Whole)
    state["churn"] = False
    for _ in range(WARM):
        container.resolve(Whole)
    gc.collect()

    # The plans compiled and retired along the way are gone: what refers to
    # the classes is what did before (the container's current plan).
    assert (sys.getrefcount(Part), sys.getrefcount(Whole)) == before


def test_a_scope_resolve_of_a_lent_plan_survives_the_container_changing() -> None:
    container, state = fresh()

    class Request:
        def __init__(self) -> None:
            if state.get("register"):
                container.register_class(type("Late", (), {}))

    class Handler:
        def __init__(self, request: Request) -> None:
            self.request = request

    container.register_class(Request, scope=Scope.SCOPED)
    container.register_class(Handler)
    for _ in range(WARM):
        with container.create_scope() as scope:
            scope.resolve(Handler)

    state["register"] = True
    with container.create_scope() as scope:
        handler = scope.resolve(Handler)
        assert handler.request is scope.resolve(Request)
