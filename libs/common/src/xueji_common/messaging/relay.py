"""The outbox relay: publishes committed outbox rows to the bus and stamps them as sent.

At-least-once: a crash between publishing and stamping publishes the row again later; consumers'
inboxes make that harmless. On PostgreSQL rows are claimed with SKIP LOCKED so that several relays
(replicas) never publish the same row at the same time.

Consecutive rows of one event type go out as one bus message, an `EventBatch` of up to `batch_size`
envelopes (issue 16 step 1, docs/FLOWS.md#batches-on-the-bus): a chunk of an import, an approve-all,
a set-based handler's results cost one delivery instead of one per student. A lone row goes out as
its envelope, as before batches.
"""

from __future__ import annotations

import logging
import threading
import time
from typing import Protocol

from sqlalchemy import BigInteger, any_, bindparam, func, select, update
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import sessionmaker

from xueji.v1.events_pb2 import EventBatch
from xueji_common import metrics
from xueji_common.db.engine import now
from xueji_common.errors import ConcurrentModification
from xueji_common.messaging.outbox_listener import OutboxListener

log = logging.getLogger(__name__)

BACKLOG_EVERY_SECONDS = 5.0  # how often an idle relay refreshes the xueji_outbox_backlog gauge


class Publisher(Protocol):
    def publish(self, producer: str, event_type: str, body: bytes) -> None: ...

    def close(self) -> None: ...


class OutboxRelay:
    def __init__(
        self,
        service: str,
        session_factory: sessionmaker,
        outbox_table,
        publisher: Publisher,
        *,
        interval: float = 0.2,
        batch_size: int = 500,
        max_backoff: float = 10.0,
        listen_url: str | None = None,
        idle_interval: float = 5.0,
    ) -> None:
        self.service = service
        self._sessions = session_factory
        self._outbox = outbox_table
        self._publisher = publisher
        self._interval = interval
        self._batch_size = batch_size
        self._max_backoff = max_backoff
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        # PostgreSQL: woken by NOTIFY from any process's commit, so polls can be rare.
        self._listener = OutboxListener(listen_url, self.wake) if listen_url else None
        self._idle_interval = idle_interval
        self._backlog_at = 0.0

    def publish_pending(self) -> int:
        """Publish one batch of unsent rows in order; returns how many were sent.

        PostgreSQL: the batch stays row-locked (SKIP LOCKED) while it is published, so that replicas
        share the work without sending a row twice. SQLite (embedded, one relay per database): the
        rows are read, published with no transaction open, then stamped, so that the file is not
        locked while in-process consumers run.
        """
        with self._sessions() as session:
            if session.bind.dialect.name == "postgresql":
                with session.begin():
                    rows = session.execute(self._pending_query().with_for_update(skip_locked=True)).all()
                    sent, failed, error = self._send(rows)
                    self._stamp(session, sent, failed)
            else:
                with session.begin():
                    rows = session.execute(self._pending_query()).all()
                sent, failed, error = self._send(rows)
                with session.begin():
                    self._stamp(session, sent, failed)
        if error is not None:
            raise error
        return len(sent)

    def _pending_query(self):
        t = self._outbox
        return (
            select(t.c.id, t.c.event_type, t.c.envelope)
            .where(t.c.published_at.is_(None))
            .order_by(t.c.id)
            .limit(self._batch_size)
        )

    def _send(self, rows) -> tuple[list[int], int | None, Exception | None]:
        """Publish in order, a run of consecutive rows of one type as one message; stop at the first
        failure (the bus is down or refused): that run's rows stay unsent."""
        sent: list[int] = []
        for run in _runs_of_one_type(rows):
            event_type = run[0].event_type
            body = run[0].envelope if len(run) == 1 else _batch_body(run)
            try:
                self._publisher.publish(self.service, event_type, body)
            except Exception as exc:
                return sent, run[0].id, exc
            sent.extend(row.id for row in run)
            metrics.EVENTS_PUBLISHED.labels(self.service, event_type).inc(len(run))
        return sent, None, None

    def _stamp(self, session, sent: list[int], failed: int | None) -> None:
        # Stamp what went out even when a later row failed, so that it is not sent twice.
        t = self._outbox
        if sent:
            # PostgreSQL: one array parameter (= ANY) rather than an IN of up to 500 parameters that
            # SQLAlchemy renders and psycopg binds one by one (10 % of review's server CPU, py-spy).
            ids = (
                t.c.id == any_(bindparam("sent", sent, type_=ARRAY(BigInteger)))
                if session.bind.dialect.name == "postgresql"
                else t.c.id.in_(sent)
            )
            session.execute(update(t).where(ids).values(published_at=now()))
        if failed is not None:
            session.execute(update(t).where(t.c.id == failed).values(attempts=t.c.attempts + 1))

    def backlog(self) -> int:
        t = self._outbox
        with self._sessions() as session:
            count = session.execute(
                select(func.count()).select_from(t).where(t.c.published_at.is_(None))
            ).scalar_one()
        metrics.OUTBOX_BACKLOG.labels(self.service).set(count)
        return count

    def wake(self) -> None:
        self._wake.set()

    def start(self) -> None:
        if self._listener:
            self._listener.start()
        self._thread = threading.Thread(target=self._run, name=f"relay-{self.service}", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        self._stop.set()
        self._wake.set()
        if self._listener:
            self._listener.stop(timeout)
        if self._thread:
            self._thread.join(timeout)
        self._publisher.close()

    def _poll_interval(self) -> float:
        return self._idle_interval if self._listener and self._listener.listening else self._interval

    def _run(self) -> None:
        backoff = self._interval
        while not self._stop.is_set():
            try:
                sent = self.publish_pending()
                backoff = self._interval
                if sent:
                    continue  # more may be waiting
                if time.monotonic() - self._backlog_at >= BACKLOG_EVERY_SECONDS:
                    self._backlog_at = time.monotonic()
                    self.backlog()
            except ConcurrentModification:
                # In-process bus (embedded): a consumer met a concurrent change, and retrying the
                # row resolves it. Expected, so INFO without a traceback (the consumer said which).
                log.info(
                    "outbox publish will retry after a concurrent change",
                    extra={"fields": {"service": self.service, "retry_in": backoff}},
                )
                self._stop.wait(backoff)
                backoff = min(backoff * 2, self._max_backoff)
                continue
            except Exception:
                metrics.PUBLISH_FAILURES.labels(self.service).inc()
                log.warning(
                    "outbox publish failed; will retry",
                    exc_info=True,
                    extra={"fields": {"service": self.service, "retry_in": backoff}},
                )
                self._stop.wait(backoff)
                backoff = min(backoff * 2, self._max_backoff)
                continue
            self._wake.wait(self._poll_interval())
            self._wake.clear()


def _runs_of_one_type(rows) -> list[list]:
    """Consecutive rows of the same event type, in order. Only consecutive ones: grouping further
    would let a later event of one aggregate overtake an earlier one of another type on the
    in-process bus, which delivers each message before the next."""
    runs: list[list] = []
    for row in rows:
        if runs and runs[-1][0].event_type == row.event_type:
            runs[-1].append(row)
        else:
            runs.append([row])
    return runs


def _batch_body(run) -> bytes:
    return EventBatch(envelopes=[bytes(row.envelope) for row in run]).SerializeToString()
