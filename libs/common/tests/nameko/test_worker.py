"""messaging.worker: the nameko service built from subscriptions handles each event exactly once.

In-process ServiceRunner on a fresh RabbitMQ vhost and a fresh PostgreSQL database; envelopes are
published the production way (NamekoPublisher: exchange `<producer>.events`, base64 body).
"""

import logging
import time

import eventlet
import kombu
from nameko.standalone.events import event_dispatcher
from sqlalchemy import insert

from xueji.v1 import events_pb2
from xueji_common.errors import ConcurrentModification
from xueji_common.messaging.bus import NamekoPublisher
from xueji_common.messaging.consumer import Subscription
from xueji_common.messaging.envelope import new_envelope

EVENT = "ApplicationWithdrawn"
WAIT = 15.0  # seconds: the bound of every wait


def wait_for(predicate, what: str, timeout: float = WAIT):
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        eventlet.sleep(0.05)


def queue_depth(amqp_uri: str, queue: str) -> int:
    """Ready messages in a queue (unacknowledged ones return there once their consumer is gone)."""
    with kombu.Connection(amqp_uri) as conn:
        return conn.default_channel.queue_declare(queue=queue, passive=True).message_count


def withdrawn(application_id: str) -> events_pb2.EventEnvelope:
    event = events_pb2.ApplicationWithdrawn(application_id=application_id)
    return new_envelope(event, producer="registration", aggregate_id=application_id)


def publish(amqp_uri: str, *envelopes) -> None:
    publisher = NamekoPublisher(amqp_uri)
    for envelope in envelopes:
        body = envelope if isinstance(envelope, bytes) else envelope.SerializeToString()
        publisher.publish("registration", EVENT, body)
    publisher.close()


def recorder(store, calls: list | None = None):
    def record(event, uow, envelope):
        if calls is not None:
            calls.append(envelope.event_id)
        uow.session.execute(
            insert(store.handled).values(event_id=envelope.event_id, application_id=event.application_id)
        )

    return record


def test_event_is_handled_once(store, start_worker, amqp_uri):
    worker = start_worker(Subscription("registration", EVENT, recorder(store)))
    envelope = withdrawn("app-1")
    publish(amqp_uri, envelope)

    wait_for(lambda: worker.consumed(EVENT, "handled") == 1, "the event to be handled")
    assert store.count(store.handled, store.handled.c.event_id == envelope.event_id) == 1
    assert store.count(store.inbox, store.inbox.c.event_id == envelope.event_id) == 1


def test_duplicate_envelope_is_ignored(store, start_worker, amqp_uri):
    calls = []
    worker = start_worker(Subscription("registration", EVENT, recorder(store, calls)))
    envelope = withdrawn("app-1")
    publish(amqp_uri, envelope, envelope)

    wait_for(lambda: worker.consumed(EVENT, "duplicate") == 1, "the redelivery to be recognised")
    assert worker.consumed(EVENT, "handled") == 1
    assert calls == [envelope.event_id]  # the handler never ran for the duplicate
    assert store.count(store.handled) == 1
    assert store.count(store.inbox) == 1


def test_transient_failure_is_requeued_then_handled_exactly_once(store, start_worker, amqp_uri):
    calls = []
    record = recorder(store, calls)

    def flaky(event, uow, envelope):
        record(event, uow, envelope)  # written, then rolled back by the failure below
        if len(calls) == 1:
            raise ConnectionError("database went away for a moment")

    worker = start_worker(Subscription("registration", EVENT, flaky))
    envelope = withdrawn("app-1")
    publish(amqp_uri, envelope)

    wait_for(lambda: worker.consumed(EVENT, "handled") == 1, "the requeued event to be handled")
    assert worker.consumed(EVENT, "failed") == 1
    assert calls == [envelope.event_id, envelope.event_id]
    assert store.count(store.handled) == 1
    assert store.count(store.inbox, store.inbox.c.event_id == envelope.event_id) == 1


def test_an_optimistic_lock_conflict_that_the_redelivery_resolves_is_logged_at_info_without_traceback(
    store, start_worker, amqp_uri, caplog
):
    calls = []
    record = recorder(store, calls)

    def conflicting(event, uow, envelope):
        record(event, uow, envelope)
        if len(calls) == 1:  # another handler changed the same application first
            raise ConcurrentModification("该注册申请已被他人修改，请刷新后重试")

    caplog.set_level(logging.INFO)
    worker = start_worker(Subscription("registration", EVENT, conflicting))
    envelope = withdrawn("app-1")
    publish(amqp_uri, envelope)

    wait_for(lambda: worker.consumed(EVENT, "handled") == 1, "the requeued event to be handled")
    assert calls == [envelope.event_id, envelope.event_id]
    assert (worker.consumed(EVENT, "conflict"), worker.consumed(EVENT, "failed")) == (
        1,
        0,
    )  # no alert reads it
    retried = [r for r in caplog.records if r.getMessage() == "event handler will retry"]
    assert [(r.levelno, r.exc_info) for r in retried] == [(logging.INFO, None)]
    assert retried[0].fields["reason"] == "ConcurrentModification"
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING], [
        (r.name, r.getMessage()) for r in caplog.records if r.levelno >= logging.WARNING
    ]


def test_unreadable_body_is_dropped_without_killing_the_worker(store, start_worker, amqp_uri):
    worker = start_worker(Subscription("registration", EVENT, recorder(store)))
    # Not base64 at all (a foreign producer), then base64 of bytes that are no EventEnvelope.
    event_dispatcher({"AMQP_URI": amqp_uri})("registration", EVENT, "this is not base64!")
    publish(amqp_uri, b"\xff\xfe not a protobuf envelope \x00")
    good = withdrawn("app-ok")
    publish(amqp_uri, good)

    wait_for(lambda: worker.consumed(EVENT, "handled") == 1, "the good event after the bad ones")
    wait_for(lambda: worker.consumed(EVENT, "unreadable") == 2, "both unreadable bodies to be dropped")
    eventlet.sleep(1.5)  # a requeued message would come back within the worker's requeue pause
    assert worker.consumed(EVENT, "unreadable") == 2
    assert worker.consumed(EVENT, "failed") == 0
    assert store.count(store.handled) == 1

    # Dropped means acknowledged: once the worker stops, nothing returns to its queue.
    [queue] = worker.queue_names()
    with eventlet.Timeout(15):
        worker.runner.stop()
    assert queue_depth(amqp_uri, queue) == 0


def test_concurrent_events_are_each_handled_once(store, start_worker, amqp_uri):
    worker = start_worker(Subscription("registration", EVENT, recorder(store)))
    envelopes = [withdrawn(f"app-{i}") for i in range(40)]
    publish(amqp_uri, *envelopes, *envelopes[:10])  # ten of them twice

    wait_for(
        lambda: worker.consumed(EVENT, "handled") + worker.consumed(EVENT, "duplicate") == 50,
        "all fifty deliveries",
    )
    assert worker.consumed(EVENT, "handled") == 40
    assert store.count(store.handled) == 40
    assert store.count(store.inbox) == 40


def test_handlers_run_side_by_side_up_to_the_concurrency_and_each_event_once(store, start_worker, amqp_uri):
    """Several handlers at once on real threads, logging and counting metrics while the hub thread
    logs too: the locks they share are real (messaging.green), so nothing hangs; the duplicates
    that arrive while their first delivery is still in flight are still handled once."""
    import logging
    import threading

    lock, state = threading.Lock(), {"running": 0, "peak": 0}
    hub_log = logging.getLogger("xueji.test.hub")

    def slow(event, uow, envelope):
        with lock:
            state["running"] += 1
            state["peak"] = max(state["peak"], state["running"])
        try:
            logging.getLogger("xueji.test.handler").info("handling %s", event.application_id)
            time.sleep(0.05)
            recorder(store)(event, uow, envelope)
        finally:
            with lock:
                state["running"] -= 1

    worker = start_worker(Subscription("registration", EVENT, slow), concurrency=4)
    envelopes = [withdrawn(f"app-{i}") for i in range(60)]
    publish(amqp_uri, *envelopes, *envelopes[:20])
    wait_for(
        lambda: (
            hub_log.info("hub tick")
            or worker.consumed(EVENT, "handled") + worker.consumed(EVENT, "duplicate") == 80
        ),
        "all eighty deliveries",
    )
    assert worker.consumed(EVENT, "handled") == 60
    assert store.count(store.handled) == 60 and store.count(store.inbox) == 60
    assert 2 <= state["peak"] <= 4
