"""Running an event handler exactly once per event: inbox check, handler, commit, in one transaction."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass

from google.protobuf.message import Message

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


@dataclass(frozen=True)
class Subscription:
    producer: str  # service that emits the event, e.g. "registration"
    event_type: str  # e.g. "ApplicationSubmitted"
    handler: Handler

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
