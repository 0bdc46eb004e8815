"""A private decorator registry for tests that decorate many throwaway classes.

``@component`` and friends register with every ``Container()`` through one
process-wide registry. Tests that generate hundreds of classes, or decorate
classes that are meant to stay broken (a forward reference that never
resolves), swap in an empty registry for their duration, so that nothing
they decorate reaches other tests.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import dioxide._registry as registry_module
from dioxide import Registry

__all__ = ["fresh_decorator_registry"]


@contextmanager
def fresh_decorator_registry() -> Iterator[Registry]:
    """Decorators register into a new, empty default registry until the
    block ends; containers made inside the block see only what was
    decorated there."""
    saved = registry_module.DEFAULT
    fresh = registry_module.DEFAULT = Registry()
    try:
        yield fresh
    finally:
        registry_module.DEFAULT = saved
