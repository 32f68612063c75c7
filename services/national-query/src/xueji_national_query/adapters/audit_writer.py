"""The lookup audit written outside a transaction: queued, then committed in groups by one thread.

A lookup queues its entry before it is answered and does not wait for the database. The thread
wakes on the first entry of a group, lets entries gather for `linger` seconds (queuing an entry
wakes no one meanwhile), and commits up to `max_group` of them in one statement (COPY on
PostgreSQL): a few statements a second however high the lookup rate. The queue is bounded: when
the database does not take entries (down, slow), lookups wait for room and are refused
(UNAVAILABLE) after `put_timeout`, so nothing is answered beyond what the queue can still hold. A
failed group is retried, not dropped. `close()` (a clean stop; also run at interpreter exit) commits
every entry queued before it; entries written after it are committed on the spot. A crash of the
process loses the entries not yet committed: at most the queue, usually `linger` seconds' worth.
"""

from __future__ import annotations

import atexit
import collections
import logging
import threading
import time
import weakref

from tenacity import RetryError, Retrying, wait_exponential

from xueji_common.errors import Unavailable
from xueji_national_query.domain.lookup import AuditEntry

log = logging.getLogger(__name__)
UNAVAILABLE = "查询审计记录暂时无法写入，请稍后再试"


class BufferedAuditWriter:
    def __init__(
        self,
        sink,
        *,
        capacity: int = 10_000,
        max_group: int = 1_000,
        linger: float = 0.05,
        put_timeout: float = 5.0,
        close_timeout: float = 30.0,
    ) -> None:
        self._sink = sink  # .write(list[AuditEntry]) commits them, or raises
        self._capacity, self._max_group, self._linger = capacity, max_group, linger
        self._put_timeout, self._close_timeout = put_timeout, close_timeout
        self._entries: collections.deque[AuditEntry] = collections.deque()
        self._queued = self._committed = 0  # counts, for flush()
        self._lock = threading.Lock()
        self._progress = threading.Condition(self._lock)  # an entry committed: room, flushes
        self._work = threading.Event()  # entries are queued
        self._hurry = threading.Event()  # a flush or close: stop gathering
        self._thread: threading.Thread | None = None
        self._closed = False
        _OPEN.add(self)

    def write(self, entry: AuditEntry) -> None:
        with self._lock:
            if not self._closed:
                if self._thread is None:
                    self._thread = threading.Thread(target=self._run, name="nq-audit", daemon=True)
                    self._thread.start()
                if len(self._entries) >= self._capacity and not self._progress.wait_for(
                    lambda: len(self._entries) < self._capacity or self._closed, self._put_timeout
                ):
                    raise Unavailable(UNAVAILABLE)
                if not self._closed:
                    self._entries.append(entry)
                    self._queued += 1
                    if not self._work.is_set():
                        self._work.set()
                    return
        self._sink.write([entry])  # after close: no thread, committed on the spot

    def flush(self, timeout: float = 30.0) -> bool:
        """Waits until the entries queued before this call are committed; False on timeout."""
        with self._lock:
            target = self._queued
            self._hurry.set()
            return self._progress.wait_for(lambda: self._committed >= target, timeout)

    def close(self) -> None:
        with self._lock:
            if self._closed:
                return
            self._closed = True
            self._hurry.set()
            self._work.set()
            self._progress.notify_all()
        if self._thread is not None:
            self._thread.join(self._close_timeout + 5)
        self._sink.close()
        _OPEN.discard(self)

    def _run(self) -> None:
        backlog = False
        while True:
            self._work.wait()
            if not backlog:
                self._hurry.wait(self._linger)  # gather (cut short by a flush or close)
            with self._lock:
                group = [self._entries.popleft() for _ in range(min(len(self._entries), self._max_group))]
                backlog = bool(self._entries)
                if not backlog:
                    self._work.clear()
                    self._hurry.clear()
                stop = self._closed and not backlog
            if group:
                self._store(group)
            with self._lock:
                self._committed += len(group)
                self._progress.notify_all()
            if stop:
                return

    def _store(self, group: list[AuditEntry]) -> None:
        """Write the group, retried on any error with growing pauses (0.05 s doubling up to 2 s) until
        it is written, or until `close_timeout` after the writer was closed (the entries are lost)."""
        deadline: list[float] = []

        def given_up(_state) -> bool:
            if not self._closed:
                return False
            deadline[:] = deadline or [time.monotonic() + self._close_timeout]
            return time.monotonic() > deadline[0]

        def logged(state) -> None:
            log.warning(
                "lookup audit not written, retrying",
                extra={"fields": {"entries": len(group), "error": type(state.outcome.exception()).__name__}},
            )

        try:
            Retrying(wait=wait_exponential(multiplier=0.05, max=2.0), stop=given_up, after=logged)(
                self._sink.write, group
            )
        except RetryError:
            log.error("lookup audit entries lost at shutdown", extra={"fields": {"entries": len(group)}})


_OPEN: weakref.WeakSet[BufferedAuditWriter] = weakref.WeakSet()


@atexit.register
def _close_open_writers() -> None:
    """A clean exit of the process commits what is still queued (servers close their writers first)."""
    for writer in list(_OPEN):
        writer.close()
