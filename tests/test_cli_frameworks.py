"""dioxide.click and dioxide.typer: a scope per command invocation,
``Inject[T]`` parameters filled and kept off the command line; through
their ``CliRunner``."""

from __future__ import annotations

from collections.abc import Iterator

import click
import pytest
import typer
from click.testing import CliRunner
from typer.testing import CliRunner as TyperRunner

from dioxide import Container, ResolutionError, Scope
from dioxide import click as dioxide_click
from dioxide import typer as dioxide_typer

from web_wiring import Database, Events, Repository, Session, record_events, wire


@pytest.fixture
def events(container: Container) -> Events:
    events = record_events(container)
    wire(container, events)
    return events


def test_click_commands_get_a_scope_per_invocation(container: Container, events: Events) -> None:
    @click.group()
    def cli() -> None:
        pass

    @cli.command()
    @click.argument("name")
    def greet(
        name: str,
        session: dioxide_click.Inject[Session],
        repo: dioxide_click.Inject[Repository],
        context: dioxide_click.Inject[click.Context],
    ) -> None:
        click.echo(f"{name} {repo.session is session} {context.info_name}")

    dioxide_click.setup(cli, container)
    runner = CliRunner()
    first = runner.invoke(cli, ["greet", "ada"])
    second = runner.invoke(cli, ["greet", "grace"])

    assert (first.output, second.output) == ("ada True greet\n", "grace True greet\n")
    assert events.log == ["session opened", "session closed"] * 2
    assert "session" not in runner.invoke(cli, ["greet", "--help"]).output
    assert dioxide_click.container_of(cli) is container


def test_click_singletons_are_finalized_after_each_run(container: Container) -> None:
    events = record_events(container)
    built: list[Database] = []

    def database() -> Iterator[Database]:
        built.append(Database())
        yield built[-1]
        events.log.append(f"database {len(built)} closed")

    container.register_factory(Database, database, scope=Scope.SINGLETON)

    @click.command()
    def show(db: dioxide_click.Inject[Database]) -> None:
        click.echo(str(built.index(db)))

    dioxide_click.setup(show, container)
    runner = CliRunner()
    assert runner.invoke(show, []).output == "0\n"
    assert runner.invoke(show, []).output == "1\n"
    assert events.log == ["database 1 closed", "database 2 closed"]


def test_a_command_error_is_thrown_into_its_scope(container: Container, events: Events) -> None:
    @click.command()
    def fail(session: dioxide_click.Inject[Session]) -> None:
        raise click.ClickException("no")

    dioxide_click.setup(fail, container)
    assert CliRunner().invoke(fail, []).exit_code == 1
    assert events.log == ["session opened", "session rolled back: ClickException"]


def test_typer_hides_injected_parameters_from_the_command_line(
    container: Container, events: Events
) -> None:
    app = typer.Typer()

    @app.command()
    def greet(
        name: str,
        session: dioxide_typer.Inject[Session],
        repo: dioxide_typer.Inject[Repository],
        loud: bool = False,
    ) -> None:
        text = f"{name} {repo.session is session}"
        typer.echo(text.upper() if loud else text)

    @app.command()
    def other(context: dioxide_typer.Inject[typer.Context]) -> None:
        typer.echo(context.info_name)

    dioxide_typer.setup(app, container)
    runner = TyperRunner()
    assert runner.invoke(app, ["greet", "ada"]).output == "ada True\n"
    assert runner.invoke(app, ["greet", "ada", "--loud"]).output == "ADA TRUE\n"
    assert runner.invoke(app, ["other"]).output == "other\n"
    help_text = runner.invoke(app, ["greet", "--help"]).output
    assert "--loud" in help_text and "session" not in help_text and "repo" not in help_text
    assert events.log == ["session opened", "session closed"] * 2
    assert dioxide_typer.container_of(app) is container


def test_typer_sub_apps_and_single_command_apps(container: Container, events: Events) -> None:
    app, users = typer.Typer(), typer.Typer()
    app.add_typer(users, name="users")

    @users.command("show")
    def show(user_id: int, repo: dioxide_typer.Inject[Repository]) -> None:
        typer.echo(f"user {user_id}")

    @app.command()
    def version() -> None:
        typer.echo("1.0")

    dioxide_typer.setup(app, container)
    assert TyperRunner().invoke(app, ["users", "show", "7"]).output == "user 7\n"
    assert events.log == ["session opened", "session closed"]


def test_container_of_without_setup_is_refused() -> None:
    with pytest.raises(ResolutionError, match="no dioxide container"):
        dioxide_typer.container_of(typer.Typer())
    with pytest.raises(ResolutionError, match="no dioxide container"):
        dioxide_click.container_of(click.Command("bare"))
