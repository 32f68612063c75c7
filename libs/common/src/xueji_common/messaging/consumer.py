"""Running an event handler exactly once per event: inbox check, handler, commit, in one transaction.

A bus message is one envelope or an `EventBatch` of envelopes of one type (messaging.relay). A batch
goes to the subscription's `batch_handler` when it has one: every event of the message claimed in the
inbox with one statement, handled set-based and committed in one transaction (issue 16 steps 1 and
3, docs/FLOWS.md#batches-on-the-bus). A subscription without one handles the batch's events one by
one, each in its own transaction as a lone envelope would be. A batch that a rule refuses or that
meets a concurrent change or an unexpected fault falls back to one by one too, so that each event
gets its own outcome: a bad item never blocks the others.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import NamedTuple

from google.protobuf.message import Message

from xueji.v1.events_pb2 import EventBatch
from xueji_common import metrics
from xueji_common.db.uow import AlreadyHandled
from xueji_common.errors import ConcurrentModification, DomainError, Unavailable
from xueji_common.messaging.envelope import UnknownEvent, open_envelope, restored_context

log = logging.getLogger(__name__)

# handler(event, uow, envelope): changes state through the unit of work. The inbox row is written in
# the same transaction before the handler runs, so the handler's own commit (service-layer handlers
# commit) records state change and "handled" together; the consumer commits once more for handlers
# that do not.
Handler = Callable[[Message, object, object], None]


class Delivery(NamedTuple):
    """One event of a batch: the event and its envelope (id, time, producer, context)."""

    event: Message
    envelope: object


# batch_handler(deliveries, uow): the events of one bus message not handled before, in order, in the
# consumer's transaction (their inbox rows are written already; the consumer commits after it). It
# gives each item its own outcome (a stale or refused item changes nothing and does not raise); a
# DomainError or ConcurrentModification it raises makes the consumer roll back and run the events
# one by one through `handler`, which must decide every case the same way.
BatchHandler = Callable[[list[Delivery], object], None]


@dataclass(frozen=True)
class Subscription:
    producer: str  # service that emits the event, e.g. "registration"
    event_type: str  # e.g. "ApplicationSubmitted"
    handler: Handler
    batch_handler: BatchHandler | None = None

    @property
    def consumer_name(self) -> str:
        return f"{self.handler.__module__}.{self.handler.__name__}"

    @property
    def method_name(self) -> str:
        """Name of the nameko handler method, and so part of its durable queue's name."""
        return f"on_{self.producer.replace('-', '_')}_{self.event_type}_{self.handler.__name__}"


class EventConsumer:
    """Callable with the envelope bytes, as both transports deliver them."""

    def __init__(self, service: str, subscription: Subscription, uow_factory) -> None:
        self.service = service
        self.subscription = subscription
        self._uow_factory = uow_factory

    def __call__(self, body: bytes) -> str:
        envelopes = _batched_envelopes(body)
        if not envelopes:
            return self._one(body)
        if self.subscription.batch_handler is None:
            return self._one_by_one(envelopes)
        return self._batch(envelopes)

    def _one(self, body: bytes) -> str:
        try:
            envelope, event = open_envelope(body)
        except (UnknownEvent, Exception):
            # A message we cannot read will never become readable: drop it loudly, do not loop.
            metrics.EVENTS_CONSUMED.labels(self.service, self.subscription.event_type, "unreadable").inc()
            log.error("dropping unreadable event", extra={"fields": {"service": self.service}})
            return "unreadable"
        name = self.subscription.consumer_name
        with restored_context(
            envelope,
            f"{self.service} handle {envelope.type}",
            {
                "messaging.system": "xueji",
                "messaging.operation": "process",
                "messaging.message.id": envelope.event_id,
                "xueji.event.type": envelope.type,
                "xueji.event.producer": envelope.producer,
                "xueji.consumer": name,
                "xueji.aggregate_id": envelope.aggregate_id,
            },
        ):
            return self._handle(envelope, event, name)

    def _handle(self, envelope, event, name: str) -> str:
        try:
            with self._uow_factory() as uow:
                uow.claim_event(envelope.event_id, name, envelope.type)
                self.subscription.handler(event, uow, envelope)
                uow.commit()
        except AlreadyHandled:
            metrics.EVENTS_CONSUMED.labels(self.service, envelope.type, "duplicate").inc()
            log.info(
                "event already handled", extra={"fields": {"event_id": envelope.event_id, "consumer": name}}
            )
            return "duplicate"
        except (ConcurrentModification, Unavailable) as exc:
            # Transient: another handler changed the same object first (optimistic version check),
            # or a dependency is down. Nothing was committed; fail so that the bus delivers it again.
            # A conflict is an expected outcome that the redelivery resolves: INFO, no traceback
            # (not alert noise); the transports log it no louder (messaging.worker, messaging.relay),
            # and it is counted apart from failures (the XuejiEventHandlingFailing alert reads those).
            conflict = isinstance(exc, ConcurrentModification)
            metrics.EVENTS_CONSUMED.labels(
                self.service, envelope.type, "conflict" if conflict else "failed"
            ).inc()
            (log.info if conflict else log.warning)(
                "event handler will retry",
                extra={
                    "fields": {"event_id": envelope.event_id, "consumer": name, "reason": type(exc).__name__}
                },
            )
            raise
        except DomainError as exc:
            # A rule refused the event: retrying cannot change that. Record it as handled so that
            # it is not redelivered forever, and leave the refusal in the log.
            self._record_refused(envelope, name)
            metrics.EVENTS_CONSUMED.labels(self.service, envelope.type, "refused").inc()
            log.error(
                "event refused by a rule",
                extra={"fields": {"event_id": envelope.event_id, "consumer": name, "reason": exc.message}},
            )
            return "refused"
        except Exception:
            metrics.EVENTS_CONSUMED.labels(self.service, envelope.type, "failed").inc()
            log.exception(
                "event handler failed", extra={"fields": {"event_id": envelope.event_id, "consumer": name}}
            )
            raise
        metrics.EVENTS_CONSUMED.labels(self.service, envelope.type, "handled").inc()
        log.info(
            "event handled",
            extra={"fields": {"event_id": envelope.event_id, "type": envelope.type, "consumer": name}},
        )
        return "handled"

    def _record_refused(self, envelope, name: str) -> None:
        try:
            with self._uow_factory() as uow:
                uow.claim_event(envelope.event_id, name, envelope.type)
                uow.commit()
        except AlreadyHandled:
            pass

    def _batch(self, bodies: list[bytes]) -> str:
        deliveries = []
        for body in bodies:
            try:
                deliveries.append(Delivery(*reversed(open_envelope(body))))
            except Exception:
                metrics.EVENTS_CONSUMED.labels(self.service, self.subscription.event_type, "unreadable").inc()
                log.error("dropping unreadable event of a batch", extra={"fields": {"service": self.service}})
        if not deliveries:
            return "unreadable"
        first = deliveries[0].envelope
        name = self.subscription.consumer_name
        # One span and one request context for the message: the first event's (its log lines and
        # trace); the others' ids are in the batch's log line.
        with restored_context(
            first,
            f"{self.service} handle {first.type} batch",
            {
                "messaging.system": "xueji",
                "messaging.operation": "process",
                "messaging.batch.message_count": str(len(deliveries)),
                "xueji.event.type": first.type,
                "xueji.event.producer": first.producer,
                "xueji.consumer": name,
            },
        ):
            return self._handle_batch(deliveries, name)

    def _handle_batch(self, deliveries: list[Delivery], name: str) -> str:
        event_type = deliveries[0].envelope.type
        try:
            with self._uow_factory() as uow:
                new = uow.claim_events([d.envelope.event_id for d in deliveries], name, event_type)
                fresh = [d for d in deliveries if d.envelope.event_id in new]
                if fresh:
                    self.subscription.batch_handler(fresh, uow)
                uow.commit()
        except Unavailable:  # a dependency is down: nothing committed, the bus delivers it again
            metrics.EVENTS_CONSUMED.labels(self.service, event_type, "failed").inc(len(deliveries))
            log.warning(
                "event batch will retry", extra={"fields": {"consumer": name, "events": len(deliveries)}}
            )
            raise
        except DomainError as exc:  # a refusal, or a concurrent change (ConcurrentModification)
            log.info(
                "event batch falls back to one by one",
                extra={"fields": {"consumer": name, "events": len(deliveries), "reason": type(exc).__name__}},
            )
            return self._one_by_one([d.envelope.SerializeToString() for d in deliveries])
        except Exception:
            # A fault met by one event (a bug, data it cannot read) must not hold back the others: one
            # by one, the others are handled, and the message comes again for the faulty one.
            log.exception(
                "event batch failed: handled one by one",
                extra={"fields": {"consumer": name, "events": len(deliveries)}},
            )
            return self._one_by_one([d.envelope.SerializeToString() for d in deliveries])
        metrics.EVENTS_CONSUMED.labels(self.service, event_type, "handled").inc(len(fresh))
        if len(fresh) < len(deliveries):
            metrics.EVENTS_CONSUMED.labels(self.service, event_type, "duplicate").inc(
                len(deliveries) - len(fresh)
            )
        log.info(
            "event batch handled",
            extra={
                "fields": {
                    "type": event_type,
                    "consumer": name,
                    "events": len(deliveries),
                    "duplicates": len(deliveries) - len(fresh),
                    "first_event_id": deliveries[0].envelope.event_id,
                    "last_event_id": deliveries[-1].envelope.event_id,
                }
            },
        )
        return "handled"

    def _one_by_one(self, bodies: list[bytes]) -> str:
        """Each event in its own transaction, as lone envelopes. One that fails does not stop the
        others; the first failure is raised after them, so that the bus delivers the message again
        (the inbox then skips those handled). A dependency that is down (`Unavailable`) stops the
        loop at once: the next events would wait for it in turn."""
        outcomes, failure = [], None
        for body in bodies:
            try:
                outcomes.append(self._one(body))
            except Unavailable:
                raise
            except Exception as exc:
                failure = failure or exc
        if failure is not None:
            raise failure
        return _summary(outcomes)


def _batched_envelopes(body: bytes) -> list[bytes]:
    """The envelopes of an EventBatch body; [] for a lone envelope (or bytes that are neither, which
    the single path drops as unreadable). See events.proto's EventBatch for why this cannot mistake one
    for the other."""
    try:
        return list(EventBatch.FromString(body).envelopes)
    except Exception:
        return []


def _summary(outcomes: list[str]) -> str:
    """One word for a batch handled one by one: "handled" when any was, else the common outcome."""
    if "handled" in outcomes:
        return "handled"
    return outcomes[0] if len(set(outcomes)) == 1 else "mixed"
