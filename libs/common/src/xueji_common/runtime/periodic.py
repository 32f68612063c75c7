"""Periodic jobs of a service process (retries, clean-ups), each on its own thread.

A job runs a little after start (`first_delay`, by default the interval up to 10 s: let the
process come up first), then `interval` seconds after each run ends; a run that raises is logged
and the job goes on at its next time. The threads are real threads (the worker process patches
everything but threads, see messaging.green), so a job may block on the database or on gRPC as an
event handler does. Every replica of a process runs its jobs: a job that must not run twice at
once takes `exclusive` around its work.

Ours, not APScheduler (3.11, the maintained scheduler on the mirror; issue 18 §7), for what it would
change: its interval trigger counts from start to start, so a run longer than its interval (a purge
of a big backlog) makes the next one missed or skipped with a warning, where ours waits `interval`
after the end of each run and never overlaps; it runs jobs on an executor pool beside its own
scheduler thread, where ours has one thread per job and no pool to size in a worker that also runs
nameko's handlers; its shutdown waits for running jobs without a bound or not at all, ours
`stop(timeout)`. The loop is twenty lines. The cross-replica exclusion (`exclusive`, a PostgreSQL
advisory lock) has no equivalent in APScheduler 3 and stays ours in any case. Speed is not the
reason: nothing to measure.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from sqlalchemy import text
from sqlalchemy.engine import Engine

from xueji_common import callcontext

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class PeriodicTask:
    name: str  # for logs and the thread's name
    interval: float  # seconds between the end of a run and the next; <= 0: never runs
    run: Callable[[], object]
    first_delay: float | None = None  # seconds after start; None: min(interval, 10)

    @property
    def delay(self) -> float:
        return min(self.interval, 10.0) if self.first_delay is None else self.first_delay


class PeriodicRunner:
    def __init__(self, tasks: list[PeriodicTask]) -> None:
        self.tasks = [t for t in tasks if t.interval > 0]
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []

    @classmethod
    def of(cls, runtime) -> PeriodicRunner:
        """The jobs the runtime's service declares (ServiceSpec.periodic_tasks), if any, and the
        purge of its published outbox rows (messaging.outbox_purge) that every service runs."""
        from xueji_common.messaging.outbox_purge import outbox_purge_task

        make = runtime.spec.periodic_tasks
        purge = outbox_purge_task(runtime)
        return cls([*(make(runtime) if make else []), *([purge] if purge else [])])

    def start(self) -> None:
        for task in self.tasks:
            name = f"periodic-{task.name}"
            thread = threading.Thread(target=self._loop, args=(task,), name=name, daemon=True)
            thread.start()
            self._threads.append(thread)
        if self.tasks:
            log.info(
                "periodic tasks started",
                extra={"fields": {"tasks": {t.name: t.interval for t in self.tasks}}},
            )

    def stop(self, timeout: float = 5.0) -> None:
        """Ask the jobs to stop and wait a little for a run in progress (the threads are daemons)."""
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout)

    def _loop(self, task: PeriodicTask) -> None:
        if self._stop.wait(task.delay):
            return
        while True:
            with callcontext.bound(callcontext.new_request_id()):  # one id per run, in its logs and events
                try:
                    task.run()
                except Exception:
                    log.warning(
                        "periodic task failed; will run again",
                        exc_info=True,
                        extra={"fields": {"task": task.name, "retry_in": task.interval}},
                    )
            if self._stop.wait(task.interval):
                return


@contextmanager
def exclusive(engine: Engine, key: str) -> Iterator[bool]:
    """Whether this process holds `key` for the block (False: another process does; skip the work).

    PostgreSQL: a session advisory lock on a connection kept for the block, released at its end (the
    server releases it too when the process dies). No transaction stays open meanwhile. Other
    databases (embedded SQLite, one process): always True.
    """
    if engine.dialect.name != "postgresql":
        yield True
        return
    params = {"key": key}
    with engine.connect() as conn:
        held = conn.execute(text("SELECT pg_try_advisory_lock(hashtextextended(:key, 0))"), params).scalar()
        conn.commit()
        try:
            yield bool(held)
        finally:
            if held:
                conn.execute(text("SELECT pg_advisory_unlock(hashtextextended(:key, 0))"), params)
                conn.commit()
