"""The two transports. Both carry serialized EventEnvelopes; the same consumers run on each.

- RabbitMQ through nameko (production): the relay publishes with nameko's standalone dispatcher
  to the exchange `<producer>.events` with the event type as routing key; each service's nameko
  worker consumes from durable queues (see `messaging.worker`).
- In-process (embedded mode): the relay calls the subscribed consumers directly, on its thread.
"""

from __future__ import annotations

import base64
import logging
import threading
from collections import defaultdict
from collections.abc import Callable

log = logging.getLogger(__name__)

Consumer = Callable[[bytes], None]


def encode_body(body: bytes) -> str:
    """Envelope bytes → the string nameko's JSON serializer carries (portable across kombu versions)."""
    return base64.b64encode(body).decode("ascii")


def decode_body(payload: str) -> bytes:
    return base64.b64decode(payload)


class NamekoPublisher:
    def __init__(self, amqp_uri: str, *, max_retries: int = 2) -> None:
        from nameko.standalone.events import event_dispatcher

        self._dispatch = event_dispatcher(
            {"AMQP_URI": amqp_uri},
            retry=True,
            retry_policy={
                "max_retries": max_retries,
                "interval_start": 0.1,
                "interval_step": 0.2,
                "interval_max": 1.0,
            },
        )
        self._lock = threading.Lock()

    def publish(self, producer: str, event_type: str, body: bytes) -> None:
        with self._lock:
            self._dispatch(producer, event_type, encode_body(body))

    def close(self) -> None:
        pass


def queue_name(service: str, subscription) -> str:
    """The durable queue nameko's SERVICE_POOL event handler of `service` consumes from."""
    return f"evt-{subscription.producer}-{subscription.event_type}--{service}.{subscription.method_name}"


def declare_consumer_queues(service: str, subscriptions, amqp_uri: str) -> list[str]:
    """Declare a service's event queues and bindings ahead of its worker (at migration time).

    nameko declares them when the worker first starts; an event published before that would find
    no queue and be dropped by RabbitMQ. Declaring them at deployment closes that gap. The
    arguments are nameko's own (durable, not auto-delete), so the worker's declaration matches.
    """
    from kombu import Connection, Queue
    from nameko.standalone.events import get_event_exchange

    names = []
    with Connection(amqp_uri) as connection:
        channel = connection.channel()
        for sub in subscriptions:
            exchange = get_event_exchange(sub.producer, {})
            name = queue_name(service, sub)
            Queue(
                name,
                exchange=exchange,
                routing_key=sub.event_type,
                durable=True,
                auto_delete=False,
                exclusive=False,
            )(channel).declare()
            names.append(name)
    return names


def delete_retired_queues(names, amqp_uri: str) -> list[str]:
    """Delete the queues of subscriptions a service dropped (at migration time, after the new ones
    are declared): while a queue stays bound, RabbitMQ routes every matching event into it, and it
    fills up for ever. Returns the names that existed; deleting again is a no-op."""
    from amqp.exceptions import NotFound
    from kombu import Connection

    deleted = []
    with Connection(amqp_uri) as connection:
        for name in names:
            channel = connection.channel()
            try:
                channel.queue_declare(name, passive=True)
            except NotFound:  # never declared here, or deleted before (the channel is closed)
                continue
            channel.queue_delete(name)
            channel.close()
            deleted.append(name)
    return deleted


class InProcessBus:
    """Subscriptions by (producer, event type); publish hands the body to every subscriber."""

    def __init__(self) -> None:
        self._consumers: dict[tuple[str, str], list[Consumer]] = defaultdict(list)

    def subscribe(self, producer: str, event_type: str, consumer: Consumer) -> None:
        self._consumers[(producer, event_type)].append(consumer)

    def publish(self, producer: str, event_type: str, body: bytes) -> None:
        # Every consumer gets the event, as each has its own queue on RabbitMQ: one that fails (a
        # dependency down) must not starve the others (dedup waiting for the population register
        # would keep review from opening the case). Then the first failure is raised: the relay
        # leaves the row unsent and retries it later; the consumers that already handled it
        # recognise the redelivery by their inbox.
        failure = None
        for consumer in self._consumers.get((producer, event_type), ()):
            try:
                consumer(body)
            except Exception as exc:
                failure = failure or exc
        if failure is not None:
            raise failure

    def close(self) -> None:
        pass
