"""``python -m dioxide``: check a container's wiring, or draw its graph.

Both commands take a target ``module:attribute``, where the attribute is a
:class:`~dioxide.Container` or a function called with no arguments that
returns one::

    python -m dioxide check app.main:container
    python -m dioxide graph app.main:create_container --format dot
    python -m dioxide graph app.main:container --output graph.svg
    python -m dioxide graph app.main:container --format png --output graph.png
    python -m dioxide graph app.main:container --format tree

Exit codes: 0 when all is well, 1 when the wiring has problems (or a graph
could not be rendered), 2 when the command line or the target is wrong.
"""

from __future__ import annotations

import argparse
import importlib
import inspect
import os
import shutil
import subprocess
import sys
import traceback
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Optional, TextIO, Union

from dioxide import __version__
from dioxide._container import Container
from dioxide._graph import FORMATS
from dioxide.exceptions import DioxideError, ValidationError

__all__ = ["main"]

EXIT_OK, EXIT_PROBLEMS, EXIT_USAGE = 0, 1, 2

#: ``--output`` suffixes written as text; any other suffix is rendered by Graphviz.
_TEXT_SUFFIXES = {
    ".mmd": "mermaid",
    ".mermaid": "mermaid",
    ".dot": "dot",
    ".gv": "dot",
    ".txt": "tree",
}
#: ``--format`` values Graphviz renders (any format ``dot -T`` knows works
#: through ``--output``'s suffix).
_IMAGE_FORMATS = ("svg", "png", "pdf")


class UsageError(Exception):
    """The command line or its target cannot be used (exit code 2)."""

    def __init__(self, message: str, hint: Optional[str] = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint


class WiringFailure(Exception):
    """Importing the target raised a dioxide error: the wiring is broken
    before there is a container to check (exit code 1)."""

    def __init__(self, error: DioxideError) -> None:
        super().__init__(str(error))
        self.error = error


@dataclass
class Style:
    """ANSI styling for one stream; every method is the identity without colour."""

    enabled: bool

    def _wrap(self, code: str, text: str) -> str:
        return f"\033[{code}m{text}\033[0m" if self.enabled else text

    def bold(self, text: str) -> str:
        return self._wrap("1", text)

    def dim(self, text: str) -> str:
        return self._wrap("2", text)

    def red(self, text: str) -> str:
        return self._wrap("1;31", text)

    def green(self, text: str) -> str:
        return self._wrap("1;32", text)

    def yellow(self, text: str) -> str:
        return self._wrap("33", text)


def use_colour(stream: TextIO, choice: str) -> bool:
    """Colour when asked to, or by default on a terminal unless ``NO_COLOR``
    is set (https://no-color.org)."""
    if choice != "auto":
        return choice == "always"
    if os.environ.get("NO_COLOR"):
        return False
    isatty = getattr(stream, "isatty", None)
    return bool(isatty and isatty())


def load_container(target: str) -> Container:
    """The container named by ``module:attribute`` (calling the attribute
    when it is a function)."""
    module_name, _, attribute = target.partition(":")
    if not module_name or not attribute:
        raise UsageError(
            f"invalid target {target!r}: expected module:attribute",
            hint="e.g. `python -m dioxide check app.main:container`",
        )
    if "" not in sys.path and os.getcwd() not in sys.path:
        sys.path.insert(0, os.getcwd())
    module = _import(module_name)
    value: object = module
    for part in attribute.split("."):
        try:
            value = getattr(value, part)
        except AttributeError:
            raise UsageError(
                f"module {module_name!r} has no attribute {attribute!r}",
                hint="name the container (or a function returning one) after the colon",
            ) from None
    if isinstance(value, Container):
        return value
    if not callable(value):
        raise UsageError(
            f"{target} is {value!r} ({type(value).__name__}), not a dioxide Container",
            hint="point at a Container, or at a function that returns one",
        )
    try:
        inspect.signature(value).bind()
    except TypeError:
        raise UsageError(
            f"{target} cannot be called without arguments",
            hint="point at a Container, or at a function that takes no arguments and returns one",
        ) from None
    except ValueError:  # pragma: no cover - builtins without a signature
        pass
    factory: Callable[[], object] = value
    result = _run(factory, f"calling {target}")
    if not isinstance(result, Container):
        raise UsageError(
            f"{target}() returned {type(result).__name__}, not a dioxide Container",
            hint="return the configured Container from the function",
        )
    return result


def _import(module_name: str) -> object:
    try:
        return importlib.import_module(module_name)
    except ModuleNotFoundError as missing:
        if missing.name is not None and (
            module_name == missing.name or module_name.startswith(missing.name + ".")
        ):
            raise UsageError(
                f"cannot import module {module_name!r}",
                hint="run from the directory that contains it, or add it to PYTHONPATH",
            ) from None
        raise _crashed(missing, f"importing {module_name}") from None
    except DioxideError as error:
        raise WiringFailure(error) from None
    except Exception as error:
        raise _crashed(error, f"importing {module_name}") from None


def _run(factory: Callable[[], object], what: str) -> object:
    """Call the user's factory: a dioxide error is a wiring problem,
    anything else means the target cannot be loaded."""
    try:
        return factory()
    except DioxideError as error:
        raise WiringFailure(error) from None
    except Exception as error:
        raise _crashed(error, what) from None


def _crashed(error: BaseException, what: str) -> UsageError:
    """The target's own code failed: say so, with its traceback."""
    details = "".join(traceback.format_exception(type(error), error, error.__traceback__))
    return UsageError(f"{what} raised {type(error).__name__}: {error}\n\n{details.rstrip()}")


def _problems(errors: Sequence[BaseException], style: Style) -> str:
    """Every problem numbered: its reason, then its chain and hint."""
    blocks = []
    for number, error in enumerate(errors, 1):
        message = str(error)
        reason = getattr(error, "reason", None)
        if isinstance(reason, str) and message.startswith(reason):
            head, rest = reason, message[len(reason):]
        else:
            head, rest = message, ""
        kind = style.dim(f"[{type(error).__name__}]")
        text = f"{style.red(f'{number}.')} {style.bold(head)} {kind}{rest}"
        blocks.append(text.replace("\n", "\n   "))
    return "\n\n".join(blocks)


def check(target: str, out: Style) -> tuple[int, str]:
    """Validate the target's container; exit code and report."""
    try:
        container = load_container(target)
    except WiringFailure as failure:
        header = out.red(f"{target}: 1 wiring problem, found while loading it")
        return EXIT_PROBLEMS, f"{header}\n\n{_problems([failure.error], out)}\n"
    try:
        container.validate()
    except ValidationError as invalid:
        count = len(invalid.errors)
        header = out.red(f"{target}: {count} wiring problem{'s' if count != 1 else ''}")
        return EXIT_PROBLEMS, f"{header}\n\n{_problems(invalid.errors, out)}\n"
    except DioxideError as error:  # e.g. a closed container: nothing to check
        header = out.red(f"{target}: cannot be checked")
        return EXIT_PROBLEMS, f"{header}\n\n{_problems([error], out)}\n"
    providers = len(container)
    summary = f"{providers} provider{'s' if providers != 1 else ''} checked"
    return EXIT_OK, f"{out.green(f'{target}: no wiring problems')} {out.dim(f'({summary})')}\n"


def graph(
    target: str, format: Optional[str], output: Optional[str], err: Style
) -> tuple[int, Union[str, bytes]]:
    """Print or write the target's dependency graph: exit code, and what
    goes to stdout (exit code 0: text, or an image's bytes) or to stderr (a
    failure, styled with ``err``)."""
    suffix = Path(output).suffix.lower() if output else ""
    image = _image_format(format, output, suffix)
    chosen = "dot" if image else (format or _TEXT_SUFFIXES.get(suffix) or "mermaid")
    try:
        container = load_container(target)
    except WiringFailure as failure:
        header = err.red(f"{target}: cannot draw the graph, loading it failed")
        return EXIT_PROBLEMS, f"{header}\n\n{_problems([failure.error], err)}\n"
    text = container.graph(chosen)
    if image:
        return _render(text, output, image, err)
    if output is None:
        return EXIT_OK, text
    Path(output).write_text(text, encoding="utf-8")
    return EXIT_OK, f"wrote {output} ({chosen})\n"


def _image_format(format: Optional[str], output: Optional[str], suffix: str) -> Optional[str]:
    """The format Graphviz renders, or None for text; refuses a command line
    that asks for both text and an image, or for an image on a terminal."""
    if format in _IMAGE_FORMATS:
        if output is not None and suffix not in ("", f".{format}"):
            raise UsageError(
                f"--format {format} does not match {output}",
                hint=f"write to a .{format} file, or drop --format to render by the suffix",
            )
        if output is None and sys.stdout.isatty():
            raise UsageError(
                f"--format {format} is an image, not text for a terminal",
                hint=f"add --output graph.{format}, or redirect the output to a file",
            )
        return format
    if output is None or suffix in _TEXT_SUFFIXES:
        return None
    if not suffix:
        raise UsageError(
            f"--output {output} has no suffix to choose a format",
            hint="use .svg, .png or .pdf to render with Graphviz; .mmd, .dot or .txt for text",
        )
    if format in ("mermaid", "tree"):
        raise UsageError(
            f"cannot render {output} from {'Mermaid' if format == 'mermaid' else 'a text tree'}: "
            "Graphviz renders DOT",
            hint=f"drop --format {format}, or write the text to a "
            f"{'.mmd' if format == 'mermaid' else '.txt'} file",
        )
    return suffix[1:]


def _render(
    dot_text: str, output: Optional[str], file_format: str, err: Style
) -> tuple[int, Union[str, bytes]]:
    """Graphviz renders ``dot_text`` into ``output``, or returns the image
    as bytes when there is no output file."""
    where = output or f"the {file_format.upper()} image"
    dot = shutil.which("dot")
    if dot is None:
        return EXIT_PROBLEMS, (
            f"{err.red('error:')} rendering {where} needs Graphviz's `dot` command, "
            "which is not on PATH\n"
            f"  {err.dim('hint:')} install Graphviz (https://graphviz.org/download/, "
            "e.g. `apt install graphviz` or `brew install graphviz`), or print the "
            "graph as text with --format dot, --format mermaid or --format tree\n"
        )
    into = ["-o", output] if output is not None else []
    result = subprocess.run(
        [dot, f"-T{file_format}", *into],
        input=dot_text.encode("utf-8"),
        capture_output=True,
        check=False,
    )
    if result.returncode != 0:
        return EXIT_PROBLEMS, (
            f"{err.red('error:')} Graphviz could not render {where} "
            f"(dot exited {result.returncode})\n"
            f"{result.stderr.decode('utf-8', 'replace').strip()}\n"
        )
    return EXIT_OK, f"wrote {output}\n" if output is not None else result.stdout


def _parser() -> argparse.ArgumentParser:
    colour: dict[str, Any] = {
        "choices": ("auto", "always", "never"),
        "default": "auto",
        "help": "colour the output: auto (default) on a terminal unless NO_COLOR is set",
    }
    parser = argparse.ArgumentParser(
        prog="python -m dioxide",
        description="Check a dioxide container's wiring, or draw its dependency graph.",
        epilog="TARGET is module:attribute, naming a Container or a function that returns one.",
    )
    parser.add_argument("--version", action="version", version=f"dioxide {__version__}")
    parser.add_argument("--color", **colour)
    # Accepted after the command too; SUPPRESS keeps the subcommand from
    # resetting a value given before it.
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--color", **{**colour, "default": argparse.SUPPRESS})
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    check_parser = commands.add_parser(
        "check",
        parents=[common],
        help="validate the wiring and list every problem (exit 1 if any)",
        description="Run container.validate() and print every wiring problem.",
    )
    check_parser.add_argument("target", metavar="TARGET", help="module:attribute")
    graph_parser = commands.add_parser(
        "graph",
        parents=[common],
        help="print the dependency graph (Mermaid, DOT or a text tree), or render it",
        description="Print the dependency graph, or write it to a file "
        "(.mmd/.dot/.txt as text; .svg, .png, .pdf, ... rendered by Graphviz's dot).",
    )
    graph_parser.add_argument("target", metavar="TARGET", help="module:attribute")
    graph_parser.add_argument(
        "--format",
        choices=(*FORMATS, *_IMAGE_FORMATS),
        help="mermaid (the default), dot, or tree (an indented tree for the terminal) as "
        "text; svg, png or pdf rendered by Graphviz (default: chosen by --output's suffix)",
    )
    graph_parser.add_argument(
        "--output", "-o", metavar="FILE", help="write to FILE instead of printing"
    )
    return parser


def main(argv: Optional[Sequence[str]] = None) -> int:
    """Run the command line; returns the exit code::

    raise SystemExit(main(["check", "app.main:container"]))
    """
    parser = _parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help(sys.stderr)
        return EXIT_USAGE
    out = Style(use_colour(sys.stdout, args.color))
    err = Style(use_colour(sys.stderr, args.color))
    text: Union[str, bytes]
    try:
        if args.command == "check":
            code, text = check(args.target, out)
        else:
            code, text = graph(args.target, args.format, args.output, err)
    except UsageError as usage:
        hint = f"\n  {err.dim('hint:')} {usage.hint}" if usage.hint else ""
        sys.stderr.write(f"{err.red('error:')} {usage.message}{hint}\n")
        return EXIT_USAGE
    if isinstance(text, bytes):  # an image, for a pipe or a redirection
        sys.stdout.buffer.write(text)
        sys.stdout.flush()
        return code
    (sys.stdout if code == EXIT_OK or args.command == "check" else sys.stderr).write(text)
    return code
