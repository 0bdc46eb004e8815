"""Open generics: a generic provider registered once serves every
parametrisation (``resolve(Repository[User])``)."""

from __future__ import annotations

import asyncio
import sys
import threading
from typing import Annotated, Generic, Optional, Protocol, TypeVar

import pytest

from dioxide import Container, Named, Registry, Scope, component, singleton
from dioxide.exceptions import (
    CaptiveDependencyError,
    CircularDependencyError,
    DependencyNotRegisteredError,
    DioxideTypeError,
    ValidationError,
)

T = TypeVar("T")
K = TypeVar("K")
V = TypeVar("V")


class User: ...


class Order: ...


class Model: ...


class Customer(Model): ...


def _world(registry: Registry, *, repository_scope: Scope = Scope.SINGLETON) -> tuple[type, type]:
    @singleton(registry=registry)
    class Session: ...

    @component(registry=registry)
    class Serializer(Generic[T]):
        def __init__(self, model: type[T]) -> None:
            self.model = model

    @component(scope=repository_scope, registry=registry)
    class Repository(Generic[T]):
        def __init__(self, session: Session, model: type[T], serializer: Serializer[T]) -> None:
            self.session = session
            self.model = model
            self.serializer = serializer

    return Repository, Serializer


def test_one_generic_provider_serves_every_parametrisation() -> None:
    registry = Registry()
    Repository, _ = _world(registry)
    container = Container(registry=registry)

    users = container.resolve(Repository[User])
    orders = container.resolve(Repository[Order])

    assert isinstance(users, Repository)
    assert users.model is User
    assert orders.model is Order
    # Dependencies written in terms of T resolve for the concrete argument.
    assert users.serializer.model is User
    assert orders.serializer.model is Order
    assert users.session is orders.session
    assert Repository[User] in container
    assert Repository[Customer] not in container


def test_each_parametrisation_has_its_own_singleton() -> None:
    registry = Registry()
    Repository, _ = _world(registry)
    container = Container(registry=registry)

    users = container.resolve(Repository[User])
    assert container.resolve(Repository[User]) is users
    assert container.resolve(Repository[Order]) is not users
    # Another container builds its own.
    assert Container(registry=registry).resolve(Repository[User]) is not users


def test_a_parametrisation_is_a_dependency_like_a_class() -> None:
    registry = Registry()
    Repository, _ = _world(registry)

    @component(registry=registry)
    class Signup:
        def __init__(self, users: Repository[User], orders: Optional[Repository[Order]]) -> None:
            self.users = users
            self.orders = orders

    container = Container(registry=registry)
    signup = container.resolve(Signup)
    assert signup.users is container.resolve(Repository[User])
    assert signup.orders is not None and signup.orders.model is Order


def test_a_dependant_decorated_before_the_generic_class() -> None:
    registry = Registry()

    @component(registry=registry)
    class Uses:
        def __init__(self, box: Box[User]) -> None:
            self.box = box

    @component(registry=registry)
    class Box(Generic[T]):
        def __init__(self, kind: type[T]) -> None:
            self.kind = kind

    assert Container(registry=registry).resolve(Uses).box.kind is User


def test_an_explicit_parametrisation_wins_over_the_open_provider() -> None:
    registry = Registry()
    Repository, _ = _world(registry)

    class UserRepository(Repository[User]):  # type: ignore[misc,valid-type]
        def __init__(self) -> None:
            self.model = User

    container = Container(registry=registry)
    container.register_class(Repository[User], UserRepository)

    assert type(container.resolve(Repository[User])) is UserRepository
    assert type(container.resolve(Repository[Order])) is Repository


def test_a_subclass_declared_with_provides_wins() -> None:
    registry = Registry()

    @singleton(registry=registry)
    class Session: ...

    @component(registry=registry)
    class Repository(Generic[T]):
        def __init__(self, session: Session, model: type[T]) -> None:
            self.session = session
            self.model = model

    @component(provides=Repository[User], registry=registry)
    class UserRepository(Repository[User]):
        """Inherits the generic constructor: ``model`` receives User."""

    container = Container(registry=registry)
    found = container.resolve(Repository[User])
    assert type(found) is UserRepository
    assert found.model is User
    assert found.session is container.resolve(Session)
    assert type(container.resolve(Repository[Order])) is Repository


def test_a_generic_implementation_of_a_generic_interface() -> None:
    registry = Registry()

    class Repository(Generic[T]):
        def get(self) -> T:
            raise NotImplementedError

    @component(provides=Repository, registry=registry)
    class MemoryRepository(Repository[T]):
        def __init__(self, model: type[T]) -> None:
            self.model = model

    container = Container(registry=registry)
    found = container.resolve(Repository[User])
    assert isinstance(found, MemoryRepository)
    assert found.model is User
    assert container.resolve(MemoryRepository[Order]).model is Order  # type: ignore[misc]


def test_several_type_parameters() -> None:
    registry = Registry()

    @component(registry=registry)
    class Mapper(Generic[K, V]):
        def __init__(self, source: type[K], target: type[V]) -> None:
            self.source = source
            self.target = target

    @component(registry=registry)
    class Flipped(Mapper[V, K], Generic[K, V]):
        """Its parameters in the other order."""

    container = Container(registry=registry)
    mapper = container.resolve(Mapper[User, Order])
    assert (mapper.source, mapper.target) == (User, Order)
    flipped = container.resolve(Flipped[User, Order])  # type: ignore[misc]
    assert (flipped.source, flipped.target) == (Order, User)


def test_a_bound_is_checked() -> None:
    registry = Registry()
    Bounded = TypeVar("Bounded", bound=Model)

    @component(registry=registry)
    class Store(Generic[Bounded]):
        def __init__(self, model: type[Bounded]) -> None:
            self.model = model

    container = Container(registry=registry)
    assert container.resolve(Store[Customer]).model is Customer
    with pytest.raises(DioxideTypeError) as caught:
        container.resolve(Store[User])  # type: ignore[type-var]
    assert "Store[User]" in str(caught.value)
    assert "bound" in str(caught.value) and "Model" in str(caught.value)
    assert Store[User] not in container  # type: ignore[type-var]


def test_constraints_are_checked() -> None:
    registry = Registry()
    Number = TypeVar("Number", int, float)

    @component(registry=registry)
    class Parser(Generic[Number]):
        def __init__(self, kind: type[Number]) -> None:
            self.kind = kind

    container = Container(registry=registry)
    assert container.resolve(Parser[int]).kind is int
    with pytest.raises(DioxideTypeError, match="constrained"):
        container.resolve(Parser[str])  # type: ignore[type-var]


def test_an_open_parametrisation_is_refused() -> None:
    registry = Registry()
    Repository, _ = _world(registry)
    with pytest.raises(DioxideTypeError, match="type parameters"):
        Container(registry=registry).resolve(Repository[T])


def test_a_parametrisation_nothing_provides_names_the_generic() -> None:
    class Box(Generic[T]): ...

    registry = Registry()

    @component(registry=registry)
    class Uses:
        def __init__(self, box: Box[User]) -> None:
            self.box = box

    with pytest.raises(DependencyNotRegisteredError) as caught:
        Container(registry=registry).resolve(Uses)
    assert "Box[User]" in str(caught.value)
    assert "generic class Box" in (caught.value.hint or "")


def test_cycles_through_parametrisations_are_refused() -> None:
    registry = Registry()

    @component(registry=registry)
    class Left(Generic[T]):
        def __init__(self, right: Right[T]) -> None:
            self.right = right

    @component(registry=registry)
    class Right(Generic[T]):
        def __init__(self, left: Left[T]) -> None:
            self.left = left

    container = Container(registry=registry)
    with pytest.raises(CircularDependencyError) as caught:
        container.resolve(Left[User])
    assert "Left[User]" in str(caught.value) and "Right[User]" in str(caught.value)


def test_captive_dependencies_through_parametrisations_are_refused() -> None:
    registry = Registry()

    @component(scope=Scope.SCOPED, registry=registry)
    class Session: ...

    @singleton(registry=registry)
    class Cache(Generic[T]):
        def __init__(self, session: Session, model: type[T]) -> None:
            self.session = session

    with pytest.raises(CaptiveDependencyError) as caught:
        Container(registry=registry).resolve(Cache[User])
    assert "Cache[User]" in str(caught.value)


def test_validate_and_graph_show_parametrised_nodes() -> None:
    registry = Registry()
    Repository, _ = _world(registry)

    @component(registry=registry)
    class Signup:
        def __init__(self, users: Repository[User]) -> None:
            self.users = users

    container = Container(registry=registry)
    container.validate()
    graph = container.graph()
    assert "Repository[User]" in graph
    assert "Serializer[User]" in graph
    assert "Signup -->|users| Repository_User" in graph


def test_validate_reports_a_violated_bound() -> None:
    registry = Registry()
    Bounded = TypeVar("Bounded", bound=Model)

    @component(registry=registry)
    class Store(Generic[Bounded]):
        def __init__(self, model: type[Bounded]) -> None:
            self.model = model

    @component(registry=registry)
    class Uses:
        def __init__(self, store: Store[User]) -> None:  # type: ignore[type-var]
            self.store = store

    with pytest.raises(ValidationError) as caught:
        Container(registry=registry).validate()
    assert "bound" in str(caught.value)


def test_a_container_can_register_a_generic_class_itself() -> None:
    class Box(Generic[T]):
        def __init__(self, kind: type[T]) -> None:
            self.kind = kind

    container = Container(registry=Registry())
    container.register_class(Box, scope=Scope.SINGLETON)
    first = container.resolve(Box[User])
    assert first.kind is User
    assert container.resolve(Box[User]) is first
    assert container.resolve(Box[Order]).kind is Order


def test_register_instance_and_override_of_a_parametrisation() -> None:
    registry = Registry()
    Repository, _ = _world(registry)
    container = Container(registry=registry)

    class Fake: ...

    fake = Fake()
    with container.override(Repository[User], fake):
        assert container.resolve(Repository[User]) is fake
    assert isinstance(container.resolve(Repository[User]), Repository)

    other = Container(registry=registry)
    with pytest.raises(DioxideTypeError):
        other.register_instance(Repository[Order], Fake())  # type: ignore[arg-type]
    mine = Repository.__new__(Repository)
    other.register_instance(Repository[Order], mine)
    assert other.resolve(Repository[Order]) is mine


def test_named_and_listed_parametrisations() -> None:
    registry = Registry()

    class Handler(Generic[T]): ...

    @component(provides=Handler[User], name="email", registry=registry)
    class EmailHandler(Handler[User]): ...

    @component(provides=Handler[User], name="sms", registry=registry)
    class SmsHandler(Handler[User]): ...

    container = Container(registry=registry)
    handlers = container.resolve(list[Handler[User]])
    assert sorted(type(h).__name__ for h in handlers) == ["EmailHandler", "SmsHandler"]
    assert isinstance(container.resolve(Annotated[Handler[User], Named("sms")]), SmsHandler)


def test_profiles_pick_the_open_provider() -> None:
    registry = Registry()

    class Repository(Generic[T]): ...

    @component(provides=Repository, profile="prod", registry=registry)
    class SqlRepository(Repository[T]): ...

    @component(provides=Repository, profile="test", registry=registry)
    class MemoryRepository(Repository[T]): ...

    assert isinstance(Container(profile="prod", registry=registry).resolve(Repository[User]), SqlRepository)
    assert isinstance(
        Container(profile="test", registry=registry).resolve(Repository[User]), MemoryRepository
    )


def test_one_singleton_per_parametrisation_under_threads() -> None:
    registry = Registry()
    built: list[object] = []
    lock = threading.Lock()

    @singleton(registry=registry)
    class Repository(Generic[T]):
        def __init__(self, model: type[T]) -> None:
            self.model = model
            with lock:
                built.append(self)

    container = Container(registry=registry)
    threads_count = 16
    barrier = threading.Barrier(threads_count)
    results: list[tuple[type, object]] = []
    errors: list[BaseException] = []

    def work(index: int) -> None:
        model = User if index % 2 else Order
        try:
            barrier.wait()
            found = container.resolve(Repository[model])  # type: ignore[valid-type]
            with lock:
                results.append((model, found))
        except BaseException as error:  # pragma: no cover - reported below
            errors.append(error)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(threads_count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    assert len(built) == 2
    for model in (User, Order):
        instances = {id(found) for kind, found in results if kind is model}
        assert len(instances) == 1
    assert {found.model for _, found in results} == {User, Order}  # type: ignore[attr-defined]


@pytest.mark.skipif(sys.version_info < (3, 12), reason="PEP 695 syntax needs Python 3.12")
@pytest.mark.parametrize("future", ["", "from __future__ import annotations"])
def test_pep_695_generic_classes(future: str) -> None:
    source = future + '''
from dioxide import Container, Registry, component, singleton

registry = Registry()

class Model: ...
class User(Model): ...
class Other: ...

@singleton(registry=registry)
class Session: ...

@component(registry=registry)
class Serializer[T]:
    def __init__(self, model: type[T]) -> None:
        self.model = model

@component(registry=registry)
class Repository[T: Model]:
    def __init__(self, session: Session, model: type[T], serializer: Serializer[T]) -> None:
        self.model = model
        self.serializer = serializer
'''
    namespace: dict[str, object] = {"__name__": "pep695_world"}
    exec(compile(source, "<pep695>", "exec"), namespace)
    container = Container(registry=namespace["registry"])  # type: ignore[arg-type]
    Repository: object = namespace["Repository"]
    found = container.resolve(Repository[namespace["User"]])  # type: ignore[index]
    assert found.model is namespace["User"]
    assert found.serializer.model is namespace["User"]
    with pytest.raises(DioxideTypeError, match="bound"):
        container.resolve(Repository[namespace["Other"]])  # type: ignore[index]


def test_a_subclass_decorated_after_the_parametrisation_was_served_takes_it_over() -> None:
    registry = Registry()

    @singleton(registry=registry)
    class Repository(Generic[T]):
        def __init__(self, model: type[T]) -> None:
            self.model = model

    first = Container(registry=registry)
    assert type(first.resolve(Repository[User])) is Repository

    @singleton(provides=Repository[User], registry=registry)
    class UserRepository(Repository[User]): ...

    container = Container(registry=registry)
    found = container.resolve(Repository[User])
    assert type(found) is UserRepository
    assert found is container.resolve(UserRepository)
    assert found.model is User
    # A container made before sees the decoration at its next resolve.
    assert type(first.resolve(Repository[User])) is UserRepository


def test_a_generic_protocol_served_by_a_structural_implementation() -> None:
    registry = Registry()

    class Store(Protocol[T]):
        def all(self) -> list[T]: ...

    @component(provides=Store, registry=registry)
    class MemoryStore(Generic[T]):
        def __init__(self, model: type[T]) -> None:
            self.model = model

        def all(self) -> list[T]:
            return []

    found = Container(registry=registry).resolve(Store[User])
    assert isinstance(found, MemoryStore)
    assert found.model is User


def test_aresolve_and_scopes_resolve_parametrisations() -> None:
    registry = Registry()

    @component(scope=Scope.SCOPED, registry=registry)
    class Unit(Generic[T]):
        def __init__(self, model: type[T]) -> None:
            self.model = model

    container = Container(registry=registry)
    with container.create_scope() as scope:
        unit = scope.resolve(Unit[User])
        assert unit is scope.resolve(Unit[User])
        assert unit.model is User

        async def main() -> object:
            return await scope.aresolve(Unit[Order])

        assert asyncio.run(main()).model is Order  # type: ignore[attr-defined]


def test_generic_protocol_bases_are_markers_not_classes_to_map() -> None:
    # typing.Protocol, typing.Generic and (a class of its own before 3.12)
    # typing_extensions.Protocol say a class is generic; their parameters
    # are not mapped as a base's would be.
    import typing_extensions

    from dioxide._generics import class_mappings

    T = TypeVar("T")

    class Source(typing_extensions.Protocol[T]):
        def get(self) -> T: ...

    class Plain(Protocol[T]):
        def get(self) -> T: ...

    class Holder(Generic[T]):
        pass

    for cls in (Source, Plain, Holder):
        maps = class_mappings(cls, (int,))
        assert list(maps) == [cls]
        assert list(maps[cls].values()) == [int]
