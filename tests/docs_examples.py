"""Run the examples of the docs: the parser and the runner behind tests/test_docs.py.

The pages are README.md and docs/**/*.md. Each page runs in a fresh
interpreter (decorated classes are registered process-wide, so pages must
not see each other's), in a temporary working directory, its ```python
blocks one after the other in one namespace, like a script. An HTML comment
on the line right before a fence changes what happens to it:

``<!-- output -->``
    on a ```text block: what the python block above it prints. When that
    block ends with an exception, the output ends with the exception as
    Python prints it under a traceback (``dioxide.exceptions.X: message``).
``<!-- new session -->``
    start a fresh interpreter before this block (each example of the error
    reference gets a registry of its own).
``<!-- file: NAME -->``
    write the block (in any language: a TOML file too) to NAME in the
    working directory instead of running it, for a later block, a test or a
    command to import.
``<!-- pytest -->``
    write the block as a test module and run pytest on it: it must pass.
``<!-- run -->``
    on a ```console block: run each ``$ command`` in the working directory;
    the lines up to the next ``$`` are its output (stdout and stderr).
``<!-- skip: why -->``
    do not run this block; the reason is required. For excerpts only.
``<!-- requires: module, ... -->``
    run this block only where these modules can be imported (another
    library's side of a migration guide, a recipe's database toolkit).
    ``make test`` installs them all, and ``test_docs`` then requires them.

Run as a script (``python tests/docs_examples.py SESSION.json RESULTS.json``)
this module is the runner of one session.
"""

from __future__ import annotations

import contextlib
import difflib
import functools
import importlib.util
import io
import json
import os
import re
import shlex
import subprocess
import sys
import traceback
import types
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Optional

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
PAGES = sorted([ROOT / "README.md", *DOCS.rglob("*.md")])

_FENCE = re.compile(r"^(`{3,})(\w*)\s*$")
_DIRECTIVE = re.compile(r"^<!--\s*(.*?)\s*-->\s*$")


@dataclass
class Block:
    """One fenced block of a page, with the directives above it."""

    page: str
    line: int  # of the first line of code (1-based)
    language: str
    code: str
    directives: dict[str, str] = field(default_factory=dict)
    expected: Optional[str] = None  # the <!-- output --> block that follows

    @property
    def where(self) -> str:
        return f"{self.page}:{self.line}"


def parse(page: Path) -> list[Block]:
    """The python and console blocks of ``page``, each with its directives
    and expected output."""
    lines = page.read_text(encoding="utf-8").split("\n")
    name = str(page.relative_to(ROOT))
    blocks: list[Block] = []
    index = 0
    while index < len(lines):
        fence = _FENCE.match(lines[index])
        if not fence:
            index += 1
            continue
        ticks, language = fence.groups()
        directives = _directives(lines, index)
        end = index + 1
        while end < len(lines) and lines[end].rstrip() != ticks:
            end += 1
        code = "\n".join(lines[index + 1 : end]) + "\n"
        block = Block(name, index + 2, language, code, directives)
        if "output" in directives:
            previous = blocks[-1] if blocks else None
            assert previous is not None and previous.language == "python", (
                f"{block.where}: an <!-- output --> block must follow a python block"
            )
            assert previous.expected is None, f"{block.where}: a second output block"
            previous.expected = code
        elif language in ("python", "console") or "file" in directives:
            blocks.append(block)
        index = end + 1
    return blocks


def _directives(lines: list[str], fence: int) -> dict[str, str]:
    found: dict[str, str] = {}
    above = fence - 1
    while above >= 0 and (match := _DIRECTIVE.match(lines[above])):
        key, _, value = match.group(1).partition(":")
        found[key.strip()] = value.strip()
        above -= 1
    return found


def required_modules(block: Block) -> list[str]:
    """The modules a block's ``<!-- requires: ... -->`` names."""
    names = block.directives.get("requires", "")
    return [name.strip() for name in names.split(",") if name.strip()]


def importable(module: str) -> bool:
    return importlib.util.find_spec(module) is not None


def sessions(blocks: list[Block]) -> list[list[Block]]:
    """The blocks to run, split where a block asks for a new session."""
    runnable = [
        block
        for block in blocks
        if "skip" not in block.directives
        and all(importable(module) for module in required_modules(block))
        and (
            block.language == "python"
            or "run" in block.directives
            or "file" in block.directives
        )
    ]
    split: list[list[Block]] = [[]]
    for block in runnable:
        if "new session" in block.directives and split[-1]:
            split.append([])
        split[-1].append(block)
    return [session for session in split if session]


# --- the runner (in a fresh interpreter per session) ----------------------------


def run_session(steps: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Run one session's blocks in order, in the current directory."""
    # The blocks run as the body of a script: a real ``__main__`` module, so
    # that what looks its namespace up (typing, pydantic, Flask's root path)
    # finds it.
    module = types.ModuleType("__main__")
    module.__file__ = str(Path.cwd() / "docs_example.py")
    sys.modules["__main__"] = module
    sys.path.insert(0, str(Path.cwd()))
    results = []
    for step in steps:
        block = Block(**step)
        if "file" in block.directives:
            Path(block.directives["file"]).write_text(block.code, encoding="utf-8")
            results.append({"output": "", "ok": True})
        elif "pytest" in block.directives:
            results.append(_pytest(block))
        elif block.language == "console":
            results.append(_console(block))
        else:
            results.append(_execute(block, module.__dict__))
    return results


def _execute(block: Block, namespace: dict[str, Any]) -> dict[str, Any]:
    # Padded so that tracebacks give the line in the page.
    code = compile("\n" * (block.line - 1) + block.code, block.page, "exec")
    captured = io.StringIO()
    raised: Optional[str] = None
    text = ""
    with contextlib.redirect_stdout(captured):
        try:
            exec(code, namespace)
        except Exception as error:  # noqa: BLE001 - reported to the parent
            raised = f"{type(error).__module__}.{type(error).__qualname__}"
            text = "".join(traceback.format_exception_only(type(error), error))
            if block.expected is None:  # not expected: the whole traceback, to debug
                text = "".join(traceback.format_exception(type(error), error, error.__traceback__))
    return {"output": captured.getvalue() + text, "raised": raised, "ok": raised is None}


def _pytest(block: Block) -> dict[str, Any]:
    test_file = Path(f"test_{Path(block.page).stem.replace('-', '_')}_{block.line}.py")
    test_file.write_text(block.code, encoding="utf-8")
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(test_file)],
        capture_output=True,
        text=True,
        check=False,
    )
    return {"output": result.stdout + result.stderr, "ok": result.returncode == 0}


def _console(block: Block) -> dict[str, Any]:
    output: list[str] = []
    env = {**os.environ, "NO_COLOR": "1", "PYTHONPATH": str(Path.cwd())}
    for line in block.code.splitlines():
        if not line.startswith("$ "):
            continue
        command = shlex.split(line[2:])
        if command[0] == "python":
            command[0] = sys.executable
        result = subprocess.run(
            command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env, check=False
        )
        output.append(line + "\n" + result.stdout)
    return {"output": "".join(output), "ok": True}


# --- the parent: run a page's sessions, compare what they print ---------------


@functools.lru_cache(maxsize=None)
def run_page(page: Path, workdir: Path) -> list[tuple[Block, dict[str, Any]]]:
    """Run every session of ``page``; each block with its result."""
    ran: list[tuple[Block, dict[str, Any]]] = []
    for number, session in enumerate(sessions(parse(page))):
        cwd = workdir / f"session{number}"
        cwd.mkdir(parents=True)
        (cwd / "session.json").write_text(json.dumps([asdict(b) for b in session]))
        process = subprocess.run(
            [sys.executable, __file__, "session.json", "results.json"],
            cwd=cwd,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert process.returncode == 0, (
            f"{session[0].where}: the session crashed\n{process.stdout}{process.stderr}"
        )
        results = json.loads((cwd / "results.json").read_text())
        ran.extend(zip(session, results))
    return ran


def _normalize(text: str) -> list[str]:
    return [line.rstrip() for line in text.rstrip().splitlines()]


def problems(ran: list[tuple[Block, dict[str, Any]]]) -> list[str]:
    """What went wrong, one entry per block."""
    found = []
    for block, result in ran:
        if "pytest" in block.directives and not result["ok"]:
            found.append(f"{block.where}: the test failed\n{result['output']}")
        elif block.expected is not None or block.language == "console":
            expected = block.expected if block.expected is not None else block.code
            if _normalize(result["output"]) != _normalize(expected):
                diff = "\n".join(
                    difflib.unified_diff(
                        _normalize(expected),
                        _normalize(result["output"]),
                        "the page says",
                        "it prints",
                        lineterm="",
                    )
                )
                found.append(f"{block.where}: the output differs\n{diff}")
        elif not result["ok"]:
            found.append(f"{block.where}: raised\n{result['output']}")
    return found


if __name__ == "__main__":
    session_file, results_file = sys.argv[1:3]
    steps = json.loads(Path(session_file).read_text())
    Path(results_file).write_text(json.dumps(run_session(steps)))
