"""gRPC entrypoint of the Registrations service: translate requests, delegate to the service layer.

The Excel methods (templates, import, reports) come from `grpc_imports.ImportMethods`, the code
tables from `grpc_code_tables.CodeTableMethods`. Methods not overridden answer UNIMPLEMENTED (the
generated base class does that).
"""

from __future__ import annotations

import datetime as dt

from xueji.v1 import common_pb2, registration_pb2, registration_pb2_grpc
from xueji_common import fieldmask
from xueji_common.documents import DocumentCategory, DocumentError, DocumentType, Gender
from xueji_common.errors import FieldViolation, InvalidArgument
from xueji_common.grpcserver.convert import date_from_pb, message_to_dict
from xueji_common.grpcserver.guard import caller
from xueji_common.paging import Page
from xueji_common.vocabulary import RegistrationKind
from xueji_registration.adapters.files import FileStore, files_dir
from xueji_registration.domain.files import Purpose
from xueji_registration.domain.form import snake
from xueji_registration.domain.model import ApplicationState, AuthenticationStatus
from xueji_registration.domain.records import NumberKind
from xueji_registration.entrypoints.convert import application_pb, record_pb
from xueji_registration.entrypoints.grpc_code_tables import CodeTableMethods
from xueji_registration.entrypoints.grpc_imports import ImportMethods
from xueji_registration.service_layer import clear_numbers, handlers, lifecycle, query, uploads
from xueji_registration.service_layer.access import sees_numbers
from xueji_registration.service_layer.repositories import ApplicationQuery, RecordQuery

_PURPOSE = {
    registration_pb2.UPLOAD_PURPOSE_PROOF_MATERIAL: Purpose.PROOF_MATERIAL,
    registration_pb2.UPLOAD_PURPOSE_PHOTO: Purpose.PHOTO,
}
_NUMBER_KIND = {
    common_pb2.STUDENT_NUMBER_KIND_FORMAL: NumberKind.FORMAL,
    common_pb2.STUDENT_NUMBER_KIND_TEMPORARY: NumberKind.TEMPORARY,
}


def _by_suffix(enum_cls, pb_enum, prefix: str, value: int, field: str):
    """A proto enum number → the domain enum of the same name; 0 → None; unknown → INVALID_ARGUMENT."""
    if not value:
        return None
    try:
        return enum_cls[pb_enum.Name(value).removeprefix(prefix)]
    except (KeyError, ValueError):
        raise InvalidArgument(FieldViolation(field, "取值无效")) from None


def _create_command(request: registration_pb2.CreateApplicationRequest) -> handlers.CreateApplication:
    student = request.student
    problems = []
    kind = category = birth_date = document_type = None
    try:
        kind = RegistrationKind.from_proto(request.kind)
    except ValueError:
        problems.append(FieldViolation("kind", "注册类型无效"))
    try:
        category = DocumentCategory.from_proto(request.category)
    except (ValueError, DocumentError):
        problems.append(FieldViolation("category", "证件类别无效"))
    try:
        birth_date = date_from_pb(student.birth_date)
    except ValueError:
        problems.append(FieldViolation("student.birth_date", "出生日期不是有效日期"))
    try:
        document_type = DocumentType.from_proto(student.document.type) if student.document.type else None
    except DocumentError as exc:
        problems.append(FieldViolation("student.document.type", exc.message))
    if problems:
        raise InvalidArgument(problems)
    return handlers.CreateApplication(
        school_code=request.school_code,
        kind=kind,
        category=category,
        name=student.name,
        gender=Gender(student.gender) if student.gender in (1, 2) else None,
        birth_date=birth_date,
        document_type=document_type,
        document_number=student.document.number,
        form=message_to_dict(student),
        proof_material_ids=tuple(request.proof_material_ids),
        preschool_transfer_id=request.preschool_transfer_id,
        request_id=request.request_id.strip()[:64],
    )


def _form_changes(request: registration_pb2.UpdateApplicationRequest) -> tuple[dict, tuple | None]:
    """update_mask paths → (top-level form keys with new values or None, proof ids or None)."""
    given = message_to_dict(request.student)
    changes: dict = {}
    proofs = None
    for path in fieldmask.paths(request.update_mask, _UPDATABLE, full=("student", "proof_material_ids")):
        if path == "proof_material_ids":
            proofs = tuple(request.proof_material_ids)
        elif path == "student":
            changes.update({k: None for k in _FORM_KEYS})
            changes.update(given)
        else:
            key = _SNAKE_TO_CAMEL[path.removeprefix("student.")]
            changes[key] = given.get(key)
    return changes, proofs


_FORM_KEYS = [f.camelcase_name for f in registration_pb2.StudentRecordForm.DESCRIPTOR.fields]
_SNAKE_TO_CAMEL = {snake(k): k for k in _FORM_KEYS}
_UPDATABLE = frozenset({"student", "proof_material_ids", *(f"student.{name}" for name in _SNAKE_TO_CAMEL)})


def _timestamp(value) -> dt.datetime | None:
    return value.ToDatetime(tzinfo=dt.UTC) if value.seconds or value.nanos else None


def _category(value: int, field: str = "category") -> DocumentCategory | None:
    try:
        return DocumentCategory.from_proto(value) if value else None
    except ValueError:
        raise InvalidArgument(FieldViolation(field, "证件类别无效")) from None


def _kind(value: int) -> RegistrationKind | None:
    try:
        return RegistrationKind.from_proto(value) if value else None
    except ValueError:
        raise InvalidArgument(FieldViolation("kind", "注册类型无效")) from None


class RegistrationsServicer(ImportMethods, CodeTableMethods, registration_pb2_grpc.RegistrationsServicer):
    def __init__(self, runtime) -> None:
        self._rt = runtime
        self._files = FileStore(files_dir(runtime.settings))

    def _app(self, app, principal, number: str = "", basic: bool = False):
        return application_pb(
            app, self._rt.tree, clear=sees_numbers(principal, app.school_code), number=number, basic=basic
        )

    def CreateApplication(self, request, context):
        principal = caller()
        app = handlers.create_application(
            self._rt.uow_factory(),
            _create_command(request),
            principal=principal,
            tree=self._rt.tree,
            hash_key=self._rt.settings.hash_key,
        )
        return self._app(app, principal)

    def GetApplication(self, request, context):
        principal = caller()
        detail = query.get_application(
            self._rt.uow_factory(), request.application_id, principal=principal, tree=self._rt.tree
        )
        app = detail.application
        return application_pb(
            app,
            self._rt.tree,
            clear=sees_numbers(principal, app.school_code),
            number=detail.national_student_number,
            files=detail.files,
        )

    def ListApplications(self, request, context):
        principal = caller()
        q = ApplicationQuery(
            kind=_kind(request.kind),
            category=_category(request.category),
            states=tuple(
                _by_suffix(
                    ApplicationState, registration_pb2.ApplicationState, "APPLICATION_STATE_", s, "states"
                )
                for s in request.states
                if s
            ),  # UNSPECIFIED: no filter
            authentication=_by_suffix(
                AuthenticationStatus,
                common_pb2.AuthenticationStatus,
                "AUTHENTICATION_STATUS_",
                request.authentication_status,
                "authentication_status",
            ),
            handling_unit_code=request.current_handling_unit_code,
            name_prefix=request.name.strip(),
            grade=request.grade,
            submitted_after=_timestamp(request.submitted_after),
            submitted_before=_timestamp(request.submitted_before),
        )
        page = query.list_applications(
            self._rt.uow_factory(),
            q,
            org_unit_code=request.org_unit_code,
            document_number=request.document_number,
            window=Page.of(request),
            principal=principal,
            tree=self._rt.tree,
            hash_key=self._rt.settings.hash_key,
        )
        basic = request.view != registration_pb2.APPLICATION_VIEW_FULL
        return registration_pb2.ListApplicationsResponse(
            applications=[
                self._app(a, principal, page.numbers.get(a.record_id, ""), basic) for a in page.items
            ],
            next_page_token=page.next_token,
            total_size=page.total,
        )

    def UpdateApplication(self, request, context):
        principal = caller()
        changes, proofs = _form_changes(request)
        app = lifecycle.update_application(
            self._rt.uow_factory(),
            request.application_id,
            form_changes=changes,
            proof_material_ids=proofs,
            expected_version=request.expected_version,
            principal=principal,
            tree=self._rt.tree,
            hash_key=self._rt.settings.hash_key,
        )
        return self._app(app, principal)

    def ResubmitApplication(self, request, context):
        principal = caller()
        app = lifecycle.resubmit_application(
            self._rt.uow_factory(),
            request.application_id,
            expected_version=request.expected_version,
            principal=principal,
            tree=self._rt.tree,
            hash_key=self._rt.settings.hash_key,
        )
        return self._app(app, principal)

    def WithdrawApplication(self, request, context):
        principal = caller()
        app = lifecycle.withdraw_application(
            self._rt.uow_factory(),
            request.application_id,
            reason=request.reason,
            expected_version=request.expected_version,
            principal=principal,
            tree=self._rt.tree,
        )
        return self._app(app, principal)

    def UploadProofMaterial(self, request, context):
        principal = caller()
        if request.purpose not in _PURPOSE:
            raise InvalidArgument(FieldViolation("purpose", "请指定上传用途（证明材料或照片）"))
        stored = uploads.upload_file(
            self._rt.uow_factory(),
            self._files,
            school_code=request.school_code,
            purpose=_PURPOSE[request.purpose],
            file_name=request.file.file_name,
            content_type=request.file.content_type,
            content=request.file.content,
            principal=principal,
            tree=self._rt.tree,
        )
        return common_pb2.FileRef(
            file_id=stored.file_id,
            file_name=stored.file_name,
            content_type=stored.content_type,
            size_bytes=stored.size_bytes,
        )

    def GetStudentRecord(self, request, context):
        principal = caller()
        record = query.get_record(
            self._rt.uow_factory(),
            record_id=request.record_id,
            number=request.national_student_number,
            principal=principal,
            tree=self._rt.tree,
        )
        return record_pb(record, self._rt.tree, clear=sees_numbers(principal, record.school_code))

    def GetDocumentNumber(self, request, context):
        found = clear_numbers.document_number(
            self._rt.uow_factory(),
            application_id=request.application_id,
            record_id=request.record_id,
            principal=caller(),
        )
        return _number_pb(found)

    def GetDocumentNumbers(self, request, context):
        found = clear_numbers.document_numbers(
            self._rt.uow_factory(), list(request.application_ids), principal=caller()
        )
        return registration_pb2.GetDocumentNumbersResponse(
            results=[
                registration_pb2.DocumentNumberResult(application_id=a, found=False)
                if f is None
                else registration_pb2.DocumentNumberResult(application_id=a, found=True, number=_number_pb(f))
                for a, f in zip(request.application_ids, found)
            ]
        )

    def ListStudentRecords(self, request, context):
        principal = caller()
        q = RecordQuery(
            category=_category(request.category),
            number_kind=_NUMBER_KIND.get(request.number_kind),
            problem_record=request.problem_record if request.HasField("problem_record") else None,
            name_prefix=request.name.strip(),
            national_student_number=request.national_student_number.strip().upper(),
            grade=request.grade,
        )
        page = query.list_records(
            self._rt.uow_factory(),
            q,
            org_unit_code=request.org_unit_code,
            window=Page.of(request),
            principal=principal,
            tree=self._rt.tree,
        )
        return registration_pb2.ListStudentRecordsResponse(
            records=[
                record_pb(r, self._rt.tree, clear=sees_numbers(principal, r.school_code)) for r in page.items
            ],
            next_page_token=page.next_token,
            total_size=page.total,
        )


def _number_pb(found: clear_numbers.ClearNumber) -> registration_pb2.DocumentNumber:
    return registration_pb2.DocumentNumber(
        document=common_pb2.IdentityDocument(
            type=found.document.type.to_proto(), number=found.document.number
        ),
        document_hash=found.document_hash,
        revision=found.revision,
        version=found.version,
    )
