"""gRPC entrypoint of the Registrations service: translate requests, delegate to the service layer.

The Excel methods (templates, import, reports) come from `grpc_imports.ImportMethods`. Methods not
overridden answer UNIMPLEMENTED (the generated base class does that).
"""
from __future__ import annotations

from xueji.v1 import common_pb2, registration_pb2, registration_pb2_grpc
from xueji_common.documents import DocumentCategory, DocumentError, DocumentType, Gender
from xueji_common.errors import FieldViolation, InvalidArgument
from xueji_common.grpcserver.convert import date_from_pb, date_to_pb, enum_by_suffix, message_to_dict, timestamp
from xueji_common.grpcserver.guard import require_role
from xueji_common.vocabulary import RegistrationKind
from xueji_registration.domain.model import Application
from xueji_registration.entrypoints.grpc_imports import ImportMethods
from xueji_registration.service_layer import handlers


def _create_command(request: registration_pb2.CreateApplicationRequest) -> handlers.CreateApplication:
    student = request.student
    problems = []
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
    )


def application_to_pb(app: Application, tree) -> registration_pb2.Application:
    from xueji_common.documents import mask_document_number

    student = registration_pb2.StudentRecordForm(
        name=app.identity.name,
        gender=int(app.identity.gender),
        birth_date=date_to_pb(app.identity.birth_date),
        document=common_pb2.IdentityDocument(
            type=app.identity.document.type.to_proto(),
            number=mask_document_number(app.identity.document.number),
        ),
        grade=app.form.get("grade", ""),
        class_name=app.form.get("className", ""),
    )
    school = tree.get(app.school_code)
    return registration_pb2.Application(
        application_id=app.application_id,
        school_code=app.school_code,
        school_name=school.name,
        kind=app.kind.to_proto(),
        category=app.category.to_proto(),
        state=enum_by_suffix(registration_pb2.ApplicationState, "APPLICATION_STATE_", app.state),
        authentication_status=enum_by_suffix(common_pb2.AuthenticationStatus, "AUTHENTICATION_STATUS_", app.authentication),
        student=student,
        entry_channel=registration_pb2.ENTRY_CHANNEL_MANUAL,
        current_handling_unit=common_pb2.OrgUnit(code=school.code, name=school.name, level=int(school.level)),
        revision=app.revision,
        version=app.version,
        created_by=common_pb2.AuditStamp(user_id=app.created_by, time=timestamp(app.created_at)),
        submit_time=timestamp(app.created_at),
    )


class RegistrationsServicer(ImportMethods, registration_pb2_grpc.RegistrationsServicer):
    def __init__(self, runtime) -> None:
        self._rt = runtime

    def CreateApplication(self, request, context):
        principal = require_role()
        app = handlers.create_application(
            self._rt.uow_factory(), _create_command(request),
            principal=principal, tree=self._rt.tree, hash_key=self._rt.settings.hash_key,
        )
        return application_to_pb(app, self._rt.tree)

    def GetApplication(self, request, context):
        app = handlers.get_application(
            self._rt.uow_factory(), request.application_id, principal=require_role(), tree=self._rt.tree
        )
        return application_to_pb(app, self._rt.tree)
