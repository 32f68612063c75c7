"""Building and opening event envelopes (xueji.v1.EventEnvelope).

An envelope carries, besides its event, the context of the code that published it: the trace
(`traceparent`, while tracing is on), the request id and the user. A consumer restores them
(`restored_context`) so that what it logs and publishes belongs to the same request and trace.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator, Mapping
from contextlib import contextmanager

from google.protobuf.message import Message
from google.protobuf.timestamp_pb2 import Timestamp

from xueji.v1 import events_pb2
from xueji_common import callcontext, tracing


class UnknownEvent(Exception):
    """The envelope's payload is not an event type this code knows (a newer producer?)."""


# correlation_id of the events a hash-key rotation re-announces (`xueji registration rehash`): the
# consumers that index document hashes replace the record's hash instead of treating it as a correction.
ROTATION_CORRELATION_PREFIX = "rehash:"


def event_type(message_or_class: Message | type[Message]) -> str:
    name: str = message_or_class.DESCRIPTOR.name
    return name


def new_envelope(
    event: Message,
    *,
    producer: str,
    aggregate_id: str = "",
    correlation_id: str = "",
    event_id: str | None = None,
    occurred_at: Timestamp | None = None,
    traceparent: str = "",
) -> events_pb2.EventEnvelope:
    """`occurred_at`: now when not given (a batch passes one Timestamp for all its events).
    `traceparent`: the trace the event continues, when not the current one (see context_fields)."""
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
        **context_fields(traceparent),
    )
    envelope.payload.Pack(event)
    return envelope


def context_fields(traceparent: str = "") -> dict[str, str]:
    """The envelope fields of the current context (traceparent, request_id, user): those set.
    A given `traceparent` replaces the current trace's (see new_envelope)."""
    traceparent = traceparent or tracing.current_traceparent()
    return {"traceparent": traceparent, **callcontext.fields()} if traceparent else callcontext.fields()


def context_tail() -> bytes:
    """`context_fields` in wire format: the fields follow the payload (numbers 8-10), so an envelope
    serialised by hand (registration's adapters.batch_events) ends with these bytes."""
    fields = context_fields()
    return events_pb2.EventEnvelope(**fields).SerializeToString() if fields else b""


@contextmanager
def restored_context(
    envelope: events_pb2.EventEnvelope, span_name: str, attributes: Mapping[str, str]
) -> Iterator[None]:
    """Run the consumer of `envelope` in its publisher's context: the same request id and user,
    and (tracing on) a span `span_name` continuing the publisher's trace."""
    # An event from code outside any request (a periodic job) starts one here.
    with (
        callcontext.bound(envelope.request_id or callcontext.new_request_id(), envelope.user),
        tracing.consuming(envelope.traceparent, span_name, attributes),
    ):
        yield


def open_envelope(body: bytes) -> tuple[events_pb2.EventEnvelope, Message]:
    envelope = events_pb2.EventEnvelope.FromString(body)
    cls = getattr(events_pb2, envelope.type, None)
    if cls is None or not envelope.payload.Is(cls.DESCRIPTOR):
        raise UnknownEvent(envelope.type)
    event = cls()
    envelope.payload.Unpack(event)
    return envelope, event
