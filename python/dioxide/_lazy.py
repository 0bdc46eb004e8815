"""Standard-library modules imported on first use.

``import dioxide`` stays cheap (the performance issue asks for under 20 ms):
``inspect`` and ``asyncio`` alone cost more than that, and are only needed
once something is decorated or awaited.
"""

from __future__ import annotations

import importlib
import types
from typing import Any

__all__ = ["asyncio", "inspect"]


class _LazyModule(types.ModuleType):
    """Stands in for a module and imports it at the first attribute access."""

    def __getattr__(self, attribute: str) -> Any:
        module = importlib.import_module(self.__name__)
        self.__dict__.update(module.__dict__)
        return getattr(module, attribute)


inspect = _LazyModule("inspect")
asyncio = _LazyModule("asyncio")
