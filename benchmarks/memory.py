"""dioxide's memory: bytes per registered provider, bytes per cached
singleton, and whether a million resolves leave anything behind.

Three instruments, because none sees everything: ``tracemalloc`` counts
only what Python's allocator hands out (not the Rust core's own heap); RSS
sees everything but in pages, so memory freed by one step and reused by the
next moves between them; the C heap in use (glibc's ``mallinfo2``: what
``malloc`` has handed out and not had back) counts the Rust core's
allocations to the byte, and Python's only above 512 bytes. Each
measurement runs once with each instrument, on fresh classes, so the
tracemalloc run's bookkeeping never shows up in the other figures.

Run by ``benchmarks.run`` in a child process; prints one JSON document::

    python -m benchmarks.memory [--quick]
"""

from __future__ import annotations

import array
import ctypes
import ctypes.util
import gc
import json
import subprocess
import sys
import time
import tracemalloc
import types
from typing import Any, Callable, Optional

from dioxide import Container, Scope, component

from benchmarks import scenarios as sc
from benchmarks.startup import rss_bytes

__all__ = ["measure"]


_module_count = 0


def _init_with_deps(self: Any, a: Any, b: Any) -> None:
    pass


def _init_without_deps(self: Any) -> None:
    pass


def make_classes(count: int, slots: bool) -> list[type]:
    """Two leaf classes and ``count`` classes, in a fresh module: without
    ``slots`` each takes both leaves (so a registration records real
    dependency data); with ``slots`` each has ``__slots__ = ()`` and no
    dependencies (the smallest possible instance).

    Built one by one rather than by compiling generated source, so no large
    temporary is freed just before a measurement (the allocator would hand
    that memory back out and hide the growth from RSS)."""
    global _module_count
    _module_count += 1
    module = types.ModuleType(f"_bench_memory_{_module_count}")
    sys.modules[module.__name__] = module

    def define(name: str, template: Callable[..., None], annotations: dict[str, Any]) -> type:
        init = types.FunctionType(template.__code__, module.__dict__, "__init__")
        init.__annotations__ = {**annotations, "return": None}
        namespace: dict[str, Any] = {"__init__": init, "__module__": module.__name__}
        if slots:
            namespace["__slots__"] = ()
        cls = type(name, (), namespace)
        setattr(module, name, cls)
        return cls

    leaves = [define("LeafA", _init_without_deps, {}), define("LeafB", _init_without_deps, {})]
    if slots:
        return leaves + [define(f"C{i}", _init_without_deps, {}) for i in range(count)]
    deps = {"a": leaves[0], "b": leaves[1]}
    return leaves + [define(f"C{i}", _init_with_deps, deps) for i in range(count)]


class _MallInfo2(ctypes.Structure):
    _fields_ = [
        (name, ctypes.c_size_t)
        for name in (
            "arena ordblks smblks hblks hblkhd usmblks fsmblks uordblks fordblks keepcost"
        ).split()
    ]


def _heap_reader() -> Optional[Callable[[], int]]:
    """Bytes of C heap in use, from glibc's ``mallinfo2`` (glibc 2.33+);
    None elsewhere."""
    name = ctypes.util.find_library("c")
    try:
        libc = ctypes.CDLL(name)
        mallinfo2 = libc.mallinfo2
    except (OSError, AttributeError, TypeError):
        return None
    mallinfo2.restype = _MallInfo2

    def in_use() -> int:
        info = mallinfo2()
        return int(info.uordblks + info.hblkhd)

    return in_use


heap_bytes = _heap_reader()

#: The instruments, by the key their figures are stored under.
INSTRUMENTS = ("rss", "tracemalloc") + (("heap",) if heap_bytes is not None else ())


def _delta(action: Callable[[], Any], instrument: str) -> tuple[int, Any]:
    """Bytes ``action`` leaves allocated (what it returns is kept alive)."""
    read: Callable[[], int]
    if instrument == "tracemalloc":
        read = lambda: tracemalloc.get_traced_memory()[0]  # noqa: E731
    elif instrument == "heap" and heap_bytes is not None:
        read = heap_bytes
    else:
        read = rss_bytes
    gc.collect()
    if instrument == "tracemalloc":
        tracemalloc.start()
    before = read()
    kept = action()
    gc.collect()
    after = read()
    if instrument == "tracemalloc":
        tracemalloc.stop()
    return after - before, kept


def per_provider(count: int) -> dict[str, Any]:
    """Bytes per ``register_class`` on a container, and per ``@component``
    class once a ``Container()`` has taken its copy."""
    result: dict[str, Any] = {"count": count}
    for key in INSTRUMENTS:
        classes = make_classes(count, slots=False)

        def register(classes: list[type] = classes) -> Container:
            container = Container()
            for cls in classes:
                container.register_class(cls)
            return container

        delta, _ = _delta(register, key)
        result[f"register_class_{key}"] = delta / len(classes)
    # Every Container() copies every decorated class, so each instrument
    # needs a process whose process-wide registry starts empty.
    for key in INSTRUMENTS:
        child = [sys.executable, "-m", "benchmarks.memory", "--decorated", key, str(count)]
        output = subprocess.run(child, check=True, capture_output=True, text=True).stdout
        result[f"decorated_{key}"] = float(output.split()[-1])
    return result


def per_singleton(count: int) -> dict[str, Any]:
    """Bytes per singleton built and cached by its first resolve (the
    instance, of a ``__slots__ = ()`` class, is included), and what a second
    resolve of each adds (nothing, if it is served from the cache)."""
    result: dict[str, Any] = {"count": count}
    for key in INSTRUMENTS:
        classes = make_classes(count, slots=True)
        container = Container()
        for cls in classes:
            container.register_class(cls, scope=Scope.SINGLETON)

        def resolve_all(container: Container = container, classes: list[type] = classes) -> None:
            # The container holds the singletons: nothing else keeps them.
            for cls in classes:
                container.resolve(cls)

        first, _ = _delta(resolve_all, key)
        again, _ = _delta(resolve_all, key)
        result[f"first_resolve_{key}"] = first / len(classes)
        result[f"again_{key}"] = again / len(classes)
        result["instance_size"] = sys.getsizeof(container.resolve(classes[-1]))
    return result


def _workloads() -> dict[str, Callable[[], Any]]:
    singleton = Container()
    singleton.register_class(sc.Config, scope=Scope.SINGLETON)
    chain = Container()
    for link in (sc.Database, sc.Repository, sc.Service, sc.Handler):
        chain.register_class(link)
    graph = Container()
    for cls in sc.S4_SINGLETONS:
        graph.register_class(cls, scope=Scope.SINGLETON)
    for cls in sc.S4_TRANSIENTS:
        graph.register_class(cls)
    scoped = Container()
    scoped.register_class(sc.AppSettings, scope=Scope.SINGLETON)
    scoped.register_class(sc.RequestContext, scope=Scope.SCOPED)

    def scope_cycle() -> Any:
        with scoped.create_scope() as scope:
            return scope.resolve(sc.RequestContext)

    return {
        "S1 singleton": lambda: singleton.resolve(sc.Config),
        "S3 transient chain": lambda: chain.resolve(sc.Handler),
        "S4 graph": lambda: graph.resolve(sc.App),
        "S6 scope cycle": scope_cycle,
    }


def growth(total: int, checkpoints: int = 10) -> dict[str, Any]:
    """Memory after the first tenth of ``total`` resolves and after all of
    them: a leak shows as growth proportional to the count."""
    step = total // checkpoints
    results: dict[str, Any] = {"resolves": total}
    for name, resolve in _workloads().items():
        row: dict[str, Any] = {}
        for traced in (False, True):
            # Samples go into a preallocated array: storing one frees the int
            # it came as, so the bookkeeping itself cannot look like growth.
            samples = array.array("q", [0] * checkpoints)
            seconds = began = 0.0  # bound before tracing, like every local
            gc.collect()
            if traced:
                tracemalloc.start()
            for i in range(checkpoints):
                began = time.perf_counter()
                for _ in range(step):
                    resolve()
                seconds += time.perf_counter() - began
                gc.collect()
                samples[i] = tracemalloc.get_traced_memory()[0] if traced else rss_bytes()
            if traced:
                tracemalloc.stop()
            key = "tracemalloc" if traced else "rss"
            row[f"{key}_samples"] = list(samples)
            row[f"{key}_growth"] = samples[-1] - samples[0]
            row[f"{key}_seconds"] = seconds
        results[name] = row
    return results


def measure(quick: bool = False) -> dict[str, Any]:
    # Growth first, while the heap is small (the classes generated for the
    # other measurements stay alive to keep their memory from being reused).
    return {
        "growth": growth(20_000 if quick else 1_000_000),
        "per_provider": per_provider(2_000 if quick else 20_000),
        "per_singleton": per_singleton(2_000 if quick else 20_000),
        "note": "RSS from /proc/self/statm; tracemalloc sees Python allocations only; "
        "heap is glibc's mallinfo2 (C heap in use)",
    }


def decorated(key: str, count: int) -> float:
    """Bytes per ``@component`` class once a ``Container()`` has its copy."""
    classes = make_classes(count, slots=False)

    def decorate() -> Container:
        for cls in classes:
            component(cls)
        return Container()

    delta, _ = _delta(decorate, key)
    return delta / len(classes)


if __name__ == "__main__":
    if sys.argv[1:2] == ["--decorated"]:
        print(decorated(sys.argv[2], int(sys.argv[3])))
    else:
        print(json.dumps(measure(quick="--quick" in sys.argv[1:])))
