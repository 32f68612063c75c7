"""The lookup audit of ministry-system lookups, written in groups (group commit).

System callers look students up at high rates. Each lookup hands its audit entry to this writer and
waits until the entry is committed, so no answered lookup goes unaudited; the writer sends every
entry that queued up meanwhile in one round trip (pipelined), rather than a transaction per lookup. On PostgreSQL the engine given commits without waiting for the WAL flush
(lookup_engine: synchronous_commit off): a server crash may lose the last fraction of a second of
audit rows.
"""
from __future__ import annotations

import queue
import threading

from sqlalchemy import insert
from sqlalchemy.engine import Engine

from xueji_common.errors import Unavailable
from xueji_national_query.adapters.tables import lookup_audit

MAX_GROUP = 500


class _Pending:
    __slots__ = ("entry", "done", "error")

    def __init__(self, entry: dict) -> None:
        self.entry, self.done, self.error = entry, threading.Event(), None


class GroupAuditWriter:
    def __init__(self, engine: Engine, timeout: float = 10.0) -> None:
        self._engine = engine
        self._timeout = timeout
        self._queue: queue.Queue[_Pending] = queue.Queue()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    def write(self, entry: dict) -> None:
        """Returns once the entry is committed; Unavailable when the database does not take it."""
        self._ensure_started()
        pending = _Pending(entry)
        self._queue.put(pending)
        if not pending.done.wait(self._timeout) or pending.error is not None:
            raise Unavailable("查询审计记录暂时无法写入，请稍后再试")

    def _ensure_started(self) -> None:
        if self._thread is None:
            with self._lock:
                if self._thread is None:
                    self._thread = threading.Thread(target=self._run, name="nq-audit", daemon=True)
                    self._thread.start()

    def _run(self) -> None:
        while True:
            group = [self._queue.get()]
            while len(group) < MAX_GROUP:
                try:
                    group.append(self._queue.get_nowait())
                except queue.Empty:
                    break
            error = None
            try:
                # Autocommit: each row commits on its own, the rows go in one pipelined round trip.
                with self._engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                    conn.execute(insert(lookup_audit), [p.entry for p in group])
            except Exception as exc:  # noqa: BLE001 - reported to every waiting lookup
                error = exc
            for pending in group:
                pending.error = error
                pending.done.set()
