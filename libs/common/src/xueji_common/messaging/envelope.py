"""Building and opening event envelopes (xueji.v1.EventEnvelope)."""
from __future__ import annotations

import uuid

from google.protobuf.message import Message
from google.protobuf.timestamp_pb2 import Timestamp

from xueji.v1 import events_pb2


class UnknownEvent(Exception):
    """The envelope's payload is not an event type this code knows (a newer producer?)."""


# correlation_id of the events a hash-key rotation re-announces (`xueji registration rehash`): the
# consumers that index document hashes replace the record's hash instead of treating it as a correction.
ROTATION_CORRELATION_PREFIX = "rehash:"


def event_type(message_or_class) -> str:
    return message_or_class.DESCRIPTOR.name


def new_envelope(
    event: Message,
    *,
    producer: str,
    aggregate_id: str = "",
    correlation_id: str = "",
    event_id: str | None = None,
    occurred_at: Timestamp | None = None,
) -> events_pb2.EventEnvelope:
    """`occurred_at`: now when not given (a batch passes one Timestamp for all its events)."""
    occurred = occurred_at
    if occurred is None:
        occurred = Timestamp()
        occurred.GetCurrentTime()
    envelope = events_pb2.EventEnvelope(
        event_id=event_id or str(uuid.uuid4()),
        type=event_type(event),
        occurred_at=occurred,
        producer=producer,
        aggregate_id=aggregate_id,
        correlation_id=correlation_id or aggregate_id,
    )
    envelope.payload.Pack(event)
    return envelope


def open_envelope(body: bytes) -> tuple[events_pb2.EventEnvelope, Message]:
    envelope = events_pb2.EventEnvelope.FromString(body)
    cls = getattr(events_pb2, envelope.type, None)
    if cls is None or not envelope.payload.Is(cls.DESCRIPTOR):
        raise UnknownEvent(envelope.type)
    event = cls()
    envelope.payload.Unpack(event)
    return envelope, event
