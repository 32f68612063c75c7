"""Event entrypoint: translate bus events (protobuf) into review use cases."""

from __future__ import annotations

import datetime as dt

from xueji.v1 import events_pb2
from xueji_common import tracing
from xueji_common.auth import Role
from xueji_common.documents import DocumentCategory, DocumentType
from xueji_common.errors import PreconditionFailed
from xueji_common.messaging.consumer import Subscription
from xueji_common.orgunits import OrgLevel
from xueji_common.vocabulary import RegistrationKind
from xueji_review.domain.model import Actor
from xueji_review.service_layer import intake

_ROLES = {role.proto: role.value for role in Role}


def _date(value) -> dt.date | None:
    return dt.date(value.year, value.month, value.day) if value.year else None


def _actor(stamp, default_unit: str) -> Actor:
    unit = stamp.org_unit_code or default_unit
    level = OrgLevel.SCHOOL if len(unit) == 10 else None
    return Actor(unit, level, stamp.user_id, _ROLES.get(stamp.role, "system"))


def on_application_submitted(event: events_pb2.ApplicationSubmitted, uow, envelope) -> None:
    app = event.application
    intake.open_case(
        uow,
        application_id=app.application_id,
        revision=app.revision,
        submitted_at=envelope.occurred_at.ToDatetime(tzinfo=dt.UTC),
        submitter=_actor(event.submitted_by, app.school_code),
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
        traceparent=tracing.current_traceparent() or envelope.traceparent,
    )


def on_dedup_completed(event: events_pb2.DedupCompleted, uow, envelope) -> None:
    if event.outcome not in (events_pb2.DEDUP_OUTCOME_PASSED, events_pb2.DEDUP_OUTCOME_FAILED):
        raise PreconditionFailed(f"DedupCompleted without an outcome for application {event.application_id}")
    intake.gate_completed(
        uow,
        application_id=event.application_id,
        revision=event.revision,
        passed=event.outcome == events_pb2.DEDUP_OUTCOME_PASSED,
        reason=event.reason,
    )


def on_application_withdrawn(event: events_pb2.ApplicationWithdrawn, uow, envelope) -> None:
    intake.withdraw_case(uow, event.application_id, _actor(event.withdrawn_by, ""))


SUBSCRIPTIONS = [
    Subscription("registration", "ApplicationSubmitted", on_application_submitted),
    Subscription("registration", "ApplicationWithdrawn", on_application_withdrawn),
    Subscription("dedup", "DedupCompleted", on_dedup_completed),
]
