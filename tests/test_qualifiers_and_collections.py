"""Several implementations of one interface: told apart by name
(``Named``), refused when nothing says which, or injected all together
(``list[Interface]``).

Each test defines its own interface: decorated classes are seen by every
container, so a shared one would collect the implementations of every test.
"""

from __future__ import annotations

import pickle
from abc import ABC
from collections.abc import Sequence
from typing import Annotated, Optional

import pytest

from dioxide import (
    AmbiguousProviderError,
    Container,
    DependencyNotRegisteredError,
    DioxideError,
    DuplicateRegistrationError,
    Named,
    Scope,
    component,
    provider,
    singleton,
)


def test_a_named_parameter_gets_the_implementation_with_that_name(container: Container) -> None:
    class Cache(ABC): ...

    @component(provides=Cache, name="local")
    class LocalCache(Cache): ...

    @component(provides=Cache, name="redis")
    class RedisCache(Cache): ...

    @component
    class Catalog:
        def __init__(
            self,
            hot: Annotated[Cache, Named("local")],
            shared: Annotated[Cache, Named("redis")],
        ) -> None:
            self.hot = hot
            self.shared = shared

    catalog = container.resolve(Catalog)

    assert isinstance(catalog.hot, LocalCache)
    assert isinstance(catalog.shared, RedisCache)


def test_a_named_singleton_is_shared_by_everything_asking_for_its_name(
    container: Container,
) -> None:
    class Cache(ABC): ...

    @singleton(provides=Cache, name="local")
    class LocalCache(Cache): ...

    @component
    class Reader:
        def __init__(self, cache: Annotated[Cache, Named("local")]) -> None:
            self.cache = cache

    assert container.resolve(Reader).cache is container.resolve(Reader).cache
    assert container.resolve(Reader).cache is container.resolve(LocalCache)


def test_a_class_named_without_provides_is_asked_for_by_its_own_type(
    container: Container,
) -> None:
    @component(name="primary")
    class Database: ...

    @component
    class Repository:
        def __init__(self, db: Annotated[Database, Named("primary")]) -> None:
            self.db = db

    assert isinstance(container.resolve(Repository).db, Database)


def test_named_provider_functions_are_told_apart(container: Container) -> None:
    class Connection:
        def __init__(self, url: str) -> None:
            self.url = url

    @provider(name="reads")
    def replica() -> Connection:
        return Connection("replica")

    @provider(name="writes")
    def primary() -> Connection:
        return Connection("primary")

    @component
    class Repository:
        def __init__(
            self,
            reads: Annotated[Connection, Named("reads")],
            writes: Annotated[Connection, Named("writes")],
        ) -> None:
            self.urls = (reads.url, writes.url)

    assert container.resolve(Repository).urls == ("replica", "primary")


def test_a_name_nobody_registered_says_how_to_declare_it(container: Container) -> None:
    class Cache(ABC): ...

    @component(provides=Cache, name="local")
    class LocalCache(Cache): ...

    @component
    class Catalog:
        def __init__(self, cache: Annotated[Cache, Named("redis")]) -> None: ...

    with pytest.raises(DependencyNotRegisteredError) as info:
        container.resolve(Catalog)

    assert info.value.chain == [Catalog, Cache]
    assert str(info.value).splitlines() == [
        'cannot resolve Catalog: Catalog needs Cache["redis"] for parameter \'cache\', '
        "but no provider is registered for it",
        '  chain: Catalog -> Cache["redis"]',
        "  hint: give the implementation of Cache that name: "
        '@component(provides=Cache, name="redis")',
    ]


def test_an_interface_with_only_named_implementations_lists_the_names(
    container: Container,
) -> None:
    class Cache(ABC): ...

    @component(provides=Cache, name="local")
    class LocalCache(Cache): ...

    @component(provides=Cache, name="redis")
    class RedisCache(Cache): ...

    with pytest.raises(DependencyNotRegisteredError) as info:
        container.resolve(Cache)

    assert info.value.hint == (
        'every implementation of Cache has a name ("local", "redis"): ask for one with '
        'Annotated[Cache, Named("local")], or inject list[Cache] to get them all'
    )


def test_several_unnamed_implementations_are_ambiguous(container: Container) -> None:
    class Notifier(ABC): ...

    @component(provides=Notifier)
    class EmailNotifier(Notifier): ...

    @component(provides=Notifier)
    class SmsNotifier(Notifier): ...

    with pytest.raises(AmbiguousProviderError) as info:
        container.resolve(Notifier)

    error = info.value
    assert isinstance(error, DuplicateRegistrationError)
    assert isinstance(error, ValueError)
    assert isinstance(error, DioxideError)
    assert error.candidates == [EmailNotifier, SmsNotifier]
    assert str(error).splitlines() == [
        "Notifier has 2 implementations and nothing says which: EmailNotifier, SmsNotifier",
        '  hint: name them (@component(provides=Notifier, name="...")) and ask for one with '
        'Annotated[Notifier, Named("...")], register one explicitly with '
        "container.register_class(Notifier, ...), or inject list[Notifier] to get them all",
    ]


def test_an_ambiguous_dependency_names_the_chain(container: Container) -> None:
    class Notifier(ABC): ...

    @component(provides=Notifier)
    class EmailNotifier(Notifier): ...

    @component(provides=Notifier)
    class SmsNotifier(Notifier): ...

    @component
    class Signup:
        def __init__(self, notifier: Notifier) -> None: ...

    with pytest.raises(AmbiguousProviderError) as info:
        container.resolve(Signup)

    assert info.value.chain == [Signup, Notifier]
    assert info.value.reason == (
        "cannot resolve Signup: Notifier has 2 implementations and nothing says which: "
        "EmailNotifier, SmsNotifier"
    )


def test_an_optional_parameter_does_not_hide_an_ambiguity(container: Container) -> None:
    class Notifier(ABC): ...

    @component(provides=Notifier)
    class EmailNotifier(Notifier): ...

    @component(provides=Notifier)
    class SmsNotifier(Notifier): ...

    @component
    class Signup:
        def __init__(self, notifier: Optional[Notifier] = None) -> None: ...

    with pytest.raises(AmbiguousProviderError):
        container.resolve(Signup)


def test_an_explicit_registration_settles_an_ambiguity(container: Container) -> None:
    class Notifier(ABC): ...

    @component(provides=Notifier)
    class EmailNotifier(Notifier): ...

    @component(provides=Notifier)
    class SmsNotifier(Notifier): ...

    container.register_class(Notifier, SmsNotifier)

    assert isinstance(container.resolve(Notifier), SmsNotifier)


def test_a_list_parameter_gets_every_implementation_in_registration_order(
    container: Container,
) -> None:
    class Plugin(ABC): ...

    @component(provides=Plugin)
    class Auth(Plugin): ...

    @component(provides=Plugin)
    class Metrics(Plugin): ...

    @component(provides=Plugin)
    class Audit(Plugin): ...

    @component
    class App:
        def __init__(self, plugins: list[Plugin]) -> None:
            self.plugins = plugins

    plugins = container.resolve(App).plugins

    assert isinstance(plugins, list)
    assert [type(p) for p in plugins] == [Auth, Metrics, Audit]


def test_a_sequence_parameter_is_a_collection_too(container: Container) -> None:
    class Plugin(ABC): ...

    @component(provides=Plugin)
    class Auth(Plugin): ...

    @component(provides=Plugin)
    class Metrics(Plugin): ...

    @component
    class App:
        def __init__(self, plugins: Sequence[Plugin]) -> None:
            self.plugins = plugins

    assert [type(p) for p in container.resolve(App).plugins] == [Auth, Metrics]


def test_a_collection_includes_named_implementations(container: Container) -> None:
    class Cache(ABC): ...

    @component(provides=Cache, name="local")
    class LocalCache(Cache): ...

    @component(provides=Cache)
    class DiskCache(Cache): ...

    @component
    class Warmer:
        def __init__(self, caches: list[Cache]) -> None:
            self.caches = caches

    assert [type(c) for c in container.resolve(Warmer).caches] == [LocalCache, DiskCache]


def test_collection_members_keep_their_lifetimes(container: Container) -> None:
    class Plugin(ABC): ...

    @singleton(provides=Plugin)
    class Shared(Plugin): ...

    @component(provides=Plugin)
    class Fresh(Plugin): ...

    @component
    class App:
        def __init__(self, plugins: list[Plugin]) -> None:
            self.plugins = plugins

    first, second = container.resolve(App).plugins, container.resolve(App).plugins

    assert first[0] is second[0]
    assert first[1] is not second[1]


def test_a_collection_nobody_contributes_to_is_an_empty_list(container: Container) -> None:
    class Plugin(ABC): ...

    @component
    class App:
        def __init__(self, plugins: list[Plugin]) -> None:
            self.plugins = plugins

    assert container.resolve(App).plugins == []


def test_an_empty_collection_with_a_default_keeps_the_default(container: Container) -> None:
    class Plugin(ABC): ...

    defaults: tuple[Plugin, ...] = ()

    @component
    class App:
        def __init__(self, plugins: Sequence[Plugin] = defaults) -> None:
            self.plugins = plugins

    assert container.resolve(App).plugins is defaults


def test_a_collection_is_a_new_list_for_each_injection(container: Container) -> None:
    class Plugin(ABC): ...

    @singleton(provides=Plugin)
    class Auth(Plugin): ...

    @singleton
    class App:
        def __init__(self, plugins: list[Plugin]) -> None:
            self.plugins = plugins

    @component
    class Admin:
        def __init__(self, plugins: list[Plugin]) -> None:
            self.plugins = plugins

    app = container.resolve(App)
    container.resolve(Admin).plugins.clear()

    assert [type(p) for p in app.plugins] == [Auth]


def test_a_scoped_collection_member_is_one_per_scope(container: Container) -> None:
    class Plugin(ABC): ...

    @component(provides=Plugin, scope=Scope.SCOPED)
    class RequestLog(Plugin): ...

    @component(scope=Scope.SCOPED)
    class Handler:
        def __init__(self, plugins: list[Plugin]) -> None:
            self.plugins = plugins

    with container.create_scope() as scope:
        first = scope.resolve(Handler).plugins[0]
        assert scope.resolve(RequestLog) is first
    with container.create_scope() as scope:
        assert scope.resolve(RequestLog) is not first


def test_an_ambiguity_error_keeps_its_candidates_through_pickling() -> None:
    error = AmbiguousProviderError("Port has 2 implementations", hint="name them")
    error.candidates = [int, str]

    copy = pickle.loads(pickle.dumps(error))

    assert copy.candidates == [int, str]
    assert str(copy) == str(error)
