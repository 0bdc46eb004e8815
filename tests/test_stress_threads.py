"""A bounded, deterministic stress test of one container shared by many
threads, run by the suite on every interpreter and, with more rounds and
threads, by ``make test-free-threaded`` with the GIL off.

Every round builds a fresh registry and container; all threads start
together on a ``Barrier`` and, at once, resolve singletons (one slow, one
that fails its first builds), scoped generator providers in a scope of their
own and in one scope they share, transients, and classes another thread is
decorating at that moment, while one thread runs the garbage collector.
What is checked is exact, whatever the interleaving: how many times each
constructor ran, one instance per owner (the container, each scope), every
finalizer run once. A hang fails instead of blocking the run:
``faulthandler`` dumps every thread's stack and exits when a round takes
``ROUND_TIMEOUT`` seconds, and each join has a timeout.

``DIOXIDE_STRESS_ROUNDS`` and ``DIOXIDE_STRESS_THREADS`` scale it up.
"""

import faulthandler
import gc
import os
import sys
import sysconfig
import threading
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field

import pytest

from dioxide import Container, ContainerScope, Registry, Scope, component, provider, singleton

ROUNDS = int(os.environ.get("DIOXIDE_STRESS_ROUNDS", "10"))
THREADS = int(os.environ.get("DIOXIDE_STRESS_THREADS", "8"))
#: Resolves of the transient per thread and scope in a round.
RESOLVES = 10
#: The flaky singleton's constructor fails this many times, then succeeds.
FAILURES = 3
#: A round that hangs (or deadlocks) ends the process with every thread's
#: stack after this many seconds; far more than a round takes on a loaded
#: machine.
ROUND_TIMEOUT = float(os.environ.get("DIOXIDE_STRESS_ROUND_TIMEOUT", "120"))
JOIN_TIMEOUT = 60.0

FREE_THREADED_BUILD = bool(sysconfig.get_config_var("Py_GIL_DISABLED"))


class Boom(Exception):
    """The flaky singleton's failure."""


@dataclass
class Log:
    """What ran, appended from many threads (``list.append`` is atomic with
    and without the GIL). Holding every instance keeps their ``id``s
    distinct for the round."""

    built: list[tuple[str, object]] = field(default_factory=list)
    finalized: list[tuple[str, object]] = field(default_factory=list)
    flaky_attempts: list[int] = field(default_factory=list)

    def count(self, name: str) -> int:
        return sum(1 for built, _ in self.built if built == name)


def spin() -> int:
    """A little work inside a constructor, so other threads arrive while it
    runs (no sleep: the window is made of work, the outcome does not depend
    on it)."""
    return sum(i * i for i in range(300))


def wire(log: Log) -> tuple[Registry, dict[str, type]]:
    registry = Registry()

    @singleton(registry=registry)
    class Config:
        def __init__(self) -> None:
            spin()
            log.built.append(("Config", self))

    @singleton(registry=registry)
    class Flaky:
        def __init__(self, config: Config) -> None:
            # One builder at a time: the attempts are numbered in order.
            log.flaky_attempts.append(len(log.flaky_attempts))
            if len(log.flaky_attempts) <= FAILURES:
                raise Boom
            log.built.append(("Flaky", self))

    class Pool:
        pass

    @provider(scope=Scope.SINGLETON, registry=registry)
    def pool(config: Config) -> Iterator[Pool]:
        made = Pool()
        log.built.append(("Pool", made))
        yield made
        log.finalized.append(("Pool", made))

    class Session:
        pass

    @provider(scope=Scope.SCOPED, registry=registry)
    def session(pool: Pool) -> Iterator[Session]:
        spin()
        made = Session()
        log.built.append(("Session", made))
        yield made
        log.finalized.append(("Session", made))

    @component(registry=registry)
    class Handler:
        def __init__(self, session: Session, config: Config) -> None:
            self.session = session
            self.config = config
            log.built.append(("Handler", self))

    types = {
        "Config": Config,
        "Flaky": Flaky,
        "Pool": Pool,
        "Session": Session,
        "Handler": Handler,
    }
    return registry, types


@dataclass
class Seen:
    """What one thread got back."""

    config: set[int] = field(default_factory=set)
    flaky: set[int] = field(default_factory=set)
    own_sessions: set[int] = field(default_factory=set)
    shared_sessions: set[int] = field(default_factory=set)
    extras: int = 0


def worker(
    index: int,
    container: Container,
    shared_scope: ContainerScope,
    registry: Registry,
    types: dict[str, type],
    log: Log,
    start: threading.Barrier,
    seen: Seen,
    failures: list[BaseException],
) -> None:
    try:
        start.wait(JOIN_TIMEOUT)
        Handler = types["Handler"]
        Config = types["Config"]
        while True:
            try:
                seen.flaky.add(id(container.resolve(types["Flaky"])))
                break
            except Boom:
                continue
        with container.create_scope() as scope:
            for _ in range(RESOLVES):
                handler = scope.resolve(Handler)
                seen.own_sessions.add(id(handler.session))
                seen.config.add(id(handler.config))
                handler = shared_scope.resolve(Handler)
                seen.shared_sessions.add(id(handler.session))
            if index == 0:
                gc.collect()

        # Decorate a class while the others resolve, then use it.
        @component(registry=registry)
        class Extra:
            def __init__(self, config: Config) -> None:
                log.built.append(("Extra", self))

        container.resolve(Extra)
        seen.extras += 1
    except BaseException as error:  # noqa: BLE001 - reported to the test
        failures.append(error)
        start.abort()


def one_round(threads: int) -> None:
    log = Log()
    registry, types = wire(log)
    container = Container(registry=registry)
    shared_scope = container.create_scope()
    shared_scope.__enter__()
    start = threading.Barrier(threads)
    seen = [Seen() for _ in range(threads)]
    failures: list[BaseException] = []
    workers = [
        threading.Thread(
            target=worker,
            args=(i, container, shared_scope, registry, types, log, start, seen[i], failures),
            name=f"stress-{i}",
        )
        for i in range(threads)
    ]
    for thread in workers:
        thread.start()
    for thread in workers:
        thread.join(JOIN_TIMEOUT)
    assert not [t.name for t in workers if t.is_alive()], "threads still running: a hang"
    assert not failures, failures
    shared_scope.__exit__(None, None, None)
    container.close()

    # One instance per owner: the container's singletons, each scope's
    # session; every thread saw the same singletons.
    assert log.count("Config") == 1
    assert log.count("Pool") == 1
    assert log.count("Flaky") == 1
    assert len(log.flaky_attempts) == FAILURES + 1
    assert len(set().union(*(s.config for s in seen))) == 1
    assert len(set().union(*(s.flaky for s in seen))) == 1
    assert log.count("Session") == threads + 1
    assert all(len(s.own_sessions) == 1 for s in seen)
    assert len(set().union(*(s.own_sessions for s in seen))) == threads
    assert len(set().union(*(s.shared_sessions for s in seen))) == 1
    # Transients: exactly one construction per resolve.
    assert log.count("Handler") == threads * RESOLVES * 2
    assert log.count("Extra") == threads == sum(s.extras for s in seen)
    # Every finalizer ran, once: each session and the pool.
    finalized = Counter((name, id(made)) for name, made in log.finalized)
    assert all(n == 1 for n in finalized.values()), finalized
    assert set(finalized) == {(n, id(made)) for n, made in log.built if n in ("Session", "Pool")}


def test_many_threads_build_each_shared_instance_once_and_finalize_it_once() -> None:
    try:
        for _ in range(ROUNDS):
            faulthandler.dump_traceback_later(ROUND_TIMEOUT, exit=True)
            one_round(THREADS)
    finally:
        faulthandler.cancel_dump_traceback_later()


@pytest.mark.skipif(not FREE_THREADED_BUILD, reason="needs a free-threaded CPython build")
def test_importing_dioxide_leaves_the_gil_off() -> None:
    # A fresh interpreter without PYTHON_GIL set: an extension that does not
    # declare itself free-threading safe turns the GIL on when imported
    # (with a RuntimeWarning, made an error here).
    import subprocess

    env = {k: v for k, v in os.environ.items() if k != "PYTHON_GIL"}
    code = "import sys, dioxide; print(sys._is_gil_enabled())"
    result = subprocess.run(
        [sys.executable, "-W", "error::RuntimeWarning", "-c", code],
        env=env, capture_output=True, text=True, check=False,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "False"
