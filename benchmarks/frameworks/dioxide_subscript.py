"""dioxide's subscript spelling of ``resolve``, ``c[T]``: the same function
in the mapping slot, with no method to look up. A row of dioxide's, not a
peer; S1 only (elsewhere it is ``c.resolve(T)`` by another name)."""

from __future__ import annotations

from benchmarks.frameworks import dioxide
from benchmarks.scenarios import Op

LABEL = "dioxide `c[T]`"
DISTRIBUTION = "dioxide"
#: Its import is dioxide's, reported once on the dioxide row.
IMPORTS: tuple[str, ...] = ()
AUTOWIRING = True
ONLY = ("S1",)


def s1() -> Op:
    op = dioxide.s1()
    return Op("c[T]", op.ns)
