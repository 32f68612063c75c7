"""gRPC entrypoint of ProblemRecords (问题学籍): translate requests, delegate, translate back."""

from __future__ import annotations

from xueji.v1 import common_pb2, dedup_pb2, dedup_pb2_grpc, events_pb2
from xueji_common.documents import DocumentError, DocumentType, validate_document
from xueji_common.errors import FieldViolation, InvalidArgument
from xueji_common.grpcserver.convert import date_from_pb
from xueji_common.grpcserver.guard import caller
from xueji_common.hashing import document_hash
from xueji_common.masking import mask_message, sees_full_numbers, shown
from xueji_common.paging import Page
from xueji_dedup.adapters.peers import Peers
from xueji_dedup.adapters.problem_messages import group_to_pb
from xueji_dedup.domain.problems import GroupStatus, ProblemKind, Resolution
from xueji_dedup.service_layer import problems


def _corrected(identity: common_pb2.StudentIdentity, index: int, hash_key: str) -> problems.CorrectedIdentity:
    field = f"resolutions[{index}].corrected_identity"
    problems_ = []
    try:
        doc = validate_document(DocumentType.from_proto(identity.document.type), identity.document.number)
    except DocumentError as exc:
        raise InvalidArgument(
            FieldViolation(f"{field}.document.{exc.field.removeprefix('document_')}", exc.message)
        ) from None
    if not identity.name.strip():
        problems_.append(FieldViolation(f"{field}.name", "姓名不能为空"))
    try:
        birth = doc.birth_date or date_from_pb(identity.birth_date)
    except ValueError:
        birth = None
    gender = int(doc.gender) if doc.gender else identity.gender
    if birth is None:
        problems_.append(FieldViolation(f"{field}.birth_date", "出生日期不能为空"))
    if gender not in (1, 2):
        problems_.append(FieldViolation(f"{field}.gender", "性别不能为空"))
    if problems_:
        raise InvalidArgument(problems_)
    return problems.CorrectedIdentity(
        identity.name.strip(),
        gender,
        birth,
        doc.type.value,
        doc.number,
        document_hash(hash_key, doc.type.value, doc.number),
    )


def shown_group(message: dedup_pb2.ProblemGroup, principal) -> dedup_pb2.ProblemGroup:
    """Each student as the caller may see them (docs/MASKING.md); the history's numbers are stored
    masked, and masked again for whoever is not of a group's school."""
    for student in message.students:
        shown(student, principal, student.school_code)
    if not any(sees_full_numbers(principal, s.school_code) for s in message.students):
        for action in message.history:
            mask_message(action)
    return message


class ProblemRecordsServicer(dedup_pb2_grpc.ProblemRecordsServicer):
    def __init__(self, runtime) -> None:
        self._rt = runtime
        self._peers = Peers(runtime)

    def ListProblemGroups(self, request, context):
        principal = caller()
        unit = request.org_unit_code or principal.org_unit
        if unit not in self._rt.tree:
            raise InvalidArgument(FieldViolation("org_unit_code", "机构代码不存在"))
        page = Page.of(request)
        query = problems.ListQuery(
            org_unit_code=unit,
            kinds=tuple(
                ProblemKind[events_pb2.ProblemKind.Name(k).removeprefix("PROBLEM_KIND_")]
                for k in request.kinds
                if k and k != events_pb2.PROBLEM_KIND_DOCUMENT_CHANGED
            ),
            statuses=tuple(
                GroupStatus[dedup_pb2.ProblemGroupStatus.Name(s).removeprefix("PROBLEM_GROUP_STATUS_")]
                for s in request.statuses
                if s
            ),
            resolver_level=request.resolver_level,
            name=request.name,
            national_student_number=request.national_student_number,
            province_code=request.province_code,
            offset=page.offset,
            limit=page.size,
        )
        groups, total = problems.list_groups(
            self._rt.uow_factory(),
            query,
            principal=principal,
            tree=self._rt.tree,
            national=self._peers.national_problems,
        )
        return dedup_pb2.ListProblemGroupsResponse(
            groups=[shown_group(group_to_pb(g, self._rt.tree), principal) for g in groups],
            next_page_token=page.next_token(total),
            total_size=total,
        )

    def GetProblemGroup(self, request, context):
        principal = caller()
        group, actions, proofs = problems.get_group(
            self._rt.uow_factory(),
            request.group_id,
            principal=principal,
            tree=self._rt.tree,
            national=self._peers.national_problems,
        )
        return shown_group(group_to_pb(group, self._rt.tree, actions, proofs), principal)

    def ResolveProblemGroup(self, request, context):
        principal = caller()
        resolutions = []
        for i, r in enumerate(request.resolutions):
            if r.resolution not in (1, 2, 3):
                raise InvalidArgument(
                    FieldViolation(f"resolutions[{i}].resolution", "处理方式须为佐证、修正或删除")
                )
            resolution = Resolution[
                events_pb2.ProblemResolution.Name(r.resolution).removeprefix("PROBLEM_RESOLUTION_")
            ]
            corrected = (
                _corrected(r.corrected_identity, i, self._rt.settings.hash_key)
                if resolution is Resolution.CORRECT and r.HasField("corrected_identity")
                else None
            )
            resolutions.append(problems.RecordResolution(r.record_id, resolution, corrected))
        proofs = [problems.ProofFile(f.file_name, f.content_type, f.content) for f in request.proof_files]
        group = problems.resolve_group(
            self._rt.uow_factory(),
            request.group_id,
            resolutions,
            request.opinion,
            proofs,
            request.expected_version,
            principal=principal,
            tree=self._rt.tree,
            peers=self._peers,
        )
        return shown_group(group_to_pb(group, self._rt.tree), principal)
