"""Measurements that need a fresh interpreter each time.

S7 (start-up) runs in a child process per measurement: decorators register
process-wide (dioxide's ``@component``, wireup's ``@injectable``), so a second
graph in the same process would not start from nothing. The child imports
the framework and generates the 500 classes untimed, then times
registration (decorators included), container build and the first resolve of
the root, checks the result and prints one JSON line::

    python -m benchmarks.startup dioxide

Import time is measured by :func:`import_command`: ``python -I -c`` with
nothing imported before the timer but ``time``, so modules the framework
pulls in (``typing``, ``inspect``, ``asyncio``...) count against it.
"""

from __future__ import annotations

import gc
import json
import sys
import time
from typing import Any

from benchmarks import frameworks
from benchmarks.scenarios import CheckFailed, check_s7, make_graph

__all__ = ["import_command", "measure_s7"]

GRAPH_SIZE = 500


def measure_s7(name: str, size: int = GRAPH_SIZE) -> dict[str, Any]:
    adapter = frameworks.load(name)
    start = getattr(adapter, "s7", None)
    if start is None:
        return {"status": "n/a"}
    graph = make_graph(size)
    prepare = getattr(adapter, "s7_prepare", None)
    extra = (prepare(graph),) if prepare is not None else ()
    gc.collect()
    began = time.perf_counter()
    root, resolve_again = start(graph, *extra)
    seconds = time.perf_counter() - began
    check_s7(graph, root, resolve_again())
    return {"status": "ok", "seconds": seconds}


def import_command(modules: tuple[str, ...]) -> list[str]:
    """The child command printing how long ``import``-ing ``modules`` takes
    (as JSON, like the S7 child; ``json`` is imported after the clock stops)."""
    imports = "; ".join(f"import {module}" for module in modules)
    code = (
        "import time; _t = time.perf_counter(); "
        f"{imports}; "
        "_s = time.perf_counter() - _t; "
        "import json; print(json.dumps({'status': 'ok', 'seconds': _s}))"
    )
    return [sys.executable, "-I", "-c", code]


def main(argv: list[str]) -> int:
    if len(argv) not in (1, 2):
        print("usage: python -m benchmarks.startup FRAMEWORK [SIZE]", file=sys.stderr)
        return 2
    size = int(argv[1]) if len(argv) == 2 else GRAPH_SIZE
    try:
        result = measure_s7(argv[0], size)
    except CheckFailed as failed:
        result = {"status": "check failed", "reason": str(failed)}
    except Exception as error:  # noqa: BLE001 - reported in the results, not raised
        result = {"status": "error", "reason": f"{type(error).__name__}: {error}"}
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
