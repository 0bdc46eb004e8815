"""What ``@component`` costs per class, with and without string annotations.

Builds the text of a module of N classes (a tree: each class's constructor
takes 1-3 earlier classes), then ``exec``-s it fresh several times, once
with ``@component`` on every class and once with a do-nothing decorator;
the difference, divided by N, is the cost of decorating one class. Each is
timed with ``time.perf_counter``, best of the repeats. Run from the repo
root::

    python -m benchmarks.decoration            # N=200, best of 5
    python -m benchmarks.decoration --classes 500 --repeat 9

Each run decorates into an empty decorator registry (the process-wide one
is swapped out and back), so runs do not pile registrations up.
"""

from __future__ import annotations

import argparse
import gc
import random
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

__all__ = ["module_text", "measure", "main"]

#: The variants timed: (label, module header).
VARIANTS = [
    ("from __future__ import annotations", "from __future__ import annotations\n"),
    ("annotations are classes", ""),
]


def module_text(classes: int, decorator: str, header: str, seed: int = 7) -> str:
    """A module defining ``classes`` classes ``C0``...; each after the first
    takes 1-3 distinct earlier classes in its ``__init__``."""
    pick = random.Random(seed)
    lines = [header, f"from dioxide import {decorator}" if decorator == "component" else ""]
    if decorator != "component":
        lines.append(f"def {decorator}(cls):\n    return cls\n")
    for index in range(classes):
        lines.append(f"@{decorator}")
        lines.append(f"class C{index}:")
        if index == 0:
            lines.append("    pass\n")
            continue
        count = min(index, pick.randint(1, 3))
        deps = sorted(pick.sample(range(index), count))
        params = ", ".join(f"d{dep}: C{dep}" for dep in deps)
        lines.append(f"    def __init__(self, {params}) -> None:")
        for dep in deps:
            lines.append(f"        self.d{dep} = d{dep}")
        lines.append("")
    return "\n".join(lines) + "\n"


@contextmanager
def _empty_registry() -> Iterator[None]:
    """Decorators without ``registry=`` register into a new, empty default
    registry inside the block (skipped, so timings still run, if the
    registry module is reorganized)."""
    try:
        import dioxide._registry as registry_module

        saved = registry_module.DEFAULT
    except (ImportError, AttributeError):
        yield
        return
    registry_module.DEFAULT = registry_module.Registry()
    try:
        yield
    finally:
        registry_module.DEFAULT = saved


def _run(code: Any, check: bool) -> float:
    namespace: dict[str, Any] = {"__name__": "benchmarks._decorated"}
    with _empty_registry():
        gc.collect()
        began = time.perf_counter()
        exec(code, namespace)  # noqa: S102 - the generated benchmark module
        seconds = time.perf_counter() - began
        if check:
            from dioxide import Container

            last = namespace[f"C{len([k for k in namespace if k.startswith('C')]) - 1}"]
            assert isinstance(Container().resolve(last), last)
    return seconds


def measure(classes: int, repeat: int, header: str) -> dict[str, float]:
    """Best-of-``repeat`` seconds per class: the module with ``@component``,
    the same module with a do-nothing decorator, and their difference."""
    # dont_inherit: this module's own ``from __future__ import annotations``
    # must not leak into the module without it.
    decorated = compile(
        module_text(classes, "component", header), "<decorated>", "exec", dont_inherit=True
    )
    plain = compile(module_text(classes, "nothing", header), "<plain>", "exec", dont_inherit=True)
    _run(decorated, check=True)  # warm up: imports, lazy modules, caches
    best_decorated = min(_run(decorated, check=False) for _ in range(repeat))
    best_plain = min(_run(plain, check=False) for _ in range(repeat))
    return {
        "decorated": best_decorated / classes,
        "plain": best_plain / classes,
        "decoration": (best_decorated - best_plain) / classes,
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--classes", type=int, default=200)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args(argv)
    print(f"{args.classes} classes, best of {args.repeat}, microseconds per class")
    print(f"{'module':<36} {'@component':>11} {'undecorated':>12} {'decoration':>11}")
    for label, header in VARIANTS:
        row = measure(args.classes, args.repeat, header)
        print(
            f"{label:<36} {row['decorated'] * 1e6:>11.1f} {row['plain'] * 1e6:>12.1f} "
            f"{row['decoration'] * 1e6:>11.1f}"
        )


if __name__ == "__main__":
    main()
