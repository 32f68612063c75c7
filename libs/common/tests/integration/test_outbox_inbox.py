"""Outbox, relay and inbox on the real databases: PostgreSQL and SQLite run the same code."""

from __future__ import annotations

import logging
import threading
import time

import pytest
from sqlalchemy import Column, Integer, MetaData, String, Table, func, insert, select
from sqlalchemy.orm import sessionmaker

from xueji.v1 import events_pb2
from xueji_common.db.engine import make_engine
from xueji_common.db.messaging_tables import add_messaging_tables
from xueji_common.db.uow import SqlAlchemyUnitOfWork
from xueji_common.errors import ConcurrentModification, PreconditionFailed
from xueji_common.messaging.bus import InProcessBus
from xueji_common.messaging.consumer import EventConsumer, Subscription
from xueji_common.messaging.relay import OutboxRelay

metadata = MetaData()
things = Table("things", metadata, Column("id", Integer, primary_key=True), Column("name", String(50)))
outbox, inbox = add_messaging_tables(metadata)


@pytest.fixture(params=["sqlite", "postgresql"])
def sessions(request, tmp_path):
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'svc.db'}"
    else:
        url = request.getfixturevalue("pg_database")()
    engine = make_engine(url)
    metadata.create_all(engine)
    yield sessionmaker(engine, expire_on_commit=False)
    engine.dispose()


def uow_factory(sessions, on_commit=None):
    return lambda: SqlAlchemyUnitOfWork(sessions, "svc", outbox, inbox, on_commit)


def count(sessions, table, *where) -> int:
    with sessions() as s:
        return s.execute(select(func.count()).select_from(table).where(*where)).scalar_one()


def write_thing(uow_factory_, name: str) -> str:
    with uow_factory_() as uow:
        uow.session.execute(insert(things).values(name=name))
        event_id = uow.publish(events_pb2.ApplicationWithdrawn(application_id=name), aggregate_id=name)
        uow.commit()
    return event_id


def consumer_of(sessions, handler) -> EventConsumer:
    return EventConsumer("svc", Subscription("svc", "ApplicationWithdrawn", handler), uow_factory(sessions))


def test_state_and_event_commit_together_or_not_at_all(sessions):
    woken = []
    make = uow_factory(sessions, on_commit=lambda: woken.append(1))
    write_thing(make, "kept")
    with make() as uow:
        uow.session.execute(insert(things).values(name="dropped"))
        uow.publish(events_pb2.ApplicationWithdrawn(application_id="dropped"))
        # no commit: leaving the block rolls back both
    assert count(sessions, things) == 1
    assert count(sessions, outbox) == 1
    assert woken == [1]


def test_relay_publishes_each_row_once_and_consumer_handles_once(sessions):
    handled = []
    bus = InProcessBus()
    bus.subscribe(
        "svc",
        "ApplicationWithdrawn",
        consumer_of(sessions, lambda e, uow, env: handled.append(e.application_id)),
    )
    relay = OutboxRelay("svc", sessions, outbox, bus)
    for name in ("a", "b", "c"):
        write_thing(uow_factory(sessions), name)
    assert relay.publish_pending() == 3
    assert relay.publish_pending() == 0
    assert handled == ["a", "b", "c"]
    assert count(sessions, outbox, outbox.c.published_at.is_(None)) == 0
    assert relay.backlog() == 0


def test_redelivered_event_changes_nothing(sessions):
    handled = []
    consumer = consumer_of(sessions, lambda e, uow, env: handled.append(env.event_id))
    write_thing(uow_factory(sessions), "a")
    with sessions() as s:
        body = s.execute(select(outbox.c.envelope)).scalar_one()
    assert consumer(body) == "handled"
    assert consumer(body) == "duplicate"
    assert len(handled) == 1
    assert count(sessions, inbox) == 1


class FlakyBus:
    """Refuses the first `failures` publishes, like a broker that is down."""

    def __init__(self, failures: int) -> None:
        self.failures = failures
        self.sent: list[bytes] = []

    def publish(self, producer, event_type, body):
        if self.failures:
            self.failures -= 1
            raise ConnectionError("broker down")
        self.sent.append(body)

    def close(self):
        pass


def test_bus_down_keeps_events_in_the_outbox_until_it_returns(sessions):
    bus = FlakyBus(failures=1)
    relay = OutboxRelay("svc", sessions, outbox, bus)
    write_thing(uow_factory(sessions), "a")
    write_thing(uow_factory(sessions), "b")
    with pytest.raises(ConnectionError):
        relay.publish_pending()
    with sessions() as s:
        assert s.execute(select(outbox.c.attempts).order_by(outbox.c.id)).scalars().all() == [1, 0]
    assert count(sessions, outbox, outbox.c.published_at.is_(None)) == 2
    assert relay.publish_pending() == 2
    assert len(bus.sent) == 1  # one message: the two rows are of one type (an EventBatch)
    assert len(events_pb2.EventBatch.FromString(bus.sent[0]).envelopes) == 2


def test_failing_handler_leaves_no_trace_and_succeeds_on_redelivery(sessions):
    attempts = []

    def handler(event, uow, envelope):
        uow.session.execute(insert(things).values(name="from-event"))
        attempts.append(1)
        if len(attempts) == 1:
            raise ConnectionError("dependency down")

    consumer = consumer_of(sessions, handler)
    write_thing(uow_factory(sessions), "a")
    with sessions() as s:
        body = s.execute(select(outbox.c.envelope)).scalar_one()
    with pytest.raises(ConnectionError):
        consumer(body)
    assert count(sessions, inbox) == 0
    assert count(sessions, things, things.c.name == "from-event") == 0
    assert consumer(body) == "handled"
    assert count(sessions, things, things.c.name == "from-event") == 1


def test_event_refused_by_a_rule_is_recorded_and_not_retried(sessions):
    def handler(event, uow, envelope):
        raise PreconditionFailed("该申请已撤销")

    consumer = consumer_of(sessions, handler)
    write_thing(uow_factory(sessions), "a")
    with sessions() as s:
        body = s.execute(select(outbox.c.envelope)).scalar_one()
    assert consumer(body) == "refused"
    assert consumer(body) == "duplicate"


def test_relay_thread_publishes_soon_after_commit(sessions):
    bus = FlakyBus(failures=0)
    relay = OutboxRelay("svc", sessions, outbox, bus, interval=5.0)
    relay.start()
    try:
        write_thing(uow_factory(sessions, on_commit=relay.wake), "a")
        deadline = time.monotonic() + 3
        while not bus.sent and time.monotonic() < deadline:
            time.sleep(0.02)
        assert len(bus.sent) == 1  # long before the 5 s poll: the commit woke the relay
    finally:
        relay.stop()


def test_in_process_an_optimistic_lock_conflict_retried_by_the_relay_is_logged_at_info(sessions, caplog):
    """Embedded mode: the relay hands the event to the consumer on its own thread; a conflict the
    next attempt resolves is INFO without a traceback, in the consumer and in the relay."""
    attempts = []

    def conflicting(event, uow, envelope):
        attempts.append(1)
        if len(attempts) == 1:
            raise ConcurrentModification("该注册申请已被他人修改，请刷新后重试")

    bus = InProcessBus()
    bus.subscribe("svc", "ApplicationWithdrawn", consumer_of(sessions, conflicting))
    relay = OutboxRelay("svc", sessions, outbox, bus, interval=0.05)
    caplog.set_level(logging.INFO)
    relay.start()
    try:
        write_thing(uow_factory(sessions, on_commit=relay.wake), "a")
        deadline = time.monotonic() + 5
        while count(sessions, inbox) == 0 and time.monotonic() < deadline:
            time.sleep(0.02)
    finally:
        relay.stop()
    assert len(attempts) == 2 and count(sessions, inbox) == 1
    assert {r.getMessage() for r in caplog.records} >= {
        "event handler will retry",
        "outbox publish will retry after a concurrent change",
    }
    assert not [
        (r.levelname, r.getMessage()) for r in caplog.records if r.levelno > logging.INFO or r.exc_info
    ]


def test_concurrent_relays_never_publish_a_row_twice(pg_database):
    engine = make_engine(pg_database())
    metadata.create_all(engine)
    sessions = sessionmaker(engine, expire_on_commit=False)
    for i in range(60):
        write_thing(uow_factory(sessions), f"t{i}")

    class SlowBus(FlakyBus):
        def publish(self, producer, event_type, body):
            time.sleep(0.002)
            super().publish(producer, event_type, body)

    buses = [SlowBus(0), SlowBus(0)]
    relays = [OutboxRelay("svc", sessions, outbox, b, batch_size=10) for b in buses]

    def drain(relay):
        while relay.publish_pending():
            pass

    threads = [threading.Thread(target=drain, args=(r,)) for r in relays]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    sent = [envelope for body in buses[0].sent + buses[1].sent for envelope in envelopes_of(body)]
    assert len(sent) == 60 and len(set(sent)) == 60
    assert buses[0].sent and buses[1].sent  # both took part
    engine.dispose()


def envelopes_of(body: bytes) -> list[bytes]:
    """The envelopes of a bus message: an EventBatch's, or the lone envelope it is."""
    return list(events_pb2.EventBatch.FromString(body).envelopes) or [body]


def _wait_sent(bus, n: int, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while len(bus.sent) < n and time.monotonic() < deadline:
        time.sleep(0.02)
    return len(bus.sent) >= n


def test_a_commit_in_another_process_wakes_the_relay_through_notify(pg_database):
    """The worker commits events that the server's relay publishes: NOTIFY wakes it at once, so it
    polls only every idle_interval; after its listening connection is killed it reconnects and
    catches up."""
    from sqlalchemy import text

    url = pg_database()
    engine = make_engine(url)
    metadata.create_all(engine)
    sessions = sessionmaker(engine, expire_on_commit=False)
    bus = FlakyBus(failures=0)
    relay = OutboxRelay("svc", sessions, outbox, bus, interval=0.05, idle_interval=60.0, listen_url=url)
    relay.start()
    try:
        assert relay._listener.wait_listening(10)
        write_thing(uow_factory(sessions), "from-the-worker")  # no on_commit hook: another process
        assert _wait_sent(bus, 1, 5), "not woken by NOTIFY (the idle poll is 60 s away)"

        with engine.connect() as conn:  # the listener's connection dies (database restarted...)
            conn.execute(
                text(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                    "WHERE query LIKE 'LISTEN%' AND datname = current_database()"
                )
            )
        deadline = time.monotonic() + 5
        while relay._listener.listening and time.monotonic() < deadline:
            time.sleep(0.02)
        write_thing(uow_factory(sessions), "while-it-reconnects")
        assert _wait_sent(bus, 2, 10), "the listener did not reconnect and catch up"
        assert relay._listener.wait_listening(10)
        write_thing(uow_factory(sessions), "after")
        assert _wait_sent(bus, 3, 5)
    finally:
        relay.stop()
        engine.dispose()
