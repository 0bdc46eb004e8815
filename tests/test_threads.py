"""Threads: shared instances are built once, failures let others retry,
re-entrant resolves work, and nothing deadlocks.

The Rust core never holds one of its locks while Python code runs (a
constructor, a ``__qualname__`` read for a message): threads that wait for
a singleton wait with the interpreter released, so the builder (and every
other thread) keeps running.
"""

from __future__ import annotations

import json
import random
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from typing import Any

import pytest
from dioxide import (
    CircularDependencyError,
    Container,
    DuplicateRegistrationError,
    Scope,
)
from typing_extensions import Self

THREADS = 16
#: How long a slow constructor takes; long enough for every thread to queue up.
SLOW = 0.3


def run_threads(count: int, target: Callable[[int], Any], timeout: float = 30.0) -> list[tuple[str, Any]]:
    """Run ``target(i)`` in ``count`` threads at once; each result is
    ``("ok", value)`` or ``("error", exception)``. Fails if any thread is
    still running after ``timeout`` (a deadlock)."""
    results: list[tuple[str, Any]] = [("missing", None)] * count
    barrier = threading.Barrier(count)

    def run(i: int) -> None:
        barrier.wait()
        try:
            results[i] = ("ok", target(i))
        except BaseException as error:  # noqa: BLE001 - reported to the test
            results[i] = ("error", error)

    threads = [threading.Thread(target=run, args=(i,), daemon=True) for i in range(count)]
    for thread in threads:
        thread.start()
    deadline = time.monotonic() + timeout
    for thread in threads:
        thread.join(max(0.0, deadline - time.monotonic()))
    stuck = sum(thread.is_alive() for thread in threads)
    assert stuck == 0, f"{stuck} of {count} threads still running after {timeout} s: deadlock"
    return results


def values(results: list[tuple[str, Any]]) -> list[Any]:
    errors = [value for kind, value in results if kind != "ok"]
    assert not errors, errors
    return [value for _, value in results]


class Ticker:
    """Counts while other threads work: proof that they let it run."""

    def __init__(self) -> None:
        self.ticks = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.wait(0.001):
            self.ticks += 1

    def __enter__(self) -> Self:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(5)


# -- one build for many threads ------------------------------------------


def test_sixteen_threads_build_a_slow_singleton_once(container: Container) -> None:
    built: list[int] = []

    class Slow:
        def __init__(self) -> None:
            built.append(threading.get_ident())
            time.sleep(SLOW)  # releases the GIL

    container.register_class(Slow, scope=Scope.SINGLETON)

    started = time.monotonic()
    with Ticker() as ticker:
        instances = values(run_threads(THREADS, lambda _: container.resolve(Slow)))
    elapsed = time.monotonic() - started

    assert len(built) == 1
    assert all(instance is instances[0] for instance in instances)
    assert elapsed < THREADS * SLOW / 2, "the other threads waited instead of building again"
    assert ticker.ticks > 20, "waiting threads must not hold the interpreter"


def test_threads_share_a_slow_singleton_deep_in_a_chain(container: Container) -> None:
    built: list[int] = []

    class Pool:
        def __init__(self) -> None:
            built.append(1)
            time.sleep(SLOW)

    class Repository:
        def __init__(self, pool: Pool) -> None:
            self.pool = pool

    class Handler:
        def __init__(self, repository: Repository) -> None:
            self.repository = repository

    container.register_class(Pool, scope=Scope.SINGLETON)
    container.register_class(Repository)
    container.register_class(Handler)

    handlers = values(run_threads(THREADS, lambda _: container.resolve(Handler)))

    assert built == [1]
    assert len({id(h) for h in handlers}) == THREADS, "transients stay per resolve"
    assert all(h.repository.pool is handlers[0].repository.pool for h in handlers)


def test_threads_in_one_scope_build_its_scoped_instance_once(container: Container) -> None:
    built: list[int] = []

    class Session:
        def __init__(self) -> None:
            built.append(1)
            time.sleep(SLOW)

    container.register_class(Session, scope=Scope.SCOPED)

    with container.create_scope() as scope:
        sessions = values(run_threads(THREADS, lambda _: scope.resolve(Session)))
    with container.create_scope() as other:
        elsewhere = other.resolve(Session)

    assert built == [1, 1]
    assert all(session is sessions[0] for session in sessions)
    assert elsewhere is not sessions[0]


def test_a_failed_build_lets_the_waiting_threads_retry(container: Container) -> None:
    attempts: list[int] = []

    class Flaky:
        def __init__(self) -> None:
            attempts.append(threading.get_ident())
            time.sleep(SLOW)
            if len(attempts) == 1:
                raise ConnectionError("the first attempt fails")

    container.register_class(Flaky, scope=Scope.SINGLETON)

    results = run_threads(THREADS, lambda _: container.resolve(Flaky))

    failures = [value for kind, value in results if kind == "error"]
    instances = [value for kind, value in results if kind == "ok"]
    assert len(failures) == 1 and isinstance(failures[0], ConnectionError)
    assert len(instances) == THREADS - 1
    assert all(instance is instances[0] for instance in instances)
    assert len(attempts) == 2, "one failed build, then exactly one successful retry"
    assert container.resolve(Flaky) is instances[0]


# -- re-entrancy ------------------------------------------------------------


def test_a_constructor_may_resolve_from_the_container(container: Container) -> None:
    built: list[str] = []

    class Inner:
        def __init__(self) -> None:
            built.append("inner")
            time.sleep(SLOW / 3)

    class Outer:
        def __init__(self) -> None:
            built.append("outer")
            self.inner = container.resolve(Inner)

    container.register_class(Inner, scope=Scope.SINGLETON)
    container.register_class(Outer, scope=Scope.SINGLETON)

    outers = values(run_threads(THREADS, lambda _: container.resolve(Outer)))

    assert sorted(built) == ["inner", "outer"]
    assert all(outer is outers[0] for outer in outers)
    assert outers[0].inner is container.resolve(Inner)


def test_a_constructor_may_register_and_resolve_on_its_container(container: Container) -> None:
    class Plugin: ...

    class Loader:
        def __init__(self) -> None:
            # Takes the registry's write lock while resolve() is running.
            container.register_class(Plugin, scope=Scope.SINGLETON)
            self.plugin = container.resolve(Plugin)

    container.register_class(Loader, scope=Scope.SINGLETON)

    loader = container.resolve(Loader)

    assert loader.plugin is container.resolve(Plugin)


def test_a_constructor_resolving_its_own_type_fails_instead_of_hanging(container: Container) -> None:
    class Narcissus:
        def __init__(self) -> None:
            self.me = container.resolve(Narcissus)

    container.register_class(Narcissus, scope=Scope.SINGLETON)

    with pytest.raises(CircularDependencyError, match="hint:"):
        container.resolve(Narcissus)


def test_threads_whose_constructors_resolve_each_other_fail_instead_of_deadlocking(
    container: Container,
) -> None:
    class Chicken:
        def __init__(self) -> None:
            time.sleep(SLOW)
            self.egg = container.resolve(Egg)

    class Egg:
        def __init__(self) -> None:
            time.sleep(SLOW)
            self.chicken = container.resolve(Chicken)

    class Farm: ...

    container.register_class(Chicken, scope=Scope.SINGLETON)
    container.register_class(Egg, scope=Scope.SINGLETON)
    container.register_class(Farm, scope=Scope.SINGLETON)

    results = run_threads(2, lambda i: container.resolve([Chicken, Egg][i]), timeout=20)

    # Each constructor needs the other one built first: a cycle hidden in
    # resolve() calls. Single-threaded it is refused; from two threads each
    # waits for the other, which the thread that closes the circle detects.
    assert [kind for kind, _ in results] == ["error", "error"]
    assert all(isinstance(error, CircularDependencyError) for _, error in results)
    assert all("hint:" in str(error) for _, error in results)
    assert container.resolve(Farm) is container.resolve(Farm)


# -- locks are never held around Python code --------------------------------

CALLBACK_IN_MESSAGE = """
from dioxide import Container, DuplicateRegistrationError, Scope

container = Container()

class Config: ...

container.register_class(Config, scope=Scope.SINGLETON)

class Named(type):
    def __getattribute__(cls, name):
        if name == "__qualname__":
            # Rendering a message reads the name: this runs Python code
            # that uses the container again.
            container.resolve(Config)
        return super().__getattribute__(name)

class Twice(metaclass=Named): ...

container.register_class(Twice)
try:
    container.register_class(Twice)
except DuplicateRegistrationError as error:
    print(str(error).splitlines()[0])
"""


def test_rendering_an_error_may_call_back_into_the_container() -> None:
    done = subprocess.run(
        [sys.executable, "-c", CALLBACK_IN_MESSAGE],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )

    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "Twice is already registered in this container"
    assert issubclass(DuplicateRegistrationError, ValueError)


# -- stress -------------------------------------------------------------------

STRESS_THREADS = 8
STRESS_SECONDS = 3.0


def stress(threads: int, seconds: float) -> dict[str, Any]:
    """Resolve, register, override and open scopes from ``threads`` threads
    for ``seconds``; returns counts. Raises if anything went wrong."""

    class Config: ...

    class Port: ...

    class Real(Port): ...

    class Fake(Port): ...

    class Repository:
        def __init__(self, config: Config) -> None:
            self.config = config

    class Service:
        def __init__(self, repository: Repository, port: Port) -> None:
            self.repository = repository
            self.port = port

    class Session:
        def __init__(self, config: Config) -> None:
            self.config = config

    container = Container()
    container.register_class(Config, scope=Scope.SINGLETON)
    container.register_class(Port, Real, scope=Scope.SINGLETON)
    container.register_class(Repository)
    container.register_class(Service)
    container.register_class(Session, scope=Scope.SCOPED)
    config = container.resolve(Config)
    real = container.resolve(Port)

    counts = {"resolve": 0, "register": 0, "override": 0, "scope": 0}
    problems: list[BaseException] = []
    deadline = time.monotonic() + seconds
    # Overrides from several threads interleave: one that ends under a newer
    # one stays in force until that one ends, then both are undone.

    def work(seed: int) -> None:
        rng = random.Random(seed)
        fresh = 0
        done = dict.fromkeys(counts, 0)
        try:
            while time.monotonic() < deadline:
                op = rng.randrange(8)
                if op < 3:
                    service = container.resolve(Service)
                    assert service.repository.config is config
                    assert isinstance(service.port, Port)
                    done["resolve"] += 1
                elif op < 5:
                    fresh += 1
                    cls = type(f"Fresh{seed}x{fresh}", (), {})
                    scope = rng.choice([Scope.TRANSIENT, Scope.SINGLETON])
                    container.register_class(cls, scope=scope)
                    assert isinstance(container.resolve(cls), cls)
                    done["register"] += 1
                elif op < 6:
                    with container.override(Port, Fake()):
                        assert isinstance(container.resolve(Service).port, Fake)
                    done["override"] += 1
                else:
                    with container.create_scope() as scope:
                        session = scope.resolve(Session)
                        assert scope.resolve(Session) is session
                        assert session.config is config
                    done["scope"] += 1
        except BaseException as error:  # noqa: BLE001 - reported below
            problems.append(error)
        for key, value in done.items():
            counts[key] += value

    workers = [threading.Thread(target=work, args=(seed,), daemon=True) for seed in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(seconds + 30)
    stuck = sum(worker.is_alive() for worker in workers)
    if stuck or problems:
        raise AssertionError(f"{stuck} threads stuck; problems: {problems!r}")
    # Every override has ended: the original provider and its singleton are back.
    assert container.resolve(Port) is real
    assert container.resolve(Config) is config
    container.close()
    return {"threads": threads, "seconds": seconds, **counts}


def test_mixed_resolve_register_override_from_many_threads_never_deadlocks() -> None:
    # In a child process: a deadlock there cannot hang the test run.
    done = subprocess.run(
        [sys.executable, __file__, "--stress", str(STRESS_THREADS), str(STRESS_SECONDS)],
        capture_output=True,
        text=True,
        timeout=STRESS_SECONDS + 60,
        check=False,
    )

    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout.strip().splitlines()[-1])
    assert report["threads"] == STRESS_THREADS
    assert min(report[op] for op in ("resolve", "register", "override", "scope")) > 0, report
    print("stress:", report)


if __name__ == "__main__" and sys.argv[1:2] == ["--stress"]:
    print(json.dumps(stress(int(sys.argv[2]), float(sys.argv[3]))))
