"""One adapter module per framework, each implementing the scenarios of
:mod:`benchmarks.scenarios` with that framework's own idiomatic API.

An adapter module defines:

- ``LABEL``: the row name; ``DISTRIBUTION``: the PyPI name (for the version);
  ``IMPORTS``: the modules a user imports (for the import-time report).
- ``AUTOWIRING``: True when the framework wires constructors from their type
  hints (the group S7's target compares against).
- ``s1()`` ... ``s6()`` returning an :class:`~benchmarks.scenarios.Op`, and
  ``s7(graph)`` registering the generated graph and resolving its root. A
  function that is missing means the framework lacks the feature: the
  scenario reports "n/a" with the reason in ``UNSUPPORTED``.
"""

from __future__ import annotations

import importlib
from types import ModuleType

__all__ = ["ORDER", "PEERS", "load"]

#: Baselines first, then dioxide, then the peers.
ORDER = [
    "handwritten",
    "dict_lookup",
    "dioxide",
    "dioxide_subscript",
    "dependency_injector",
    "dishka",
    "wireup",
    "diwire",
    "modern_di",
    "that_depends",
    "injector",
    "lagom",
    "punq",
    "rodi",
]

BASELINES = ("handwritten", "dict_lookup")
#: Rows of dioxide's own under another spelling: neither baselines nor peers.
VARIANTS = ("dioxide_subscript",)
PEERS = [name for name in ORDER if name not in (*BASELINES, *VARIANTS, "dioxide")]


def load(name: str) -> ModuleType:
    """Import an adapter (and so the framework it wraps)."""
    if name not in ORDER:
        raise ValueError(f"unknown framework {name!r}; known: {', '.join(ORDER)}")
    return importlib.import_module(f"benchmarks.frameworks.{name}")
