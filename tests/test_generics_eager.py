"""Open generics with annotations evaluated when defined (no
``from __future__ import annotations``; test_generics.py has it)."""

from typing import Generic, TypeVar

from dioxide import Container, Registry, Scope, component, singleton

T = TypeVar("T")


class User: ...


class Order: ...


def test_generic_dependencies_with_eager_annotations() -> None:
    registry = Registry()

    @singleton(registry=registry)
    class Session: ...

    @component(registry=registry)
    class Serializer(Generic[T]):
        def __init__(self, model: type[T]) -> None:
            self.model = model

    @component(scope=Scope.SINGLETON, registry=registry)
    class Repository(Generic[T]):
        def __init__(self, session: Session, model: type[T], serializer: Serializer[T]) -> None:
            self.session = session
            self.model = model
            self.serializer = serializer

    @component(provides=Repository[Order], registry=registry)
    class OrderRepository(Repository[Order]):
        """Inherits the generic constructor."""

    container = Container(registry=registry)
    users = container.resolve(Repository[User])
    assert (users.model, users.serializer.model) == (User, User)
    assert container.resolve(Repository[User]) is users
    orders = container.resolve(Repository[Order])
    assert type(orders) is OrderRepository
    assert (orders.model, orders.serializer.model) == (Order, Order)
