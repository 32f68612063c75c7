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
from typing import Callable

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


class InProcessBus:
    """Subscriptions by (producer, event type); publish hands the body to every subscriber."""

    def __init__(self) -> None:
        self._consumers: dict[tuple[str, str], list[Consumer]] = defaultdict(list)

    def subscribe(self, producer: str, event_type: str, consumer: Consumer) -> None:
        self._consumers[(producer, event_type)].append(consumer)

    def publish(self, producer: str, event_type: str, body: bytes) -> None:
        # A failing consumer raises: the relay leaves the row unsent and retries it later; the
        # consumers that already handled it recognise the redelivery by their inbox.
        for consumer in self._consumers.get((producer, event_type), ()):
            consumer(body)

    def close(self) -> None:
        pass
