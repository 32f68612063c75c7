"""Building the protobuf events registration publishes (the bus contract, events.proto). A document
number travels as its keyed hash and masked (mask_document_number, the one policy), never in clear; a
national student number the same, plus sealed with the data key for the services that keep it
(xueji_common.sealed_numbers). `keys` is the unit of work's Collaborators (data_keys, hash_key)."""

from __future__ import annotations

from typing import cast

from xueji.v1 import common_pb2, events_pb2
from xueji_common.auth import Principal
from xueji_common.documents import mask_document_number
from xueji_common.grpcserver.convert import date_to_pb, timestamp
from xueji_common.sealed_numbers import snapshot_number_fields
from xueji_registration.domain.model import Application, Stamp
from xueji_registration.domain.records import StudentRecord
from xueji_registration.service_layer.ports import Collaborators

_STAGE = {
    "primary": events_pb2.SCHOOL_STAGE_PRIMARY,
    "junior": events_pb2.SCHOOL_STAGE_JUNIOR_SECONDARY,
    "senior": events_pb2.SCHOOL_STAGE_SENIOR_SECONDARY,
    "special": events_pb2.SCHOOL_STAGE_SPECIAL,
}
_ENROLMENT = {
    "enrolled": events_pb2.ENROLMENT_STATUS_ENROLLED,
    "left": events_pb2.ENROLMENT_STATUS_LEFT,
    "graduated": events_pb2.ENROLMENT_STATUS_GRADUATED,
}


def stamp_pb(stamp: Stamp | None, role_proto: int = 0, unit_name: str = "") -> common_pb2.AuditStamp:
    if stamp is None:
        return common_pb2.AuditStamp()
    return common_pb2.AuditStamp(
        org_unit_code=stamp.unit_code,
        org_unit_name=unit_name,
        user_id=stamp.user_id,
        role=cast("common_pb2.Role", role_proto),
        time=timestamp(stamp.time),
        opinion=stamp.opinion,
    )


def application_submitted(
    app: Application, *, county_code: str, by: Principal
) -> events_pb2.ApplicationSubmitted:
    doc = app.identity.document
    return events_pb2.ApplicationSubmitted(
        application=events_pb2.ApplicationSnapshot(
            application_id=app.application_id,
            school_code=app.school_code,
            county_code=county_code,
            kind=cast("common_pb2.RegistrationKind", app.kind.to_proto()),
            category=cast("common_pb2.DocumentCategory", app.category.to_proto()),
            name=app.identity.name,
            gender=cast("common_pb2.Gender", int(app.identity.gender)),
            birth_date=date_to_pb(app.identity.birth_date),
            document_type=cast("common_pb2.DocumentType", doc.type.to_proto()),
            document_number_masked=mask_document_number(doc.number),
            document_hash=app.document_hash,
            grade=app.form.get("grade", ""),
            class_name=app.form.get("className", ""),
            revision=app.revision,
        ),
        submitted_by=common_pb2.AuditStamp(
            org_unit_code=by.org_unit,
            user_id=by.user_id,
            role=cast("common_pb2.Role", by.role.proto),
            time=timestamp(app.submitted_at or app.created_at),
        ),
    )


def application_withdrawn(app: Application, *, by: Principal) -> events_pb2.ApplicationWithdrawn:
    return events_pb2.ApplicationWithdrawn(
        application_id=app.application_id, withdrawn_by=stamp_pb(app.withdrawal, by.role.proto)
    )


def record_snapshot(record: StudentRecord, keys: Collaborators) -> events_pb2.StudentRecordSnapshot:
    doc = record.identity.document
    return events_pb2.StudentRecordSnapshot(
        record_id=record.record_id,
        **snapshot_number_fields(record.national_student_number, keys.data_keys, keys.hash_key),
        temporary_number=record.temporary,
        application_id=record.application_id,
        school_code=record.school_code,
        province_code=record.province_code,
        stage=_STAGE.get(record.stage, events_pb2.SCHOOL_STAGE_UNSPECIFIED),
        enrolment_status=_ENROLMENT.get(record.enrolment_status, events_pb2.ENROLMENT_STATUS_UNSPECIFIED),
        name=record.identity.name,
        gender=cast("common_pb2.Gender", int(record.identity.gender)),
        birth_date=date_to_pb(record.identity.birth_date),
        document_type=cast("common_pb2.DocumentType", doc.type.to_proto()),
        document_number_masked=mask_document_number(doc.number),
        document_hash=record.document_hash,
        category=cast("common_pb2.DocumentCategory", record.category.to_proto()),
        # Enum names of xueji.v1.DisabilityType / InclusiveEducation, as entered on the form.
        disability_type=record.form.get("disabilityType", ""),
        inclusive_education=record.form.get("inclusiveEducation", ""),
        problem_record=record.problem_record,
        version=record.version,
        changed_at=timestamp(record.updated_at),
        grade=record.form.get("grade", ""),
        class_name=record.form.get("className", ""),
    )


def record_created(record: StudentRecord, keys: Collaborators) -> events_pb2.StudentRecordCreated:
    return events_pb2.StudentRecordCreated(record=record_snapshot(record, keys))


def record_changed(record: StudentRecord, keys: Collaborators) -> events_pb2.StudentRecordChanged:
    return events_pb2.StudentRecordChanged(record=record_snapshot(record, keys))
