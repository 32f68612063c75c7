"""Delivering to a service's consumers in tests: the consumer of an event type, and the body the
relay sends for a run of envelopes (an EventBatch, docs/FLOWS.md "Batches on the bus")."""

from __future__ import annotations

from collections.abc import Iterable

from xueji.v1 import events_pb2


def consumer_of(runtime, event_type: str):
    """The runtime's one consumer of `event_type` (callable with a message body)."""
    [found] = [c for c in runtime.consumers() if c.subscription.event_type == event_type]
    return found


def batch_body(envelopes: Iterable[events_pb2.EventEnvelope]) -> bytes:
    """One bus message holding these envelopes, as the relay groups a run of one type."""
    return events_pb2.EventBatch(envelopes=[e.SerializeToString() for e in envelopes]).SerializeToString()
