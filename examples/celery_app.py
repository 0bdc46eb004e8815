"""A Celery app wired by dioxide: a scope per task run, injected tasks, the
task's request as context; run by a real worker (in a thread, on Celery's
in-memory broker).

Run the self-check::

    python examples/celery_app.py

Run a worker on a real broker (edit ``broker=`` first)::

    celery --workdir examples -A celery_app worker
"""

from __future__ import annotations

from collections.abc import Iterator

from celery import Celery
from celery.app.task import Context
from celery.contrib.testing.worker import start_worker

from dioxide import Container, Scope
from dioxide.celery import Inject, inject, setup


class Outbox:
    """Stands in for a mail server connection: one per worker."""

    def __init__(self) -> None:
        self.sent: list[str] = []


class Batch:
    """One per task run: the mails are sent when the run succeeds."""

    def __init__(self, outbox: Outbox) -> None:
        self.outbox = outbox
        self.pending: list[str] = []


def batch(outbox: Outbox) -> Iterator[Batch]:
    work = Batch(outbox)
    yield work
    outbox.sent.extend(work.pending)


def wiring() -> Container:
    container = Container()
    container.register_class(Outbox, scope=Scope.SINGLETON)
    container.register_factory(Batch, batch, scope=Scope.SCOPED)
    return container


app = Celery("mail", broker="memory://", backend="cache+memory://")
app.conf.worker_hijack_root_logger = False
container = wiring()
setup(app, container)


@app.task
@inject
def send_digest(user: str, batch: Inject[Batch], request: Inject[Context]) -> str:
    batch.pending.append(f"digest for {user}")
    return f"queued digest for {user} (try {request.retries + 1}, task id known: {bool(request.id)})"


def main() -> None:
    with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=10):
        results = [send_digest.delay(user) for user in ("ada", "grace")]
        for result in results:
            print(result.get(timeout=10))
    print("sent:", container.resolve(Outbox).sent)


if __name__ == "__main__":
    main()
