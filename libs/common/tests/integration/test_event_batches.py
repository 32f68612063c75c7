"""Events in batches on the real databases (issue 16 step 1): the relay groups consecutive rows of one
type into one bus message, and consumers claim, handle and commit a batch once, each event keeping
its own inbox row and its own outcome."""

from __future__ import annotations

import pytest
from sqlalchemy import func, insert, select
from test_outbox_inbox import inbox, outbox, sessions, things, uow_factory  # noqa: F401 (fixture)

from xueji.v1 import events_pb2
from xueji_common.errors import ConcurrentModification, PreconditionFailed
from xueji_common.messaging.consumer import EventConsumer, Subscription
from xueji_common.messaging.envelope import new_envelope
from xueji_common.messaging.relay import OutboxRelay


class RecordingPublisher:
    def __init__(self) -> None:
        self.messages: list[tuple[str, bytes]] = []

    def publish(self, producer: str, event_type: str, body: bytes) -> None:
        self.messages.append((event_type, body))

    def close(self) -> None:
        pass


def publish_rows(make, events) -> None:
    with make() as uow:
        for event in events:
            uow.publish(event, aggregate_id=getattr(event, "application_id", ""))
        uow.commit()


def withdrawn(name: str) -> events_pb2.ApplicationWithdrawn:
    return events_pb2.ApplicationWithdrawn(application_id=name)


def batch_of(names: list[str]) -> bytes:
    envelopes = [new_envelope(withdrawn(n), producer="svc").SerializeToString() for n in names]
    return events_pb2.EventBatch(envelopes=envelopes).SerializeToString()


def handled_names(sessions) -> list[str]:
    with sessions() as s:
        return sorted(s.execute(select(things.c.name)).scalars())


def test_relay_sends_consecutive_rows_of_one_type_as_one_message_in_order(sessions):
    make = uow_factory(sessions)
    approved = events_pb2.RegistrationApproved(application_id="x")
    publish_rows(make, [withdrawn("a"), withdrawn("b"), withdrawn("c"), approved, withdrawn("d")])
    publisher = RecordingPublisher()
    assert OutboxRelay("svc", sessions, outbox, publisher).publish_pending() == 5

    types = [event_type for event_type, _ in publisher.messages]
    assert types == ["ApplicationWithdrawn", "RegistrationApproved", "ApplicationWithdrawn"]
    first = events_pb2.EventBatch.FromString(publisher.messages[0][1])
    names = [events_pb2.EventEnvelope.FromString(e).aggregate_id for e in first.envelopes]
    assert names == ["a", "b", "c"]
    # a lone row goes out as its envelope, as before batches
    assert events_pb2.EventBatch.FromString(publisher.messages[1][1]).envelopes == []
    assert events_pb2.EventEnvelope.FromString(publisher.messages[1][1]).type == "RegistrationApproved"


def test_relay_batches_are_at_most_its_batch_size(sessions):
    make = uow_factory(sessions)
    publish_rows(make, [withdrawn(str(i)) for i in range(7)])
    publisher = RecordingPublisher()
    relay = OutboxRelay("svc", sessions, outbox, publisher, batch_size=3)
    while relay.publish_pending():
        pass
    sizes = [len(events_pb2.EventBatch.FromString(body).envelopes) for _, body in publisher.messages]
    assert sizes == [3, 3, 0]  # the last row alone: an envelope


def record_name(event, uow, envelope) -> None:
    uow.session.execute(insert(things).values(name=event.application_id))


def record_names(deliveries, uow) -> None:
    uow.session.execute(insert(things), [dict(name=d.event.application_id) for d in deliveries])
    uow.batches = getattr(uow, "batches", 0) + 1


def test_a_batch_without_a_batch_handler_is_handled_event_by_event(sessions):
    consumer = EventConsumer(
        "svc", Subscription("svc", "ApplicationWithdrawn", record_name), uow_factory(sessions)
    )
    body = batch_of(["a", "b"])
    assert consumer(body) == "handled"
    assert consumer(body) == "duplicate"  # redelivered: every event already in the inbox
    assert handled_names(sessions) == ["a", "b"]


def test_a_batch_handler_gets_the_events_not_handled_before_in_one_call(sessions):
    calls = []

    def batch(deliveries, uow):
        calls.append([d.event.application_id for d in deliveries])
        record_names(deliveries, uow)

    sub = Subscription("svc", "ApplicationWithdrawn", record_name, batch_handler=batch)
    consumer = EventConsumer("svc", sub, uow_factory(sessions))
    first = events_pb2.EventBatch.FromString(batch_of(["a", "b"]))
    assert consumer(first.SerializeToString()) == "handled"
    # the relay crashed before stamping and regrouped the rows with a newer one: only that is new
    regrouped = events_pb2.EventBatch(
        envelopes=[*first.envelopes, new_envelope(withdrawn("c"), producer="svc").SerializeToString()]
    )
    assert consumer(regrouped.SerializeToString()) == "handled"
    assert calls == [["a", "b"], ["c"]]
    assert handled_names(sessions) == ["a", "b", "c"]
    with sessions() as s:
        assert s.execute(select(func.count()).select_from(inbox)).scalar_one() == 3


@pytest.mark.parametrize("failure", [PreconditionFailed("refused"), ConcurrentModification("conflict")])
def test_a_batch_that_fails_on_one_item_is_rolled_back_and_run_one_by_one(sessions, failure):
    def batch(deliveries, uow):
        record_names(deliveries, uow)
        raise failure

    def one(event, uow, envelope):
        if event.application_id == "bad":
            raise PreconditionFailed("this one is refused")
        record_name(event, uow, envelope)

    consumer = EventConsumer(
        "svc", Subscription("svc", "ApplicationWithdrawn", one, batch_handler=batch), uow_factory(sessions)
    )
    assert consumer(batch_of(["a", "bad", "c"])) == "handled"
    assert handled_names(sessions) == ["a", "c"]  # the batch's writes were rolled back, once each
    with sessions() as s:  # every event has its outcome: the refused one is recorded as handled
        assert s.execute(select(func.count()).select_from(inbox)).scalar_one() == 3


def test_a_batch_whose_dependency_is_down_commits_nothing_and_is_delivered_again(sessions):
    from xueji_common.errors import Unavailable

    def batch(deliveries, uow):
        record_names(deliveries, uow)
        raise Unavailable("the population register is down")

    consumer = EventConsumer(
        "svc",
        Subscription("svc", "ApplicationWithdrawn", record_name, batch_handler=batch),
        uow_factory(sessions),
    )
    with pytest.raises(Unavailable):
        consumer(batch_of(["a", "b"]))
    assert handled_names(sessions) == []
    with sessions() as s:
        assert s.execute(select(func.count()).select_from(inbox)).scalar_one() == 0


def test_a_batch_handler_fault_leaves_only_the_faulty_event_to_be_delivered_again(sessions):
    def batch(deliveries, uow):
        record_names(deliveries, uow)
        raise KeyError("a bug met by one event")

    def one(event, uow, envelope):
        if event.application_id == "bad":
            raise KeyError("a bug met by this event")
        record_name(event, uow, envelope)

    consumer = EventConsumer(
        "svc", Subscription("svc", "ApplicationWithdrawn", one, batch_handler=batch), uow_factory(sessions)
    )
    body = batch_of(["a", "bad", "c"])
    with pytest.raises(KeyError):
        consumer(body)  # one by one: the others handled; the bus delivers the message again
    assert handled_names(sessions) == ["a", "c"]
    with pytest.raises(KeyError):
        consumer(body)  # again: only the faulty event is tried
    assert handled_names(sessions) == ["a", "c"]
    with sessions() as s:
        assert s.execute(select(func.count()).select_from(inbox)).scalar_one() == 2


def test_a_dependency_down_stops_the_batch_at_its_first_event(sessions):
    from xueji_common.errors import Unavailable

    tried = []

    def one(event, uow, envelope):
        tried.append(event.application_id)
        raise Unavailable("依赖的服务暂时无法访问")

    consumer = EventConsumer("svc", Subscription("svc", "ApplicationWithdrawn", one), uow_factory(sessions))
    with pytest.raises(Unavailable):
        consumer(batch_of(["a", "b", "c"]))
    assert tried == ["a"]  # not every event of the batch waiting for the same dependency in turn
