"""Resolving constructor chains: identity rules, diamonds, isolation."""

from __future__ import annotations

from dioxide import Container, Scope, component, singleton


def test_resolves_a_chain_from_type_hints(container: Container) -> None:
    @singleton
    class Config:
        def __init__(self) -> None:
            self.dsn = "sqlite://"

    @component
    class Database:
        def __init__(self, config: Config) -> None:
            self.config = config

    @component
    class UserService:
        def __init__(self, db: Database, config: Config) -> None:
            self.db = db
            self.config = config

    service = container.resolve(UserService)

    assert isinstance(service, UserService)
    assert isinstance(service.db, Database)
    assert service.db.config.dsn == "sqlite://"


def test_transient_gives_a_new_instance_each_time(container: Container) -> None:
    @component
    class Handler: ...

    assert container.resolve(Handler) is not container.resolve(Handler)


def test_singleton_is_built_once_per_container(container: Container) -> None:
    built = []

    @singleton
    class Config:
        def __init__(self) -> None:
            built.append(self)

    first = container.resolve(Config)

    assert container.resolve(Config) is first
    assert built == [first]


def test_singleton_shared_by_two_dependants_is_built_once(container: Container) -> None:
    built = []

    @singleton
    class Pool:
        def __init__(self) -> None:
            built.append(self)

    @component
    class Reader:
        def __init__(self, pool: Pool) -> None:
            self.pool = pool

    @component
    class Writer:
        def __init__(self, pool: Pool) -> None:
            self.pool = pool

    @component
    class Service:
        def __init__(self, reader: Reader, writer: Writer) -> None:
            self.reader = reader
            self.writer = writer

    service = container.resolve(Service)

    assert service.reader.pool is service.writer.pool
    assert len(built) == 1


def test_transient_in_a_diamond_is_built_per_injection(container: Container) -> None:
    @component
    class Clock: ...

    @component
    class Left:
        def __init__(self, clock: Clock) -> None:
            self.clock = clock

    @component
    class Right:
        def __init__(self, clock: Clock) -> None:
            self.clock = clock

    @component
    class Top:
        def __init__(self, left: Left, right: Right) -> None:
            self.left = left
            self.right = right

    top = container.resolve(Top)

    assert top.left.clock is not top.right.clock


def test_cached_singleton_does_not_rebuild_its_dependencies(container: Container) -> None:
    built: list[str] = []

    @component
    class Part:
        def __init__(self) -> None:
            built.append("part")

    @singleton
    class Whole:
        def __init__(self, part: Part) -> None:
            self.part = part

    container.resolve(Whole)
    container.resolve(Whole)

    assert built == ["part"]


def test_decorators_accept_arguments(container: Container) -> None:
    @component(scope=Scope.SINGLETON)
    class Cache: ...

    @singleton()
    class Settings: ...

    assert container.resolve(Cache) is container.resolve(Cache)
    assert container.resolve(Settings) is container.resolve(Settings)


def test_decorators_return_the_class_unchanged() -> None:
    class Plain:
        def __init__(self, value: int = 1) -> None:
            self.value = value

    assert component(Plain) is Plain
    assert Plain(value=3).value == 3


def test_parameter_with_default_keeps_it_when_nothing_is_registered(
    container: Container,
) -> None:
    class Unregistered: ...

    @component
    class Greeter:
        def __init__(self, clock: Unregistered | None = None, greeting: str = "hi") -> None:
            self.clock = clock
            self.greeting = greeting

    greeter = container.resolve(Greeter)

    assert greeter.clock is None
    assert greeter.greeting == "hi"


def test_parameter_with_default_is_injected_when_registered(container: Container) -> None:
    @singleton
    class Clock: ...

    @component
    class Greeter:
        def __init__(self, clock: Clock | None = None) -> None:
            self.clock = clock

    assert isinstance(container.resolve(Greeter).clock, Clock)


def test_container_sees_classes_decorated_after_it_was_created() -> None:
    container = Container()

    @component
    class Late: ...

    assert Late in container
    assert isinstance(container.resolve(Late), Late)


def test_containers_have_their_own_singletons() -> None:
    @singleton
    class Config: ...

    assert Container().resolve(Config) is not Container().resolve(Config)


def test_registering_in_one_container_never_shows_in_another() -> None:
    class Port: ...

    first, second = Container(), Container()
    first.register_instance(Port, Port())

    assert Port in first
    assert Port not in second


def test_register_class_binds_an_implementation(container: Container) -> None:
    class Repository: ...

    class SqlRepository(Repository): ...

    container.register_class(Repository, SqlRepository, scope=Scope.SINGLETON)

    repo = container.resolve(Repository)
    assert isinstance(repo, SqlRepository)
    assert container.resolve(Repository) is repo


def test_register_instance_is_returned_as_is(container: Container) -> None:
    class Config:
        def __init__(self, dsn: str) -> None:
            self.dsn = dsn

    config = Config("postgres://")
    container.register_instance(Config, config)

    assert container.resolve(Config) is config


def test_register_factory_autowires_its_parameters(container: Container) -> None:
    class Config:
        dsn = "sqlite://"

    class Database:
        def __init__(self, dsn: str) -> None:
            self.dsn = dsn

    def make_database(config: Config) -> Database:
        return Database(config.dsn)

    container.register_instance(Config, Config())
    container.register_factory(Database, make_database, scope=Scope.SINGLETON)

    db = container.resolve(Database)
    assert db.dsn == "sqlite://"
    assert container.resolve(Database) is db


def test_explicit_registration_overrides_a_decorated_class_in_that_container_only() -> None:
    @component
    class Mailer: ...

    class FakeMailer(Mailer): ...

    patched = Container()
    patched.register_class(Mailer, FakeMailer)

    assert isinstance(patched.resolve(Mailer), FakeMailer)
    assert type(Container().resolve(Mailer)) is Mailer


def test_contains_reports_registered_types(container: Container) -> None:
    class Known: ...

    class Unknown: ...

    container.register_class(Known)

    assert Known in container
    assert Unknown not in container


def test_dataclass_fields_are_injected(container: Container) -> None:
    from dataclasses import dataclass

    @singleton
    class Config: ...

    @component
    @dataclass
    class Service:
        config: Config
        retries: int = 3

    service = container.resolve(Service)
    assert isinstance(service.config, Config)
    assert service.retries == 3


def test_deep_chains_resolve_without_recursion_limits(container: Container) -> None:
    previous: type = object
    classes = []
    for index in range(2000):
        if previous is object:

            def init(self: object) -> None:
                pass

        else:
            dep = previous

            def init(self: object, dep: dep) -> None:  # type: ignore[valid-type]
                self.dep = dep  # type: ignore[attr-defined]

        cls = type(f"Layer{index}", (), {"__init__": init})
        container.register_class(cls)
        classes.append(cls)
        previous = cls

    top = container.resolve(classes[-1])

    depth = 0
    node = top
    while hasattr(node, "dep"):
        node = node.dep
        depth += 1
    assert depth == 1999
