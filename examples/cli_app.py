"""The same command line twice, with Click and with Typer, wired by
dioxide: a scope per invocation, ``Inject[T]`` parameters kept off the
command line.

Run the self-check (invokes both with their CliRunner)::

    python examples/cli_app.py
"""

from __future__ import annotations

from collections.abc import Iterator

import click
import typer
from click.testing import CliRunner
from typer.testing import CliRunner as TyperRunner

from dioxide import Container, Scope
from dioxide import click as dioxide_click
from dioxide import typer as dioxide_typer


class Database:
    def __init__(self) -> None:
        self.users: dict[int, str] = {1: "ada", 2: "grace"}
        self.log: list[str] = []


class UnitOfWork:
    def __init__(self, db: Database) -> None:
        self.db = db


def unit_of_work(db: Database) -> Iterator[UnitOfWork]:
    db.log.append("begin")
    yield UnitOfWork(db)
    db.log.append("commit")


def wiring(log: list[str]) -> Container:
    container = Container()

    def database() -> Iterator[Database]:
        db = Database()
        yield db
        log.extend(db.log + ["database closed"])

    container.register_factory(Database, database, scope=Scope.SINGLETON)
    container.register_factory(UnitOfWork, unit_of_work, scope=Scope.SCOPED)
    return container


@click.group()
def cli() -> None:
    """Users, with Click."""


@cli.command()
@click.argument("user_id", type=int)
def show(user_id: int, work: dioxide_click.Inject[UnitOfWork]) -> None:
    click.echo(work.db.users.get(user_id, "unknown"))


app = typer.Typer(help="Users, with Typer.")


@app.command()
def count(work: dioxide_typer.Inject[UnitOfWork], verbose: bool = False) -> None:
    users = work.db.users
    typer.echo(", ".join(users.values()) if verbose else str(len(users)))


@app.command()
def version() -> None:
    typer.echo("1.0")


def main() -> None:
    click_log: list[str] = []
    dioxide_click.setup(cli, wiring(click_log))
    runner = CliRunner()
    print("click show 1:", runner.invoke(cli, ["show", "1"]).output.strip())
    print("click show 2:", runner.invoke(cli, ["show", "2"]).output.strip())
    print("click runs:", click_log)

    typer_log: list[str] = []
    dioxide_typer.setup(app, wiring(typer_log))
    typer_runner = TyperRunner()
    print("typer count:", typer_runner.invoke(app, ["count"]).output.strip())
    print("typer count --verbose:", typer_runner.invoke(app, ["count", "--verbose"]).output.strip())
    help_text = typer_runner.invoke(app, ["count", "--help"]).output
    print("'work' on the command line:", "work" in help_text.lower())
    print("typer runs:", typer_log)


if __name__ == "__main__":
    main()
