"""Timing one :class:`~benchmarks.scenarios.Op`: the statement is compiled
into a loop body (repeated ``UNROLL`` times) with its names as locals, so
what is timed is the statement itself, not a wrapper call or a global lookup;
the loop costs about 1 ns per op on top. The garbage collector is off while a
sample runs, as ``timeit`` does."""

from __future__ import annotations

import gc
import textwrap
import time
from typing import Any, Callable

from benchmarks.scenarios import Op

__all__ = ["UNROLL", "Timer", "compile_op", "evaluate"]

UNROLL = 10

#: Runs ``n`` iterations of the loop, returns the elapsed seconds.
Timer = Callable[[int], float]


def compile_op(op: Op) -> Timer:
    names = sorted(op.ns)
    body = textwrap.indent(op.stmt, " " * 8) + "\n"
    source = (
        f"def _bench(_n, _clock, {', '.join(names)}):\n"
        "    _start = _clock()\n"
        "    for _ in range(_n):\n"
        f"{body * UNROLL}"
        "    return _clock() - _start\n"
    )
    namespace: dict[str, Any] = {}
    exec(compile(source, "<bench>", "exec"), namespace)
    bench = namespace["_bench"]
    args = [op.ns[name] for name in names]
    clock = time.perf_counter

    def run(n: int) -> float:
        enabled = gc.isenabled()
        gc.disable()
        try:
            elapsed: float = bench(n, clock, *args)
        finally:
            if enabled:
                gc.enable()
        return elapsed

    return run


def evaluate(op: Op) -> Any:
    """The value of an expression op (for the checks)."""
    return eval(compile(op.stmt, "<check>", "eval"), dict(op.ns))


def calibrate(run: Timer, target_seconds: float) -> int:
    """Loop count for one sample of about ``target_seconds``."""
    n = 1
    while True:
        elapsed = run(n)
        if elapsed >= target_seconds / 4 or n >= 1 << 30:
            return max(1, round(n * target_seconds / max(elapsed, 1e-9)))
        n *= 4 if elapsed < target_seconds / 100 else 2


def ns_per_op(run: Timer, n: int) -> float:
    return run(n) / (n * UNROLL) * 1e9
