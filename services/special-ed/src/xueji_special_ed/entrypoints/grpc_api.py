"""gRPC entrypoint of special-ed: translate requests, delegate to the service layer."""

from __future__ import annotations

from xueji.v1 import common_pb2, special_ed_pb2, special_ed_pb2_grpc
from xueji_common import fieldmask
from xueji_common.auth import Role
from xueji_common.errors import FieldViolation, InvalidArgument
from xueji_common.grpcserver.convert import date_to_pb, timestamp
from xueji_common.grpcserver.guard import caller
from xueji_common.grpcserver.server import GrpcBinding
from xueji_common.masking import mask_message, shown
from xueji_common.paging import Page
from xueji_special_ed.domain.codes import Degree, DisabilityType, InclusiveEducation, ProofType
from xueji_special_ed.domain.model import EDITABLE, SpecialEdInfo, Student
from xueji_special_ed.service_layer import handlers


def student_pb(student: Student) -> special_ed_pb2.SpecialEdStudent:
    disability = DisabilityType.parse(student.disability_type)
    return special_ed_pb2.SpecialEdStudent(
        record_id=student.record_id,
        national_student_number=student.national_student_number,
        name=student.name,
        gender=student.gender,
        birth_date=date_to_pb(student.birth_date),
        school_code=student.school_code,
        grade=student.grade,
        class_name=student.class_name,
        recorded_disability_type=disability.to_proto() if disability else 0,
    )


def info_pb(
    info: SpecialEdInfo, student: Student, tree, principal, masked: bool = False
) -> special_ed_pb2.SpecialEdInfo:
    """The info as `principal` may see it (docs/MASKING.md); `masked`: lists mask for everyone."""
    stamp = info.updated
    unit = tree.get(stamp.org_unit).name if stamp.org_unit in tree else ""
    message = special_ed_pb2.SpecialEdInfo(
        record_id=info.record_id,
        student=student_pb(student),
        disability_type=info.disability_type.to_proto(),
        proof_type=info.proof_type.to_proto(),
        degree=info.degree.to_proto() if info.degree else 0,
        certificate_number=info.certificate_number,
        symptom_description=info.symptom_description,
        inclusive_education=info.inclusive_education.to_proto(),
        version=info.version,
        updated_by=common_pb2.AuditStamp(
            org_unit_code=stamp.org_unit,
            org_unit_name=unit,
            user_id=stamp.user_id,
            role=Role(stamp.role).proto,
            time=timestamp(stamp.time),
        ),
        create_time=timestamp(info.created_at),
    )
    return mask_message(message) if masked else shown(message, principal, student.school_code)


def editable_values(info: special_ed_pb2.SpecialEdInfo) -> dict:
    return {
        "disability_type": DisabilityType.from_proto(info.disability_type),
        "proof_type": ProofType.from_proto(info.proof_type),
        "degree": Degree.from_proto(info.degree),
        "certificate_number": info.certificate_number.strip().upper(),
        "symptom_description": info.symptom_description.strip(),
        "inclusive_education": InclusiveEducation.from_proto(info.inclusive_education),
    }


def _record_id(info) -> str:
    if not info.record_id:
        raise InvalidArgument(FieldViolation("info.record_id", "请选择学生"))
    return info.record_id


class SpecialEdServicer(special_ed_pb2_grpc.SpecialEdServicer):
    def __init__(self, runtime) -> None:
        self._rt = runtime

    def ListSpecialEdStudents(self, request, context):
        principal = caller()
        disability = DisabilityType.from_proto(request.disability_type)
        page = Page.of(request)
        rows, total = handlers.list_infos(
            self._rt.uow_factory(),
            principal,
            self._rt.tree,
            request.org_unit_code,
            request.name,
            disability.value if disability else None,
            page,
        )
        return special_ed_pb2.ListSpecialEdStudentsResponse(
            infos=[info_pb(i, s, self._rt.tree, principal, masked=True) for i, s in rows],
            next_page_token=page.next_token(total),
            total_size=total,
        )

    def ListCandidates(self, request, context):
        principal = caller()
        page = Page.of(request)
        students, total = handlers.list_candidates(
            self._rt.uow_factory(), principal, self._rt.tree, request.school_code, request.name, page
        )
        return special_ed_pb2.ListCandidatesResponse(
            candidates=[shown(student_pb(s), principal, s.school_code) for s in students],
            next_page_token=page.next_token(total),
            total_size=total,
        )

    def CreateSpecialEdInfo(self, request, context):
        principal = caller()
        info = SpecialEdInfo(record_id=_record_id(request.info), **editable_values(request.info))
        info, student = handlers.create_info(self._rt.uow_factory(), principal, self._rt.tree, info)
        return info_pb(info, student, self._rt.tree, principal)

    def UpdateSpecialEdInfo(self, request, context):
        principal = caller()
        paths = fieldmask.paths(request.update_mask, EDITABLE, prefix="info.")
        values = editable_values(request.info)
        info, student = handlers.update_info(
            self._rt.uow_factory(),
            principal,
            self._rt.tree,
            _record_id(request.info),
            {p: values[p] for p in paths},
            request.expected_version,
        )
        return info_pb(info, student, self._rt.tree, principal)

    def GetSpecialEdInfo(self, request, context):
        principal = caller()
        info, student = handlers.get_info(self._rt.uow_factory(), principal, self._rt.tree, request.record_id)
        return info_pb(info, student, self._rt.tree, principal)


def bindings(runtime) -> list[GrpcBinding]:
    return [
        GrpcBinding(
            "xueji.v1.SpecialEd",
            special_ed_pb2_grpc.add_SpecialEdServicer_to_server,
            SpecialEdServicer(runtime),
        )
    ]
