"""The unit of work: one transaction spanning a use case's changes and the events they cause."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable, Iterable
from typing import Any, NamedTuple, Protocol, Self

from google.protobuf.message import Message
from google.protobuf.timestamp_pb2 import Timestamp
from sqlalchemy import Table, insert, select, text
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session, sessionmaker

from xueji_common.db.bulk import insert_rows, insert_shared
from xueji_common.db.engine import now
from xueji_common.messaging.envelope import new_envelope
from xueji_common.messaging.outbox_listener import NOTIFY_SQL


class EventToPublish(NamedTuple):
    """An event for `publish_many`; a plain (event, aggregate_id[, traceparent]) tuple is one too."""

    event: Message
    aggregate_id: str
    traceparent: str = ""  # when not empty, the trace the event continues instead of the current one
    correlation_id: str = ""  # when empty, the aggregate id (as `publish`)


# What publish_many takes: an EventToPublish, or (event, aggregate id[, traceparent]).
PublishItem = EventToPublish | tuple[Message, str] | tuple[Message, str, str]


class AlreadyHandled(Exception):
    """The inbox already holds this (event, consumer): the event is a redelivery."""


class UnitOfWork(Protocol):
    """The only door of a use case to persistence (docs/ARCHITECTURE.md#layers-of-a-service): one
    transaction, the service's repositories as attributes (each service's protocol names them),
    the events it publishes written in the same transaction. `SqlAlchemyUnitOfWork` is the real one;
    `xueji_common.testing.fake_uow.FakeUnitOfWork` the in-memory one for use-case tests."""

    producer: str

    def __enter__(self) -> Self: ...
    def __exit__(self, *exc_info: object) -> None: ...
    def commit(self) -> None: ...
    def rollback(self) -> None: ...
    def publish(self, event: Message, *, aggregate_id: str = "", correlation_id: str = "") -> str: ...
    def claim_event(self, event_id: str, consumer: str, event_type: str) -> None: ...
    def claim_events(self, event_ids: list[str], consumer: str, event_type: str) -> set[str]: ...


class SqlAlchemyUnitOfWork:
    """Base unit of work. Services subclass it and build their repositories in `_open`.

    `publish` writes an event to the outbox inside the transaction; `commit` commits state and
    events together and then wakes the relay.
    """

    session: Session  # the open transaction's, from __enter__ on

    def __init__(
        self,
        session_factory: sessionmaker[Session],
        producer: str,
        outbox_table: Table,
        inbox_table: Table,
        on_commit: Callable[[], None] | None = None,
    ) -> None:
        self._session_factory = session_factory
        self.producer = producer
        self._outbox = outbox_table
        self._inbox = inbox_table
        self._on_commit = on_commit
        self._published = 0

    def __enter__(self) -> Self:
        self.session = self._session_factory()
        self._published = 0
        self._open(self.session)
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.rollback()
        self.session.close()

    def _open(self, session: Session) -> None:
        """Subclasses create their repositories here."""

    def commit(self) -> None:
        if self._published and self.session.get_bind().dialect.name == "postgresql":
            self.session.execute(text(NOTIFY_SQL))  # wakes the relays listening (at commit)
        self.session.commit()
        if self._published and self._on_commit:
            self._on_commit()
        self._published = 0

    def rollback(self) -> None:
        self.session.rollback()
        self._published = 0

    def publish(self, event: Message, *, aggregate_id: str = "", correlation_id: str = "") -> str:
        row = self._outbox_row(event, aggregate_id, correlation_id)
        self.session.execute(insert(self._outbox).values(**row))
        self._published += 1
        return str(row["event_id"])

    def publish_many(self, events: Iterable[PublishItem]) -> int:
        """Write many events to the outbox in one statement (batch use cases: COPY on PostgreSQL,
        executemany elsewhere, instead of one statement per event); returns how many. A traceparent
        lets an aggregate keep the trace of the flow it belongs to (e.g. a review case)."""
        at = now()
        occurred = Timestamp()
        occurred.FromDatetime(at)  # one clock reading for the batch (all in one transaction)
        rows = [
            self._outbox_row(e.event, e.aggregate_id, e.correlation_id, at, occurred, e.traceparent)
            for e in (EventToPublish(*item) for item in events)
        ]
        insert_rows(self.session, self._outbox, rows)  # COPY on PostgreSQL
        self._published += len(rows)
        return len(rows)

    def publish_envelopes(self, event_type: str, envelopes: list[tuple[str, str, bytes]]) -> int:
        """`publish_many` for envelopes already serialised, as (event id, aggregate id, envelope) in
        order (a batch builds them faster than `new_envelope` would, e.g. registration's
        adapters.batch_events)."""
        insert_shared(
            self.session,
            self._outbox,
            dict(event_type=event_type, producer=self.producer, created_at=now(), attempts=0),
            ("event_id", "aggregate_id", "envelope"),
            envelopes,
        )
        self._published += len(envelopes)
        return len(envelopes)

    def _outbox_row(
        self,
        event: Message,
        aggregate_id: str,
        correlation_id: str,
        at: dt.datetime | None = None,
        occurred: Timestamp | None = None,
        traceparent: str = "",
    ) -> dict[str, Any]:
        envelope = new_envelope(
            event,
            producer=self.producer,
            aggregate_id=aggregate_id,
            correlation_id=correlation_id,
            event_id=str(uuid.uuid4()),
            occurred_at=occurred,
            traceparent=traceparent,
        )
        return dict(
            event_id=envelope.event_id,
            event_type=envelope.type,
            producer=self.producer,
            aggregate_id=aggregate_id,
            envelope=envelope.SerializeToString(),
            created_at=at or now(),
            attempts=0,
        )

    def serialize(self, key: str) -> None:
        """Hold a lock on `key` until this transaction ends, so that handlers of the same aggregate
        running in two workers at once take turns (one sees what the other committed).

        PostgreSQL: a transaction-level advisory lock. SQLite needs none: a transaction holds the
        database's write lock from its first statement (BEGIN IMMEDIATE, see engine.py).
        """
        if self.session.get_bind().dialect.name == "postgresql":
            self.session.execute(
                text("SELECT pg_advisory_xact_lock(hashtextextended(:key, 0))"), {"key": key}
            )

    def claim_event(self, event_id: str, consumer: str, event_type: str) -> None:
        """Record in the inbox that `consumer` handles this event; AlreadyHandled when it did.

        The insert happens in the handler's transaction: two concurrent deliveries of the same event
        cannot both commit (primary key; PostgreSQL makes the second insert wait for the first
        transaction and then skips it), and a crash before commit leaves no trace. One statement,
        one round trip: ON CONFLICT DO NOTHING RETURNING tells a new claim from a redelivery.
        """
        dialect_insert = pg_insert if self.session.get_bind().dialect.name == "postgresql" else sqlite_insert
        claimed = self.session.execute(
            dialect_insert(self._inbox)
            .values(event_id=event_id, consumer=consumer, event_type=event_type, handled_at=now())
            .on_conflict_do_nothing()
            .returning(self._inbox.c.event_id)
        ).first()
        if claimed is None:
            raise AlreadyHandled(event_id)

    def claim_events(self, event_ids: list[str], consumer: str, event_type: str) -> set[str]:
        """`claim_event` for the events of one bus message (an EventBatch) in one statement; returns
        the ids claimed now, leaving out those handled before (a redelivery, or a batch regrouped
        by the relay after a crash: each event keeps its own inbox row, so none is handled twice).

        PostgreSQL: one INSERT ... SELECT FROM unnest(array) ON CONFLICT DO NOTHING RETURNING, a
        statement compiled once whatever the batch's size (a multi-row VALUES of 500 rows took 18 ms
        of CPU to compile and bind per batch, a third of registration's handling: bench/e2e_profile.py).
        SQLite: the ids already there, then one executemany (the transaction holds the file's write
        lock from its first statement, so nothing comes in between)."""
        ids = list(dict.fromkeys(event_ids))
        if not ids:
            return set()
        at = now()
        if self.session.get_bind().dialect.name == "postgresql":
            rows = self.session.execute(
                text(_CLAIM_MANY_PG.format(inbox=self._inbox.name)),
                dict(ids=ids, consumer=consumer, event_type=event_type, at=at),
            )
            return {event_id for (event_id,) in rows}
        t = self._inbox
        seen = set(
            self.session.execute(
                select(t.c.event_id).where(t.c.consumer == consumer, t.c.event_id.in_(ids))
            ).scalars()
        )
        new = [event_id for event_id in ids if event_id not in seen]
        if new:
            self.session.execute(
                insert(t),
                [dict(event_id=e, consumer=consumer, event_type=event_type, handled_at=at) for e in new],
            )
        return set(new)


_CLAIM_MANY_PG = (
    "INSERT INTO {inbox} (event_id, consumer, event_type, handled_at)"
    " SELECT e, :consumer, :event_type, :at FROM unnest(CAST(:ids AS varchar[])) AS e"
    " ON CONFLICT DO NOTHING RETURNING event_id"
)
