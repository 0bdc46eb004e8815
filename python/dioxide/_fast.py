"""Every container and scope class owns its ``resolve``.

CPython specializes a call to a C method (skipping its generic call path)
only when the instance's type is exactly the class that owns the method. So
``Container``, ``ContainerScope`` and each of their subclasses get a
``resolve`` of their own from the Rust core: the same function, owned by
that class (see src/bindings/fast.rs; S1 in benchmarks/ measures it).
"""

from __future__ import annotations

from typing import Any

from dioxide._dioxide_core import _fast_resolve_for

__all__ = ["OwnResolve"]


class OwnResolve:
    """Gives the class that derives from it, and each of its subclasses, a
    ``resolve`` owned by that class; a subclass that defines its own
    ``resolve`` keeps it."""

    __slots__ = ()

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        method = _fast_resolve_for(cls)
        if method is not None:
            setattr(cls, "resolve", method)  # noqa: B010 - shadows a typed stub
