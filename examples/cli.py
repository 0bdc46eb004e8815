"""A command-line tool whose commands are plain functions wired by `@inject`.

Each command asks for what it needs with `Inject[T]` and gets its other
arguments from the command line. Every run of a command opens a scope: the
`Catalog` unit of work is scoped, so one command sees one catalog, which is
saved when the command returns and discarded when it fails. The `Library`
storage is a singleton shared by every command of the process. An
`Exporter` needs a path only the caller knows plus the library: the
`export` command asks for a `Factory[Exporter]` and builds one per path,
with no hand-written factory function.

Run it with `python examples/cli.py add "Dune" "Neuromancer"`, then
`python examples/cli.py list` or `export books.txt` (the library is kept in
`library.txt` in the working directory), or `demo` for all of them in one
process (the default).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path

from dioxide import (
    INJECTED,
    Container,
    Factory,
    Inject,
    Registry,
    Scope,
    inject,
    provider,
    singleton,
)

registry = Registry()


@singleton(registry=registry)
class Library:
    """The storage every command shares: `library.txt`, one title a line."""

    def __init__(self) -> None:
        self.path = Path("library.txt")
        self.titles = self.path.read_text().splitlines() if self.path.exists() else []

    def save(self, titles: list[str]) -> None:
        self.titles = sorted(titles)
        self.path.write_text("".join(f"{title}\n" for title in self.titles))


class Catalog:
    """One command's unit of work over the library."""

    def __init__(self, library: Library) -> None:
        self.pending = list(library.titles)

    def add(self, title: str) -> None:
        if title in self.pending:
            raise ValueError(f"{title!r} is in the library already")
        self.pending.append(title)


@provider(scope=Scope.SCOPED, registry=registry)
def catalog(library: Library) -> Iterator[Catalog]:
    """Saved when the command returns, discarded when it raises."""
    unit = Catalog(library)
    try:
        yield unit
    except Exception:
        print("catalog: discarded")
        raise
    library.save(unit.pending)
    print(f"catalog: saved {len(library.titles)} titles")


class Exporter:
    """Writes the library to a path the caller chooses."""

    def __init__(self, path: str, library: Library) -> None:
        self.path = Path(path)
        self.library = library

    def write(self) -> int:
        self.path.write_text("".join(f"{title}\n" for title in self.library.titles))
        return len(self.library.titles)


container = Container(registry=registry)


@inject(container)
def add(titles: Sequence[str], catalog: Inject[Catalog] = INJECTED) -> None:
    """Add titles to the library."""
    for title in titles:
        catalog.add(title)
        print(f"added {title}")


@inject(container)
def list_titles(catalog: Inject[Catalog] = INJECTED) -> None:
    """Print the library."""
    for number, title in enumerate(catalog.pending, start=1):
        print(f"{number}. {title}")


@inject(container)
def export(
    path: str,
    exporters: Inject[Factory[Exporter]] = INJECTED,
    catalog: Inject[Catalog] = INJECTED,
) -> None:
    """Write the library to `path`."""
    count = exporters(path).write()
    print(f"exported {count} of {len(catalog.pending)} titles to {path}")


def demo(directory: Path) -> None:
    add(["Dune", "Neuromancer"])
    list_titles()
    try:
        add(["Dune"])
    except ValueError as error:
        print(f"error: {error}")
    export(str(directory / "books.txt"))
    print((directory / "books.txt").read_text().strip().replace("\n", ", "))


def main(argv: Sequence[str]) -> None:
    parser = argparse.ArgumentParser(prog="cli.py", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command")
    commands.add_parser("add", help=add.__doc__).add_argument("titles", nargs="+")
    commands.add_parser("list", help=list_titles.__doc__)
    commands.add_parser("export", help=export.__doc__).add_argument("path")
    commands.add_parser("demo", help="add, list and export in one process")
    arguments = parser.parse_args(argv)
    with container:
        if arguments.command == "add":
            add(arguments.titles)
        elif arguments.command == "list":
            list_titles()
        elif arguments.command == "export":
            export(arguments.path)
        else:
            demo(Path.cwd())


if __name__ == "__main__":
    main(sys.argv[1:])
