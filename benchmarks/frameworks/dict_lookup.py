"""A plain ``dict[type, object]`` lookup: the reference for S1's target."""

from __future__ import annotations

from benchmarks import scenarios as sc
from benchmarks.scenarios import Op

LABEL = "dict lookup"
DISTRIBUTION = None
IMPORTS: tuple[str, ...] = ()
AUTOWIRING = False
#: Only S1 has a dict-lookup equivalent; the other scenarios show no row.
ONLY = ("S1",)


def s1() -> Op:
    return Op("d[T]", {"d": {sc.Config: sc.Config()}, "T": sc.Config})
