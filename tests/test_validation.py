"""``container.validate()`` checks the whole wiring without building
anything and reports every problem at once; ``container.graph()`` draws it.

Decorated classes are seen by every container, so within the test suite a
container also sees the (sometimes deliberately broken) classes of other
tests: these tests look at the problems about their own classes, and the
exact text of a whole report is checked in a fresh interpreter.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
from abc import ABC
from typing import Annotated, Any

import pytest

from dioxide import (
    AmbiguousProviderError,
    CaptiveDependencyError,
    Container,
    DependencyNotRegisteredError,
    DioxideError,
    DioxideTypeError,
    Scope,
    ValidationError,
    Value,
    component,
    singleton,
)


def problems_about(container: Container, *types: Any) -> list[DioxideError]:
    """The problems ``validate()`` reports whose chain mentions ``types``."""
    try:
        container.validate()
    except ValidationError as error:
        return [p for p in error.errors if any(t in p.chain for t in types)]
    return []


def run_python(source: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(source)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_a_missing_provider_is_reported_with_the_chain_that_needs_it(
    container: Container,
) -> None:
    class Config: ...

    @component
    class Database:
        def __init__(self, config: Config) -> None: ...

    @component
    class UserService:
        def __init__(self, db: Database) -> None: ...

    [problem] = problems_about(container, UserService)

    assert isinstance(problem, DependencyNotRegisteredError)
    assert problem.chain == [UserService, Database, Config]
    assert problem.reason == (
        "cannot resolve UserService: Database needs Config for parameter 'config', "
        "but no provider is registered for it"
    )


def test_a_missing_value_is_reported(container: Container) -> None:
    @component
    class Database:
        def __init__(self, url: Annotated[str, Value("db_url")]) -> None: ...

    [problem] = problems_about(container, Database)

    assert isinstance(problem, DependencyNotRegisteredError)
    assert problem.reason == (
        'cannot resolve Database: Database needs the value "db_url" for parameter \'url\', '
        "but it is not set"
    )


def test_an_ambiguous_interface_is_reported_where_it_is_needed(container: Container) -> None:
    class Notifier(ABC): ...

    @component(provides=Notifier)
    class EmailNotifier(Notifier): ...

    @component(provides=Notifier)
    class SmsNotifier(Notifier): ...

    @component
    class Signup:
        def __init__(self, notifier: Notifier) -> None: ...

    [problem] = problems_about(container, Notifier)

    assert isinstance(problem, AmbiguousProviderError)
    assert problem.chain == [Signup, Notifier]
    assert problem.candidates == [EmailNotifier, SmsNotifier]


def test_an_interface_injected_only_as_a_list_is_not_a_problem(container: Container) -> None:
    class Plugin(ABC): ...

    @component(provides=Plugin)
    class Auth(Plugin): ...

    @component(provides=Plugin)
    class Audit(Plugin): ...

    @component
    class App:
        def __init__(self, plugins: list[Plugin]) -> None: ...

    assert problems_about(container, Plugin, Auth, Audit, App) == []


def test_a_captive_dependency_is_reported(container: Container) -> None:
    class RequestContext: ...

    @singleton
    class AuditLog:
        def __init__(self, request: RequestContext) -> None: ...

    container.register_class(RequestContext, scope=Scope.SCOPED)

    [problem] = problems_about(container, AuditLog)

    assert isinstance(problem, CaptiveDependencyError)
    assert problem.chain == [AuditLog, RequestContext]
    assert problem.reason == (
        "singleton AuditLog depends on scoped RequestContext: the singleton would keep "
        "the first scope's RequestContext alive in every later scope"
    )


def test_an_unresolved_forward_reference_is_reported(container: Container) -> None:
    @component
    class Report:
        def __init__(self, source: NeverDefined) -> None: ...  # noqa: F821

    [problem] = problems_about(container, Report)

    assert problem.reason == (
        "cannot resolve Report: the constructor of Report refers to 'NeverDefined', "
        "which is not defined"
    )


def test_every_problem_is_reported_at_once(container: Container) -> None:
    class Config: ...

    class Notifier(ABC): ...

    @component(provides=Notifier)
    class EmailNotifier(Notifier): ...

    @component(provides=Notifier)
    class SmsNotifier(Notifier): ...

    class RequestContext: ...

    @singleton
    class Checkout:
        def __init__(
            self,
            config: Config,
            url: Annotated[str, Value("payments_url")],
            notifier: Notifier,
            request: RequestContext,
        ) -> None: ...

    container.register_class(RequestContext, scope=Scope.SCOPED)

    problems = problems_about(container, Checkout)

    assert [(type(p), p.chain[-1]) for p in problems] == [
        (DependencyNotRegisteredError, Config),
        (DependencyNotRegisteredError, "payments_url"),
        (AmbiguousProviderError, Notifier),
        (CaptiveDependencyError, RequestContext),
    ]


def test_validate_builds_nothing(container: Container) -> None:
    built: list[str] = []

    @singleton
    class Engine:
        def __init__(self) -> None:
            built.append("Engine")

    @component
    class Car:
        def __init__(self, engine: Engine) -> None:
            built.append("Car")

    problems_about(container, Car)
    container.graph()

    assert built == []


def test_validation_error_is_a_dioxide_error_and_a_value_error() -> None:
    error = ValidationError([DependencyNotRegisteredError("no provider is registered for X")])

    assert isinstance(error, DioxideError)
    assert isinstance(error, ValueError)
    assert str(error) == "1 wiring problem found:\n1. no provider is registered for X"


def test_the_report_lists_every_problem_numbered() -> None:
    result = run_python(
        """
        from abc import ABC
        from typing import Annotated
        from dioxide import Container, ValidationError, Value, component

        class Config: ...
        class Notifier(ABC): ...

        @component(provides=Notifier)
        class EmailNotifier(Notifier): ...

        @component(provides=Notifier)
        class SmsNotifier(Notifier): ...

        @component
        class Checkout:
            def __init__(
                self, config: Config, url: Annotated[str, Value("url")], notifier: Notifier
            ) -> None: ...

        try:
            Container().validate()
        except ValidationError as error:
            print(error)
            print(len(error.errors))
        """
    )

    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == [
        "3 wiring problems found:",
        "1. cannot resolve Checkout: Checkout needs Config for parameter 'config', "
        "but no provider is registered for it",
        "     chain: Checkout -> Config",
        "     hint: decorate Config with @component or @singleton, or register it on the "
        "container with register_class(Config, ...), register_instance(Config, ...) or "
        "register_factory(Config, ...)",
        "2. cannot resolve Checkout: Checkout needs the value \"url\" for parameter 'url', "
        "but it is not set",
        '     chain: Checkout -> value "url"',
        '     hint: set it with container.register_value("url", ...)',
        "3. cannot resolve Checkout: Notifier has 2 implementations and nothing says which: "
        "EmailNotifier, SmsNotifier",
        "     chain: Checkout -> Notifier",
        '     hint: name them (@component(provides=Notifier, name="...")) and ask for one with '
        'Annotated[Notifier, Named("...")], register one explicitly with '
        "container.register_class(Notifier, ...), or inject list[Notifier] to get them all",
        "3",
    ]


def test_a_sound_wiring_validates_silently() -> None:
    result = run_python(
        """
        from abc import ABC
        from typing import Annotated
        from dioxide import Container, Value, component, singleton

        class Port(ABC): ...

        @singleton(provides=Port)
        class Adapter(Port):
            def __init__(self, url: Annotated[str, Value("url")]) -> None: ...

        @component
        class Service:
            def __init__(self, port: Port) -> None: ...

        container = Container()
        container.register_value("url", "sqlite://")
        container.validate()
        print("valid")
        """
    )

    assert result.returncode == 0, result.stderr
    assert result.stdout == "valid\n"


def graph_of(source: str, format: str = "mermaid") -> str:
    """The graph a fresh interpreter draws for ``container`` after ``source``."""
    result = run_python(
        textwrap.dedent(source) + f"\nprint(container.graph({format!r}), end='')\n"
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


PAYMENTS = """
from abc import ABC
from dioxide import Container, Scope, component, singleton

class PaymentPort(ABC): ...

@singleton(provides=PaymentPort)
class StripeGateway(PaymentPort): ...

@component(scope=Scope.SCOPED)
class Checkout:
    def __init__(self, payments: PaymentPort) -> None: ...

container = Container()
"""


def test_the_mermaid_graph_shows_lifetimes_parameters_and_interfaces() -> None:
    assert graph_of(PAYMENTS) == textwrap.dedent(
        """\
        graph TD
            StripeGateway["StripeGateway (singleton)"]
            PaymentPort["PaymentPort (interface)"]
            Checkout["Checkout (scoped: request)"]
            PaymentPort -.-> StripeGateway
            Checkout -->|payments| PaymentPort
        """
    )


def test_the_dot_graph_has_the_same_nodes_and_edges() -> None:
    assert graph_of(PAYMENTS, "dot") == textwrap.dedent(
        """\
        digraph dioxide {
            rankdir=TB;
            node [shape=box];
            "StripeGateway" [label="StripeGateway (singleton)"];
            "PaymentPort" [label="PaymentPort (interface)"];
            "Checkout" [label="Checkout (scoped: request)"];
            "PaymentPort" -> "StripeGateway" [style=dashed];
            "Checkout" -> "PaymentPort" [label="payments"];
        }
        """
    )


def test_the_tree_hangs_each_dependency_below_what_needs_it() -> None:
    assert graph_of(PAYMENTS, "tree") == textwrap.dedent(
        """\
        Checkout (scoped: request)
        └── payments: PaymentPort (interface)
            └── implemented by StripeGateway (singleton)
        """
    )


def test_the_tree_names_a_shared_dependency_again_without_its_subtree() -> None:
    graph = graph_of(
        """
        from dioxide import Container, Scope

        class Settings: ...

        class Database:
            def __init__(self, settings: Settings) -> None: ...

        class Users:
            def __init__(self, db: Database) -> None: ...

        class Orders:
            def __init__(self, db: Database, users: Users) -> None: ...

        class Missing: ...

        class App:
            def __init__(self, orders: Orders, users: Users, clock: Missing) -> None: ...

        container = Container()
        container.register_class(Settings, scope=Scope.SINGLETON)
        container.register_class(Database, scope=Scope.SINGLETON)
        for cls in (Users, Orders, App):
            container.register_class(cls)
        """,
        "tree",
    )

    assert graph == textwrap.dedent(
        """\
        App (transient)
        ├── orders: Orders (transient)
        │   ├── db: Database (singleton)
        │   │   └── settings: Settings (singleton)
        │   └── users: Users (transient)
        │       └── db: Database (singleton) [see above]
        ├── users: Users (transient) [see above]
        └── clock: Missing (not registered)
        """
    )


def test_the_graph_marks_what_is_missing_and_names_values() -> None:
    graph = graph_of(
        """
        from typing import Annotated
        from dioxide import Container, Value, component

        class Clock: ...

        @component
        class Mailer:
            def __init__(
                self,
                host: Annotated[str, Value("smtp_host")],
                port: Annotated[int, Value("smtp_port")],
                clock: Clock,
            ) -> None: ...

        container = Container()
        container.register_value("smtp_host", "localhost")
        """
    )

    assert graph == textwrap.dedent(
        """\
        graph TD
            Mailer["Mailer (transient)"]
            smtp_host["smtp_host = 'localhost' (value)"]
            smtp_port["smtp_port (value, not set)"]
            Clock["Clock (not registered)"]
            Mailer -->|host| smtp_host
            Mailer -->|port| smtp_port
            Mailer -->|clock| Clock
        """
    )


def test_the_graph_shows_explicit_implementations_names_and_collections() -> None:
    graph = graph_of(
        """
        from abc import ABC
        from typing import Annotated
        from dioxide import Container, Named, Scope, component

        class Plugin(ABC): ...

        @component(provides=Plugin)
        class Auth(Plugin): ...

        @component(provides=Plugin, name="audit")
        class Audit(Plugin): ...

        class Repository(ABC): ...
        class SqlRepository(Repository): ...

        @component
        class App:
            def __init__(
                self,
                plugins: list[Plugin],
                audit: Annotated[Plugin, Named("audit")],
                repository: Repository,
            ) -> None: ...

        container = Container()
        container.register_class(Repository, SqlRepository, scope=Scope.SINGLETON)
        """
    )

    assert graph == textwrap.dedent(
        """\
        graph TD
            Auth["Auth (transient)"]
            Plugin["Plugin (interface)"]
            Audit["Audit (transient)"]
            Plugin_audit["Plugin[audit] (interface)"]
            App["App (transient)"]
            list_Plugin["list[Plugin]"]
            Repository["Repository: SqlRepository (singleton)"]
            Plugin -.-> Auth
            Plugin_audit -.-> Audit
            App -->|plugins| list_Plugin
            App -->|audit| Plugin_audit
            App -->|repository| Repository
            list_Plugin -.-> Auth
            list_Plugin -.-> Audit
        """
    )


def test_classes_with_the_same_name_are_distinct_nodes() -> None:
    graph = graph_of(
        """
        from dioxide import Container, component

        def make_settings() -> type:
            @component
            class Settings: ...

            return Settings

        First, Second = make_settings(), make_settings()

        @component
        class App:
            def __init__(self, a: First, b: Second) -> None: ...

        container = Container()
        """
    )

    assert graph == textwrap.dedent(
        """\
        graph TD
            Settings["Settings (transient)"]
            Settings_2["Settings (transient)"]
            App["App (transient)"]
            App -->|a| Settings
            App -->|b| Settings_2
        """
    )


def test_quotes_in_labels_are_escaped() -> None:
    container = Container()
    container.register_value('say "hi"', "hello")
    mermaid = [line.strip() for line in container.graph().splitlines()]
    dot = [line.strip() for line in container.graph("dot").splitlines()]

    assert 'say_hi["say #quot;hi#quot; = \'hello\' (value)"]' in mermaid
    assert '"say_hi" [label="say \\"hi\\" = \'hello\' (value)"];' in dot


def test_an_unknown_graph_format_is_refused(container: Container) -> None:
    with pytest.raises(DioxideTypeError) as info:
        container.graph("svg")

    assert str(info.value).splitlines() == [
        "graph() supports 'mermaid', 'dot' and 'tree', got 'svg'",
        '  hint: call container.graph("mermaid"), graph("dot") or graph("tree")',
    ]
