"""Event entrypoint: record snapshots (registration) → the students special education knows."""

from __future__ import annotations

import datetime as dt

from xueji.v1 import events_pb2
from xueji_common.documents import DocumentError, DocumentType
from xueji_common.messaging.consumer import Delivery, Subscription
from xueji_common.sealed_numbers import opened_number
from xueji_special_ed.domain.codes import DisabilityType
from xueji_special_ed.domain.model import Student
from xueji_special_ed.service_layer import projection


def student_from_snapshot(snapshot: events_pb2.StudentRecordSnapshot, number: str) -> Student:
    """The snapshot's keyed hash is all special-ed keeps of the document number (none travels in
    clear); `number`: the national student number opened from the snapshot (sealed_numbers)."""
    try:
        doc_type = DocumentType.from_proto(snapshot.document_type).value
    except DocumentError:
        doc_type = DocumentType.OTHER.value
    disability = DisabilityType.parse(snapshot.disability_type)
    birth = snapshot.birth_date
    return Student(
        record_id=snapshot.record_id,
        national_student_number=number,
        name=snapshot.name,
        gender=snapshot.gender,
        birth_date=dt.date(birth.year, birth.month, birth.day) if birth.year else None,
        school_code=snapshot.school_code,
        disability_type=disability.value if disability else "",
        inclusive_education=snapshot.inclusive_education[:20],
        document_type=doc_type,
        document_hash=snapshot.document_hash if snapshot.document_number_masked else "",
        enrolled=snapshot.enrolment_status
        in (events_pb2.ENROLMENT_STATUS_UNSPECIFIED, events_pb2.ENROLMENT_STATUS_ENROLLED),
        version=snapshot.version,
        grade=snapshot.grade[:20],
        class_name=snapshot.class_name[:50],
    )


def on_record_created(event: events_pb2.StudentRecordCreated, uow, envelope) -> None:
    projection.apply_snapshot(
        uow, student_from_snapshot(event.record, opened_number(event.record, uow.session))
    )


def on_records_created(deliveries: list[Delivery], uow) -> None:
    """The batch handler of StudentRecordCreated (docs/FLOWS.md#batches-on-the-bus); opening a
    number is a decryption in memory, no statement."""
    projection.apply_snapshots(
        uow,
        [
            student_from_snapshot(d.event.record, opened_number(d.event.record, uow.session))
            for d in deliveries
        ],
    )


def on_record_changed(event: events_pb2.StudentRecordChanged, uow, envelope) -> None:
    projection.apply_snapshot(
        uow, student_from_snapshot(event.record, opened_number(event.record, uow.session))
    )


SUBSCRIPTIONS = [
    Subscription("registration", "StudentRecordCreated", on_record_created, on_records_created),
    Subscription("registration", "StudentRecordChanged", on_record_changed),
]
