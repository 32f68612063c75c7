"""Queues declared at migration time keep events published before a worker ever started."""

from __future__ import annotations

from kombu import Connection, Queue

from xueji.v1 import events_pb2
from xueji_common.messaging.bus import NamekoPublisher, declare_consumer_queues, queue_name
from xueji_common.messaging.consumer import Subscription
from xueji_common.messaging.envelope import new_envelope


def on_withdrawn(event, uow, envelope):
    pass


def test_events_published_before_the_first_worker_start_wait_in_the_declared_queue(amqp_uri):
    sub = Subscription("registration", "ApplicationWithdrawn", on_withdrawn)
    names = declare_consumer_queues("review", [sub], amqp_uri)
    assert names == [queue_name("review", sub)]
    assert (
        names[0]
        == "evt-registration-ApplicationWithdrawn--review.on_registration_ApplicationWithdrawn_on_withdrawn"
    )
    declare_consumer_queues("review", [sub], amqp_uri)  # idempotent

    envelope = new_envelope(events_pb2.ApplicationWithdrawn(application_id="a1"), producer="registration")
    publisher = NamekoPublisher(amqp_uri)
    publisher.publish("registration", "ApplicationWithdrawn", envelope.SerializeToString())
    publisher.publish("registration", "ApplicationSubmitted", envelope.SerializeToString())  # not bound

    with Connection(amqp_uri) as connection:
        declared = Queue(names[0], durable=True)(connection.channel()).queue_declare(passive=True)
    assert declared.message_count == 1


def test_a_retired_queue_is_deleted_so_that_its_events_are_no_longer_routed(amqp_uri):
    from xueji_common.messaging.bus import delete_retired_queues

    sub = Subscription("review", "RegistrationReturned", on_withdrawn)
    [name] = declare_consumer_queues("dedup-retired-test", [sub], amqp_uri)
    assert delete_retired_queues([name, "evt-never-declared--x.y"], amqp_uri) == [name]
    assert delete_retired_queues([name], amqp_uri) == []  # again: nothing to do

    envelope = new_envelope(events_pb2.RegistrationReturned(application_id="a1"), producer="review")
    NamekoPublisher(amqp_uri).publish("review", "RegistrationReturned", envelope.SerializeToString())
    with Connection(amqp_uri) as connection:
        from amqp.exceptions import NotFound

        try:
            Queue(name, durable=True)(connection.channel()).queue_declare(passive=True)
        except NotFound:
            return
    raise AssertionError(f"{name} still exists")
