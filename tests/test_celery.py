"""dioxide.celery: a scope per task run, ``@inject`` task functions, the
task request as context; run by a real worker (in a thread, on Celery's
in-memory broker) and eagerly."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest
from celery import Celery
from celery.app.task import Context, Task
from celery.contrib.testing.worker import start_worker
from celery.signals import worker_shutdown

from dioxide import Container, DioxideTypeError, ResolutionError, Scope
from dioxide.celery import Inject, container_of, inject, setup

from web_wiring import Events, Repository, Session, record_events, wire


@pytest.fixture
def events(container: Container) -> Events:
    events = record_events(container)
    wire(container, events)
    return events


class StoppedWorker:
    """What worker_shutdown's sender offers: the worker's app."""

    def __init__(self, app: Celery) -> None:
        self.app = app


def make_app(container: Container, **conf: object) -> Celery:
    app = Celery("jobs", broker="memory://", backend="cache+memory://", set_as_current=False)
    app.conf.update(worker_hijack_root_logger=False, **conf)
    setup(app, container)
    return app


def test_a_real_worker_runs_injected_tasks_one_scope_per_run(
    container: Container, events: Events
) -> None:
    app = make_app(container)
    runs: list[tuple[int, bool, str]] = []

    @app.task
    @inject
    def count(n: int, session: Inject[Session], repo: Inject[Repository], request: Inject[Context]) -> int:
        runs.append((n, repo.session is session, request.id))
        return n * 2

    with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=10):
        first = count.delay(1)
        second = count.delay(2)
        assert first.get(timeout=10) == 2
        assert second.get(timeout=10) == 4

    assert [(n, same) for n, same, _ in runs] == [(1, True), (2, True)]
    assert [task_id for _, _, task_id in runs] == [first.id, second.id]
    assert events.log == ["session opened", "session closed"] * 2


def test_a_task_error_is_thrown_into_the_runs_scope(container: Container, events: Events) -> None:
    app = make_app(container)

    @app.task
    @inject
    def fail(session: Inject[Session]) -> None:
        raise ValueError("the task failed")

    with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=10):
        with pytest.raises(ValueError, match="the task failed"):
            fail.delay().get(timeout=10)
    assert events.log == ["session opened", "session rolled back: ValueError"]


def test_concurrent_task_runs_each_get_their_own_scope(container: Container, events: Events) -> None:
    app = make_app(container)
    barrier = threading.Barrier(2, timeout=10)
    sessions: list[Session] = []

    @app.task
    @inject
    def meet(session: Inject[Session]) -> None:
        sessions.append(session)
        barrier.wait()

    with start_worker(app, pool="threads", concurrency=2, perform_ping_check=False, shutdown_timeout=10):
        results = [meet.delay(), meet.delay()]
        for result in results:
            result.get(timeout=10)
    assert len(sessions) == 2 and sessions[0] is not sessions[1]
    assert events.log.count("session closed") == 2


def test_injected_parameters_are_hidden_from_the_task_signature(
    container: Container, events: Events
) -> None:
    app = make_app(container, task_always_eager=True)

    @app.task(bind=True)
    @inject
    def greet(self: Task, name: str, session: Inject[Session]) -> str:
        return f"hello {name} ({self.request.retries} retries)"

    assert greet.delay("ada").get() == "hello ada (0 retries)"
    with pytest.raises(TypeError):
        greet.delay("ada", "extra")  # Celery's own argument check


def test_calling_the_function_directly_needs_explicit_arguments(container: Container) -> None:
    @inject
    def plain(n: int, session: Inject[Session]) -> int:
        return n

    fake = Session.__new__(Session)
    assert plain(3, session=fake) == 3
    with pytest.raises(ResolutionError, match="not running as a Celery task"):
        plain(3)


def test_the_worker_shutdown_closes_the_container(container: Container) -> None:
    closed: list[str] = []

    class Pool:
        pass

    def pool() -> Iterator[Pool]:
        yield Pool()
        closed.append("pool closed")

    other = Container()
    other.register_factory(Pool, pool, scope=Scope.SINGLETON)
    app = make_app(other)

    @app.task
    @inject
    def use(pool: Inject[Pool]) -> str:
        return "ok"

    with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=10):
        assert use.delay().get(timeout=10) == "ok"
    assert container_of(app) is other
    # The test worker ends with a cold stop; `celery worker` sends
    # worker_shutdown from its warm stop, with itself as the sender.
    worker_shutdown.send(sender=StoppedWorker(make_app(Container())))
    assert not other.closed  # another app's worker
    worker_shutdown.send(sender=StoppedWorker(app))
    assert other.closed and closed == ["pool closed"]


def test_setup_twice_is_refused(container: Container) -> None:
    app = make_app(container)
    with pytest.raises(DioxideTypeError, match="already has a dioxide container"):
        setup(app, Container())
