"""Throughput of resolving a cached singleton from one thread and from two.

    python -m benchmarks.threads              # prints a table; ~10 s
    python -m benchmarks.threads --ops 200000 --repeat 3

Each thread resolves the same already-built singleton ``--ops`` times in a
loop; the threads are released together by a barrier, and the wall time is
from the release to the last thread's end. Two layouts: every thread on one
shared container (what an application does), and each thread on a container
of its own (no shared dioxide state at all: the interpreter's own scaling).
On a free-threaded interpreter with the GIL off two threads can run at once,
so the 1 -> 2 thread ratio shows how well a cached resolve scales; with the
GIL it stays near 1x or below. The best of ``--repeat`` runs is kept, since
other load on the machine only ever makes a run slower.

The CPU time per resolve (each thread's own ``time.thread_time``) does not
depend on how busy the machine is: equal for one and two threads means the
two share nothing that slows them down (a contended lock or reference count
shows as more CPU per resolve), which is what lets them scale on free cores.
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import threading
import time
from collections.abc import Callable

import dioxide
from dioxide import Container, Registry, singleton


def make_container() -> tuple[Container, type]:
    registry = Registry()

    @singleton(registry=registry)
    class Config:
        pass

    container = Container(registry=registry)
    container.resolve(Config)
    return container, Config


def timed(threads: int, ops: int, target: Callable[[int], Callable[[], None]]) -> tuple[float, float]:
    """Seconds for ``threads`` threads to each run ``target(i)()``, from the
    barrier's release until the last one ends; and the CPU seconds each
    thread spent, on average (``time.thread_time``: what other processes
    on the machine take does not count in it)."""
    start = threading.Barrier(threads + 1)
    loops = [target(i) for i in range(threads)]
    cpu: list[float] = []

    def body(loop: Callable[[], None]) -> None:
        start.wait()
        began = time.thread_time()
        loop()
        cpu.append(time.thread_time() - began)

    workers = [threading.Thread(target=body, args=(loop,)) for loop in loops]
    for worker in workers:
        worker.start()
    start.wait()
    began = time.perf_counter()
    for worker in workers:
        worker.join()
    return time.perf_counter() - began, sum(cpu) / len(cpu)


def resolve_loop(container: Container, cls: type, ops: int) -> Callable[[], None]:
    resolve = container.resolve

    def loop() -> None:
        for _ in range(ops):
            resolve(cls)

    return loop


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.threads", description=__doc__.split("\n\n")[0])
    parser.add_argument("--ops", type=int, default=300_000, help="resolves per thread per run")
    parser.add_argument("--repeat", type=int, default=5, help="runs per measurement; the best is kept")
    args = parser.parse_args(argv)

    gil = getattr(sys, "_is_gil_enabled", lambda: True)()
    print(f"CPython {platform.python_version()} {sys.implementation.cache_tag}"
          f"{'t' if 't' in sys.abiflags else ''}, GIL {'on' if gil else 'off'}; "
          f"dioxide {dioxide.__version__}; {os.cpu_count()} CPUs; "
          f"load average {', '.join(f'{x:.2f}' for x in os.getloadavg())}")
    print(f"{args.ops} resolves of a cached singleton per thread, best of {args.repeat}")
    print()
    print("| layout | threads | total resolves/s (wall) | vs 1 thread | CPU ns per resolve | vs 1 thread |")
    print("|---|---:|---:|---:|---:|---:|")
    shared, shared_cls = make_container()
    own = [make_container() for _ in range(2)]
    layouts: dict[str, Callable[[int], Callable[[], None]]] = {
        "one shared container": lambda i: resolve_loop(shared, shared_cls, args.ops),
        "a container per thread": lambda i: resolve_loop(own[i][0], own[i][1], args.ops),
    }
    for name, target in layouts.items():
        base_rate = base_cpu = 0.0
        for threads in (1, 2):
            runs = [timed(threads, args.ops, target) for _ in range(args.repeat)]
            seconds = min(wall for wall, _ in runs)
            cpu_ns = min(cpu for _, cpu in runs) / args.ops * 1e9
            rate = threads * args.ops / seconds
            base_rate = base_rate or rate
            base_cpu = base_cpu or cpu_ns
            print(f"| {name} | {threads} | {rate / 1e6:.2f} M | {rate / base_rate:.2f}x "
                  f"| {cpu_ns:.1f} | {cpu_ns / base_cpu:.2f}x |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
