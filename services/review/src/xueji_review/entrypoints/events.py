"""Event entrypoint: translate bus events (protobuf) into review use cases.

Submissions and dedup results also have a batch handler (an EventBatch's events in one transaction,
docs/FLOWS.md#batches-on-the-bus); the single handlers stay the reference they agree with."""

from __future__ import annotations

import datetime as dt
import logging

from xueji.v1 import events_pb2
from xueji_common import tracing
from xueji_common.auth import Role
from xueji_common.documents import DocumentCategory, DocumentType
from xueji_common.errors import PreconditionFailed
from xueji_common.messaging.consumer import Delivery, Subscription
from xueji_common.orgunits import OrgLevel
from xueji_common.vocabulary import RegistrationKind
from xueji_review.domain.model import Actor
from xueji_review.service_layer import intake

log = logging.getLogger(__name__)
_ROLES = {role.proto: role.value for role in Role}


def _date(value) -> dt.date | None:
    return dt.date(value.year, value.month, value.day) if value.year else None


def _actor(stamp, default_unit: str) -> Actor:
    unit = stamp.org_unit_code or default_unit
    level = OrgLevel.SCHOOL if len(unit) == 10 else None
    return Actor(unit, level, stamp.user_id, _ROLES.get(stamp.role, "system"))


def _submission(event: events_pb2.ApplicationSubmitted, envelope, traceparent: str) -> intake.Submission:
    app = event.application
    return intake.Submission(
        application_id=app.application_id,
        revision=app.revision,
        submitted_at=envelope.occurred_at.ToDatetime(tzinfo=dt.UTC),
        submitter=_actor(event.submitted_by, app.school_code),
        identity=dict(
            school_code=app.school_code,
            county_code=app.county_code,
            kind=RegistrationKind.from_proto(app.kind).value,
            category=DocumentCategory.from_proto(app.category).value,
            name=app.name,
            gender=app.gender,
            birth_date=_date(app.birth_date),
            document_type=DocumentType.from_proto(app.document_type).value,
            document_masked=app.document_number_masked,
            grade=app.grade,
            class_name=app.class_name,
            traceparent=traceparent,
        ),
    )


def on_application_submitted(event: events_pb2.ApplicationSubmitted, uow, envelope) -> None:
    submission = _submission(event, envelope, tracing.current_traceparent() or envelope.traceparent)
    intake.open_case(
        uow,
        application_id=submission.application_id,
        revision=submission.revision,
        submitted_at=submission.submitted_at,
        submitter=submission.submitter,
        **submission.identity,
    )


def on_applications_submitted(deliveries: list[Delivery], uow) -> None:
    """A batch: each case continues its own submission's trace (the handling span is the batch's)."""
    intake.open_cases(uow, [_submission(d.event, d.envelope, d.envelope.traceparent) for d in deliveries])


def _gate_result(event: events_pb2.DedupCompleted) -> intake.GateResult:
    if event.outcome not in (events_pb2.DEDUP_OUTCOME_PASSED, events_pb2.DEDUP_OUTCOME_FAILED):
        raise PreconditionFailed(f"DedupCompleted without an outcome for application {event.application_id}")
    return intake.GateResult(
        application_id=event.application_id,
        revision=event.revision,
        passed=event.outcome == events_pb2.DEDUP_OUTCOME_PASSED,
        reason=event.reason,
    )


def on_dedup_completed(event: events_pb2.DedupCompleted, uow, envelope) -> None:
    result = _gate_result(event)
    intake.gate_completed(
        uow,
        application_id=result.application_id,
        revision=result.revision,
        passed=result.passed,
        reason=result.reason,
    )


def on_dedups_completed(deliveries: list[Delivery], uow) -> None:
    """A batch: an event without an outcome is refused alone (logged), the others are applied."""
    results = []
    for d in deliveries:
        try:
            results.append(_gate_result(d.event))
        except PreconditionFailed as exc:
            log.error(
                "event refused by a rule",
                extra={"fields": {"event_id": d.envelope.event_id, "reason": exc.message}},
            )
    if results:
        intake.gates_completed(uow, results)


def on_application_withdrawn(event: events_pb2.ApplicationWithdrawn, uow, envelope) -> None:
    intake.withdraw_case(uow, event.application_id, _actor(event.withdrawn_by, ""))


SUBSCRIPTIONS = [
    Subscription("registration", "ApplicationSubmitted", on_application_submitted, on_applications_submitted),
    Subscription("registration", "ApplicationWithdrawn", on_application_withdrawn),
    Subscription("dedup", "DedupCompleted", on_dedup_completed, on_dedups_completed),
]
