"""Building the protobuf events review publishes (the bus contract: events.proto, docs/FLOWS.md step 4)."""

from __future__ import annotations

from collections.abc import Callable
from typing import cast

from google.protobuf.message import Message

from xueji.v1 import common_pb2, events_pb2
from xueji_common.auth import Role
from xueji_common.grpcserver.convert import timestamp
from xueji_common.orgunits import OrgLevel
from xueji_review.domain.model import CaseEvent, CaseEventType, CaseState, ReviewCase

_DEPARTMENT_STAGES = {
    OrgLevel.COUNTY: events_pb2.REVIEW_STAGE_AWAITING_COUNTY_REVIEW,
    OrgLevel.CITY: events_pb2.REVIEW_STAGE_AWAITING_CITY_REVIEW,
    OrgLevel.PROVINCE: events_pb2.REVIEW_STAGE_AWAITING_PROVINCE_REVIEW,
}


def audit_stamp(event: CaseEvent, unit_name: Callable[[str], str]) -> common_pb2.AuditStamp:
    # the stub types an enum field as its enum class; the number is one of xueji.v1.Role's
    role = cast("common_pb2.Role", Role(event.role).proto if event.role in Role._value2member_map_ else 0)
    return common_pb2.AuditStamp(
        org_unit_code=event.unit_code,
        org_unit_name=unit_name(event.unit_code) if event.unit_code else "",
        user_id=event.user_id,
        role=role,
        time=timestamp(event.at),
        opinion=event.opinion,
    )


def bus_event(case: ReviewCase, event: CaseEvent, unit_name: Callable[[str], str]) -> Message | None:
    """The event other services hear of a decision (`case` as it is after it); None for steps they
    do not follow (submission, dedup results, withdrawal: they caused those)."""
    if event.type not in (CaseEventType.APPROVED, CaseEventType.REPORTED, CaseEventType.REJECTED):
        return None
    stamp = audit_stamp(event, unit_name)
    if event.type is CaseEventType.REJECTED:
        return events_pb2.RegistrationReturned(
            application_id=case.application_id, revision=case.revision, rejected_by=stamp
        )
    if case.state is CaseState.APPROVED:
        return events_pb2.RegistrationApproved(
            application_id=case.application_id, revision=case.revision, approved_by=stamp
        )
    stage = (
        events_pb2.REVIEW_STAGE_AWAITING_REPORT
        if case.state is CaseState.AWAITING_REPORT
        else _DEPARTMENT_STAGES[case.current_level]
    )
    return events_pb2.ReviewProgressed(
        application_id=case.application_id,
        revision=case.revision,
        stage=stage,
        handling_unit_code=case.handling_unit,
        decided_by=stamp,
    )
