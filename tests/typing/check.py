"""The typing checks ``make typecheck`` runs (stubtest runs next to it).

Files in this folder follow a naming rule that says how each is checked:

- ``pass_*.py``: mypy --strict must accept them with no ignore comment, with
  and without ``dioxide.mypy_plugin``; they use ``assert_type`` and they run.
- ``fail_*.py``: code mypy must reject. Each expected error is pinned with
  ``# type: ignore[code]``; under ``warn_unused_ignores`` an error that goes
  away (or changes code) fails the check. Checked with and without the plugin.
- ``fail_plugin_*.py``: errors only ``dioxide.mypy_plugin`` reports; checked
  with the plugin only.

pyright (``basedpyright``, in strict mode) checks the same files: every
``pass_*.py`` with no error, and in every ``fail_*.py`` (not the plugin's)
exactly the lines that pin a mypy error, no other.

mypy --strict also covers ``python/dioxide`` (for the running Python and for
the oldest version mypy supports) and ``examples/``. The mypy flags are set
here rather than read from pyproject.toml so the check means the same thing
whatever a developer's config says.

Run as ``.venv/bin/python tests/typing/check.py``; exits non-zero on failure.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import tempfile
import tokenize
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent
PACKAGE = ROOT / "python" / "dioxide"
EXAMPLES = ROOT / "examples"

FLAGS = ["--strict", "--warn-unused-ignores", "--enable-error-code", "ignore-without-code"]
PLUGIN = "dioxide.mypy_plugin"
#: The oldest Python dioxide supports: this catches annotations that only
#: newer versions' stubs accept.
OLDEST_PYTHON = "3.11"

#: Frameworks that ship no type information (the integrations type their own
#: side), and the examples built on them: subclassing their classes and
#: their decorators are Any to mypy.
UNTYPED_FRAMEWORKS = """
[mypy-celery.*,django.*,kombu.*]
ignore_missing_imports = True
[mypy-django_app]
disallow_subclassing_any = False
[mypy-celery_app]
disallow_untyped_decorators = False
"""

IGNORE = re.compile(r"#\s*type:\s*ignore\[([^\]]+)\]")


@dataclass
class Outcome:
    name: str
    ok: bool
    summary: str
    output: str = ""


def pinned_errors(path: Path) -> list[str]:
    """The error codes of the ``# type: ignore[...]`` comments in a file (real
    comments only: a docstring that mentions the syntax pins nothing)."""
    with path.open("rb") as source:
        comments = [
            token.string for token in tokenize.tokenize(source.readline)
            if token.type == tokenize.COMMENT
        ]
    return [
        code.strip()
        for comment in comments
        for codes in IGNORE.findall(comment)
        for code in codes.split(",")
    ]


def typing_files() -> tuple[list[Path], list[Path], list[Path], list[Outcome]]:
    """``pass_*``, ``fail_*`` and ``fail_plugin_*`` files, and what is wrong
    with how they are written (a negative file that pins nothing tests
    nothing; a positive file with an ignore hides an error)."""
    passing: list[Path] = []
    failing: list[Path] = []
    plugin_only: list[Path] = []
    problems: list[Outcome] = []
    for path in sorted(HERE.glob("*.py")):
        text = path.read_text()
        pinned = pinned_errors(path)
        name = path.name
        if name.startswith("pass_"):
            passing.append(path)
            if "type: ignore" in text:
                problems.append(Outcome(name, False, "a pass_ file must not contain 'type: ignore'"))
            if "assert_type(" not in text:
                problems.append(Outcome(name, False, "a pass_ file must check with assert_type"))
        elif name.startswith("fail_"):
            (plugin_only if name.startswith("fail_plugin_") else failing).append(path)
            if not pinned:
                problems.append(Outcome(name, False, "a fail_ file must pin errors with # type: ignore[code]"))
        elif path != Path(__file__).resolve():
            problems.append(Outcome(name, False, "name typing tests pass_*.py or fail_*.py"))
    for kind, found in (("pass_", passing), ("fail_", failing), ("fail_plugin_", plugin_only)):
        if not found:
            problems.append(Outcome(f"{kind}*.py", False, "no such file: nothing would be checked"))
    return passing, failing, plugin_only, problems


def structure_report(paths: list[Path]) -> list[Outcome]:
    """How many errors each negative file pins, for the log."""
    return [
        Outcome(p.name, True, f"pins {len(pinned_errors(p))} expected errors")
        for p in paths
        if pinned_errors(p)
    ]


def mypy(name: str, config: Path, files: list[Path], *extra: str) -> Outcome:
    cache = ROOT / ".mypy_cache" / ("typecheck-" + re.sub(r"\W+", "-", name).strip("-"))
    command = [
        sys.executable, "-m", "mypy", *FLAGS, *extra,
        "--config-file", str(config), "--cache-dir", str(cache),
        *(str(f.relative_to(ROOT)) for f in files),
    ]
    result = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, check=False)
    output = (result.stdout + result.stderr).strip()
    last = output.splitlines()[-1] if output else f"mypy exited {result.returncode}"
    shown = " ".join(command[1:]).replace(str(ROOT) + "/", "")
    return Outcome(name, result.returncode == 0, last, f"$ {shown}\n{output}")


#: pyright's settings: strict, with the Python that runs this script.
PYRIGHT_CONFIG = {
    "typeCheckingMode": "strict",
    "pythonVersion": f"{sys.version_info.major}.{sys.version_info.minor}",
    # The fail files pin mypy's errors with ``# type: ignore[code]``; pyright
    # must report those lines by itself, not be silenced by the comments.
    "enableTypeIgnoreComments": False,
}


def pinned_lines(path: Path) -> set[int]:
    """The lines that pin an expected error (a ``# type: ignore[...]`` comment)."""
    with path.open("rb") as source:
        return {
            token.start[0]
            for token in tokenize.tokenize(source.readline)
            if token.type == tokenize.COMMENT and IGNORE.search(token.string)
        }


def pyright(name: str, config_dir: Path, passing: list[Path], failing: list[Path]) -> Outcome:
    """basedpyright (pyright) in strict mode: no error in a pass_ file; in a
    fail_ file, an error on each pinned line and nowhere else."""
    config = config_dir / "pyrightconfig.json"
    config.write_text(json.dumps(PYRIGHT_CONFIG))
    executable = Path(sys.executable).with_name("basedpyright")
    command = [
        str(executable), "--outputjson", "-p", str(config), "--pythonpath", sys.executable,
        *(str(f) for f in passing + failing),
    ]
    result = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, check=False)
    try:
        report = json.loads(result.stdout)
    except json.JSONDecodeError:
        return Outcome(name, False, "pyright gave no report", result.stdout + result.stderr)
    errors: dict[str, dict[int, str]] = {}
    for diagnostic in report.get("generalDiagnostics", []):
        if diagnostic.get("severity") != "error":
            continue
        line = diagnostic["range"]["start"]["line"] + 1
        errors.setdefault(diagnostic["file"], {})[line] = diagnostic.get("message", "")
    problems: list[str] = []
    for path in passing + failing:
        found = errors.get(str(path), {})
        expected = pinned_lines(path) if path in failing else set()
        for line in sorted(set(found) - expected):
            problems.append(f"{path.name}:{line}: unexpected error: {found[line]}")
        for line in sorted(expected - set(found)):
            problems.append(f"{path.name}:{line}: pinned error not reported by pyright")
    pinned = sum(len(pinned_lines(p)) for p in failing)
    summary = (
        f"{len(passing)} pass files clean, {pinned} pinned errors reported"
        if not problems
        else f"{len(problems)} problem(s)"
    )
    return Outcome(name, not problems, summary, "\n".join(problems))


def run_file(path: Path) -> Outcome:
    """A pass_ file runs: its ``assert_type`` calls describe working code."""
    result = subprocess.run(
        [sys.executable, str(path)], cwd=ROOT, capture_output=True, text=True, timeout=120, check=False
    )
    output = (result.stdout + result.stderr).strip()
    summary = "ran" if result.returncode == 0 else f"exited {result.returncode}"
    return Outcome(f"run {path.name}", result.returncode == 0, summary, output)


def main() -> int:
    passing, failing, plugin_only, problems = typing_files()
    examples = sorted(EXAMPLES.glob("*.py"))
    this = Path(__file__).resolve()
    with tempfile.TemporaryDirectory() as tmp:
        plain = Path(tmp) / "plain.ini"
        plain.write_text("[mypy]\n" + UNTYPED_FRAMEWORKS)
        with_plugin = Path(tmp) / "plugin.ini"
        with_plugin.write_text(f"[mypy]\nplugins = {PLUGIN}\n" + UNTYPED_FRAMEWORKS)
        with ThreadPoolExecutor() as pool:
            jobs = [
                pool.submit(mypy, "package", with_plugin, [PACKAGE]),
                pool.submit(
                    mypy, f"package, Python {OLDEST_PYTHON}", with_plugin, [PACKAGE],
                    "--python-version", OLDEST_PYTHON,
                ),
                pool.submit(
                    mypy, "typing tests, with plugin", with_plugin,
                    [this, *passing, *failing, *plugin_only],
                ),
                pool.submit(mypy, "typing tests, plain mypy", plain, [*passing, *failing]),
                pool.submit(pyright, "typing tests, pyright strict", Path(tmp), passing, failing),
            ]
            if examples:
                jobs.append(pool.submit(mypy, "examples", with_plugin, examples))
            jobs.extend(pool.submit(run_file, path) for path in passing)
            outcomes = [job.result() for job in jobs]
    if not examples:
        outcomes.append(Outcome("examples", True, "no .py files in examples/ yet"))

    outcomes = problems + structure_report(failing + plugin_only) + outcomes
    for outcome in outcomes:
        if outcome.output and (not outcome.ok or outcome.output.startswith("$")):
            print(outcome.output, end="\n\n")
    print("typing checks:")
    for outcome in outcomes:
        print(f"  {'ok  ' if outcome.ok else 'FAIL'} {outcome.name}: {outcome.summary}")
    failed = [o for o in outcomes if not o.ok]
    if failed:
        print(f"{len(failed)} typing check(s) failed")
        return 1
    print("all typing checks passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
