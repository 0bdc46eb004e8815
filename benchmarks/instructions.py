"""Instructions per operation, counted by valgrind's callgrind: the same
number on a quiet machine and a busy one (``make bench-instructions``).

Each scenario's statement runs in the loop ``timing.py`` times (the
statement repeated ``UNROLL`` times per iteration), in a child process under
``valgrind --tool=callgrind``: first a warm-up (CPython specializes the
loop's instructions), then ``ITERATIONS`` measured iterations between two
calls of ``os.getppid()``, where callgrind is told to write its counts out
(``--dump-before``). The second part's total, divided by the operations,
is the cost of one operation: start-up, imports and set-up are in the
other parts. The same is counted for an empty statement and subtracted
(the loop itself), so the ratios compare the operations alone.

Rows: dioxide (``c.resolve(T)``, and ``c[T]`` for S1), hand-written code,
and for S1 ``d[T]`` on a ``dict``. Run from the repository root with an
interpreter that has dioxide installed::

    python -m benchmarks.instructions            # every scenario, markdown on stdout
    python -m benchmarks.instructions --out results/instructions.md S1 S6
"""

from __future__ import annotations

import argparse
import datetime
import os
import platform
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Optional

from benchmarks import frameworks, timing
from benchmarks.scenarios import Op

__all__ = ["count", "main"]

SCENARIOS = ("S1", "S2", "S3", "S4", "S5", "S6")
WARMUP = 2_000
ITERATIONS = 3_000
#: libc's ``getppid``, which ``os.getppid()`` calls: nothing else calls it,
#: so it marks where the measured part starts and ends. libc's exported name
#: is there on every build, including interpreters shipped stripped (Debian's),
#: where the interpreter's own ``os_getppid`` has no symbol.
MARK = "getppid"

#: (row label, adapter module, statement override or None)
ROWS: tuple[tuple[str, str, Optional[str]], ...] = (
    ("dioxide", "dioxide", None),
    ("dioxide c[T]", "dioxide", "c[T]"),
    ("hand-written", "handwritten", None),
    ("d[T]", "dict_lookup", None),
)
#: The rows shown beyond S1: only ``c.resolve(T)`` and hand-written code.
S1_ONLY = ("dioxide c[T]", "d[T]")
EMPTY = "empty loop"


def _op(adapter: str, scenario: str, stmt: Optional[str]) -> Op:
    if adapter == "empty":
        return Op("pass")
    op: Op = getattr(frameworks.load(adapter), scenario.lower())()
    return op if stmt is None else Op(stmt, op.ns, op.probe, op.teardown)


def child(adapter: str, scenario: str, stmt: Optional[str], iterations: int) -> None:
    """Runs inside valgrind: warm up, then the measured iterations between
    two marks."""
    run = timing.compile_op(_op(adapter, scenario, stmt))
    run(WARMUP)
    os.getppid()
    run(iterations)
    os.getppid()


def count(valgrind: str, adapter: str, scenario: str, stmt: Optional[str]) -> float:
    """Instructions per operation (including the loop's share)."""
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "out"
        command = [
            valgrind,
            "--tool=callgrind",
            f"--callgrind-out-file={out}",
            f"--dump-before={MARK}",
            sys.executable,
            "-m",
            "benchmarks.instructions",
            "--child",
            adapter,
            scenario,
            stmt or "-",
            str(ITERATIONS),
        ]
        env = {**os.environ, "PYTHONHASHSEED": "0"}
        done = subprocess.run(command, capture_output=True, text=True, env=env, check=False)
        if done.returncode != 0:
            raise RuntimeError(f"{adapter} {scenario} failed under valgrind:\n{done.stderr[-2000:]}")
        # Dump 1 is everything before the first mark, dump 2 the measured part.
        measured = Path(f"{out}.2")
        match = re.search(r"^totals:\s*(\d+)", measured.read_text(), re.MULTILINE) if measured.is_file() else None
        if match is None:
            raise RuntimeError(f"no measured part in callgrind's output for {adapter} {scenario}")
        return int(match.group(1)) / (ITERATIONS * timing.UNROLL)


def _commit() -> str:
    done = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, check=False
    )
    return done.stdout.strip() or "unknown"


def _cell(net: dict[str, float], label: str) -> str:
    return f"{net[label]:.0f}" if label in net else ""


def _ratio(net: dict[str, float], a: str, b: str) -> str:
    return f"{net[a] / net[b]:.2f}x" if a in net and b in net and net[b] > 0 else ""


def table(counts: dict[str, dict[str, float]], loop: float) -> str:
    """Markdown: net instructions per op and the ratios to the baselines."""
    lines = [
        "| scenario | dioxide | dioxide `c[T]` | hand-written | `d[T]` "
        "| dioxide / hand-written | dioxide / `d[T]` | `c[T]` / `d[T]` |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for scenario, row in counts.items():
        net = {label: value - loop for label, value in row.items()}
        lines.append(
            f"| {scenario} | {_cell(net, 'dioxide')} | {_cell(net, 'dioxide c[T]')} "
            f"| {_cell(net, 'hand-written')} | {_cell(net, 'd[T]')} "
            f"| {_ratio(net, 'dioxide', 'hand-written')} | {_ratio(net, 'dioxide', 'd[T]')} "
            f"| {_ratio(net, 'dioxide c[T]', 'd[T]')} |"
        )
    return "\n".join(lines)


def main(argv: Optional[list[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("scenarios", nargs="*", default=list(SCENARIOS), help="S1 ... S6")
    parser.add_argument("--out", type=Path, help="also write the report to this file")
    parser.add_argument("--child", nargs=4, metavar=("ADAPTER", "SCENARIO", "STMT", "N"),
                        help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        adapter, scenario, stmt, n = args.child
        child(adapter, scenario, None if stmt == "-" else stmt, int(n))
        return 0
    valgrind = shutil.which("valgrind")
    if valgrind is None:
        print("valgrind not found: `make bench-instructions` installs it", file=sys.stderr)
        return 1
    unknown = [s for s in args.scenarios if s not in SCENARIOS]
    if unknown:
        parser.error(f"unknown scenario(s) {', '.join(unknown)}; known: {', '.join(SCENARIOS)}")
    commit = _commit()  # what is measured: the checkout as the run starts
    loop = count(valgrind, "empty", "S1", None)
    print(f"{EMPTY}: {loop:.1f} instructions per op (subtracted below)", file=sys.stderr)
    counts: dict[str, dict[str, float]] = {}
    for scenario in args.scenarios:
        counts[scenario] = {}
        for label, adapter, stmt in ROWS:
            if label in S1_ONLY and scenario != "S1":
                continue
            try:
                counts[scenario][label] = value = count(valgrind, adapter, scenario, stmt)
            except RuntimeError as failed:  # reported, and the row left empty
                print(f"{scenario} {label}: failed: {failed}", file=sys.stderr)
                continue
            print(f"{scenario} {label}: {value - loop:.0f}", file=sys.stderr)
    import dioxide

    now = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    report = (
        f"Instructions per operation (callgrind, net of the loop's {loop:.0f}), "
        f"CPython {platform.python_version()} ({sys.implementation.cache_tag}"
        f"{', free-threaded' if not getattr(sys, '_is_gil_enabled', lambda: True)() else ''}), "
        f"dioxide {dioxide.__version__} commit {commit}, {now}:\n\n"
        f"{table(counts, loop)}\n"
    )
    print(report)
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(report)
    return 0


if __name__ == "__main__":
    sys.exit(main())
