"""Protobuf ⇄ registration values: applications, records, forms, stamps (masking included)."""

from __future__ import annotations

from xueji.v1 import common_pb2, registration_pb2
from xueji_common.auth import Role
from xueji_common.grpcserver.convert import dict_to_message, enum_by_suffix, timestamp
from xueji_common.masking import mask_message
from xueji_registration.domain.form import identity_block
from xueji_registration.domain.model import Application, Stamp
from xueji_registration.domain.records import StudentRecord
from xueji_registration.service_layer.lifecycle import whole_form

_CHANNEL = {
    "manual": registration_pb2.ENTRY_CHANNEL_MANUAL,
    "import": registration_pb2.ENTRY_CHANNEL_IMPORT,
    "supplementary": registration_pb2.ENTRY_CHANNEL_SUPPLEMENTARY,
}
_NUMBER_KIND = {
    "formal": common_pb2.STUDENT_NUMBER_KIND_FORMAL,
    "temporary": common_pb2.STUDENT_NUMBER_KIND_TEMPORARY,
}
_STAGE = {"primary": 2, "junior": 3, "senior": 4, "special": 5}
_ENROLMENT = {"enrolled": 1, "left": 2, "graduated": 3}
BASIC_KEYS = ("name", "gender", "birthDate", "document", "grade", "className")


def org_unit_pb(tree, code: str) -> common_pb2.OrgUnit:
    if not code or code not in tree:
        return common_pb2.OrgUnit(code=code)
    unit = tree.get(code)
    return common_pb2.OrgUnit(
        code=unit.code,
        name=unit.name,
        level=int(unit.level),
        parent_code=unit.parent_code or "",
        division_code=unit.division_code,
    )


def stamp_pb(stamp: Stamp | None, tree) -> common_pb2.AuditStamp | None:
    if stamp is None:
        return None
    name = tree.get(stamp.unit_code).name if stamp.unit_code in tree else ""
    role = Role(stamp.role).proto if stamp.role in {r.value for r in Role} else 0
    return common_pb2.AuditStamp(
        org_unit_code=stamp.unit_code,
        org_unit_name=name,
        user_id=stamp.user_id,
        role=role,
        time=timestamp(stamp.time),
        opinion=stamp.opinion,
    )


def form_pb(form: dict, *, clear: bool, basic: bool = False) -> registration_pb2.StudentRecordForm:
    """The form as a message; document numbers (the student's and family members') masked unless `clear`
    (the masking policy: xueji_common.masking, docs/MASKING.md)."""
    if basic:
        form = {k: v for k, v in form.items() if k in BASIC_KEYS}
    message = dict_to_message(form, registration_pb2.StudentRecordForm())
    return message if clear else mask_message(message)


def application_pb(
    app: Application, tree, *, clear: bool, number: str = "", basic: bool = False, files: dict | None = None
) -> registration_pb2.Application:
    school = tree.get(app.school_code)
    message = registration_pb2.Application(
        application_id=app.application_id,
        school_code=app.school_code,
        school_name=school.name,
        kind=app.kind.to_proto(),
        category=app.category.to_proto(),
        state=enum_by_suffix(registration_pb2.ApplicationState, "APPLICATION_STATE_", app.state),
        authentication_status=enum_by_suffix(
            common_pb2.AuthenticationStatus, "AUTHENTICATION_STATUS_", app.authentication
        ),
        student=form_pb(whole_form(app), clear=clear, basic=basic),
        proof_materials=[_file_ref(f, (files or {}).get(f)) for f in app.proof_material_ids],
        entry_channel=_CHANNEL[app.entry_channel.value],
        preschool_transfer_id=app.preschool_transfer_id,
        import_id=app.import_id,
        dedup_failure_reason=app.dedup_failure_reason,
        record_id=app.record_id,
        national_student_number=number,
        revision=app.revision,
        version=app.version,
        created_by=common_pb2.AuditStamp(
            org_unit_code=app.school_code,
            org_unit_name=school.name,
            user_id=app.created_by,
            time=timestamp(app.created_at),
        ),
        submit_time=timestamp(app.submitted_at),
        update_time=timestamp(app.updated_at),
    )
    if app.handling_unit_code:
        message.current_handling_unit.CopyFrom(org_unit_pb(tree, app.handling_unit_code))
    if app.last_rejection is not None:
        message.last_rejection.CopyFrom(stamp_pb(app.last_rejection, tree))
    return message if clear else mask_message(message)  # the national student number too


def _file_ref(file_id: str, stored) -> common_pb2.FileRef:
    if stored is None:
        return common_pb2.FileRef(file_id=file_id)
    return common_pb2.FileRef(
        file_id=file_id,
        file_name=stored.file_name,
        content_type=stored.content_type,
        size_bytes=stored.size_bytes,
    )


def record_pb(record: StudentRecord, tree, *, clear: bool) -> registration_pb2.StudentRecord:
    i = record.identity
    form = {
        **record.form,
        **identity_block(i.name, int(i.gender), i.birth_date, i.document.type.value, i.document.number),
    }
    school = tree.get(record.school_code) if record.school_code in tree else None
    message = registration_pb2.StudentRecord(
        record_id=record.record_id,
        national_student_number=record.national_student_number,
        number_kind=_NUMBER_KIND[record.number_kind.value],
        application_id=record.application_id,
        school_code=record.school_code,
        school_name=school.name if school else "",
        province_code=record.province_code,
        kind=record.kind.to_proto(),
        category=record.category.to_proto(),
        stage=_STAGE.get(record.stage, 0),
        enrolment_status=_ENROLMENT.get(record.enrolment_status, 0),
        student=form_pb(form, clear=clear),
        problem_record=record.problem_record,
        problem_group_id=record.problem_group_id,
        version=record.version,
        create_time=timestamp(record.created_at),
        update_time=timestamp(record.updated_at),
    )
    return message if clear else mask_message(message)  # the national student number too
