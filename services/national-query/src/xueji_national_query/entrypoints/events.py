"""Event entrypoint: record snapshots (registration) and problem groups (dedup) → the read model."""

from __future__ import annotations

import datetime as dt

from xueji.v1 import events_pb2
from xueji_common.documents import DocumentError, DocumentType
from xueji_common.messaging.consumer import Delivery, Subscription
from xueji_common.orgunits import OrgLevel
from xueji_common.sealed_numbers import opened_number
from xueji_national_query.domain.records import NationalRecord
from xueji_national_query.domain.vocabulary import EnrolmentStatus, Stage
from xueji_national_query.service_layer import projection

# The stage of a school in the org-unit tree, for snapshots that leave theirs unspecified.
_TREE_STAGES = {
    "preschool": Stage.PRESCHOOL,
    "primary": Stage.PRIMARY,
    "nine_year": Stage.PRIMARY,
    "junior": Stage.JUNIOR_SECONDARY,
    "senior": Stage.SENIOR_SECONDARY,
    "special": Stage.SPECIAL,
}


def record_from_snapshot(
    snapshot: events_pb2.StudentRecordSnapshot, uow, occurred_at: dt.datetime
) -> NationalRecord:
    """The snapshot's keyed hash and masked number are all the read model keeps of the document (no
    clear number on the bus); a record without a number (其他) has neither. The national student
    number comes sealed (sealed_numbers) and is stored encrypted beside its hash."""
    try:
        doc_type = DocumentType.from_proto(snapshot.document_type).value
    except DocumentError:
        doc_type = DocumentType.OTHER.value
    school = uow.tree.get(snapshot.school_code) if uow.tree and snapshot.school_code in uow.tree else None
    province = snapshot.province_code
    if not province and school is not None and school.level is OrgLevel.SCHOOL:
        province = uow.tree.province_of(school.code).code
    stage = (
        Stage.from_proto(snapshot.stage)
        if snapshot.stage
        else _TREE_STAGES.get(school.stage if school else "", Stage.PRIMARY)
    )
    status = (
        EnrolmentStatus.from_proto(snapshot.enrolment_status)
        if snapshot.enrolment_status
        else EnrolmentStatus.ENROLLED
    )
    changed = snapshot.changed_at.ToDatetime(tzinfo=dt.UTC) if snapshot.changed_at.seconds else occurred_at
    birth = snapshot.birth_date
    return NationalRecord(
        record_id=snapshot.record_id,
        national_student_number=opened_number(snapshot, uow.session),
        name=snapshot.name,
        gender=snapshot.gender,
        birth_date=dt.date(birth.year, birth.month, birth.day),
        document_type=doc_type,
        document_hash=snapshot.document_hash if snapshot.document_number_masked else "",
        document_masked=snapshot.document_number_masked,
        province_code=province,
        school_code=snapshot.school_code,
        school_name=school.name if school else "",
        stage=stage.value,
        enrolment_status=status.value,
        problem=snapshot.problem_record,
        version=snapshot.version,
        changed_at=changed,
    )


def _occurred(envelope) -> dt.datetime:
    return envelope.occurred_at.ToDatetime(tzinfo=dt.UTC)


def on_record_created(event: events_pb2.StudentRecordCreated, uow, envelope) -> None:
    projection.apply_snapshot(uow, record_from_snapshot(event.record, uow, _occurred(envelope)))


def on_records_created(deliveries: list[Delivery], uow) -> None:
    """The batch handler of StudentRecordCreated (docs/FLOWS.md#batches-on-the-bus)."""
    projection.apply_snapshots(
        uow, [record_from_snapshot(d.event.record, uow, _occurred(d.envelope)) for d in deliveries]
    )


def on_record_changed(event: events_pb2.StudentRecordChanged, uow, envelope) -> None:
    projection.apply_snapshot(uow, record_from_snapshot(event.record, uow, _occurred(envelope)))


def on_problem_raised(event: events_pb2.ProblemRaised, uow, envelope) -> None:
    projection.problem_raised(uow, event.problem_group_id, list(event.record_ids))


def on_problem_resolved(event: events_pb2.ProblemResolved, uow, envelope) -> None:
    projection.problem_resolved(uow, event.problem_group_id, list(event.record_ids))


SUBSCRIPTIONS = [
    Subscription("registration", "StudentRecordCreated", on_record_created, on_records_created),
    Subscription("registration", "StudentRecordChanged", on_record_changed),
    Subscription("dedup", "ProblemRaised", on_problem_raised),
    Subscription("dedup", "ProblemResolved", on_problem_resolved),
]
