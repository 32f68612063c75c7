"""gRPC entrypoint of the Dedup surface (the national tier's; a province serves the same on its own
tables). System callers only. ALREADY_EXISTS carries google.rpc.ErrorInfo naming the holder;
FAILED_PRECONDITION carries google.rpc.PreconditionFailure with the machine code."""

from __future__ import annotations

import functools
import re
from dataclasses import replace

from google.protobuf import any_pb2
from google.rpc import code_pb2, error_details_pb2, status_pb2
from grpc_status import rpc_status

from xueji.v1 import common_pb2, dedup_pb2, dedup_pb2_grpc, events_pb2
from xueji_common.documents import DocumentError, DocumentType, validate_document
from xueji_common.errors import DomainError, FieldViolation, InvalidArgument
from xueji_common.grpcserver.convert import date_from_pb, timestamp
from xueji_common.grpcserver.guard import caller
from xueji_dedup.adapters.holdings_reads import SqlHoldingsReader
from xueji_dedup.adapters.problem_messages import reported_group, student_from_pb
from xueji_dedup.domain.checks import Holding, HoldingKind
from xueji_dedup.domain.numbers import NumberKind, check_division
from xueji_dedup.domain.problems import ProblemKind, RuleRefused
from xueji_dedup.service_layer import (
    bulk_holdings,
    national,
    national_numbers,
    national_problems,
    national_reserve,
)
from xueji_dedup.service_layer.bulk_holdings import HoldingColumns
from xueji_dedup.service_layer.national import HeldElsewhere

_HASH = re.compile(r"[0-9a-f]{64}")
_STATES = {"active": 1, "committed": 2, "released": 3, "expired": 4}
# The columns of problem_students a raised student fills (adapters.tables).
_STUDENT_SIZES = {
    "record_id": 64,
    "application_id": 64,
    "national_student_number": 19,
    "name": 100,
    "school_code": 10,
    "province_code": 6,
}
_OWNER_ID_SIZE = 64  # student_numbers.owner_id (adapters/tables.py)
_UUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")
_REFRESH_REQUIRED = ("record_id", "school_code", "province_code")
_NUMBER_KINDS = {1: NumberKind.FORMAL, 2: NumberKind.TEMPORARY, 3: NumberKind.PROVINCIAL}


def holding_to_pb(h: Holding) -> dedup_pb2.DocumentHolding:
    kind = (
        dedup_pb2.HOLDING_KIND_RECORD if h.kind is HoldingKind.RECORD else dedup_pb2.HOLDING_KIND_RESERVATION
    )
    return dedup_pb2.DocumentHolding(
        kind=kind,
        holder_id=h.holder_id,
        province_code=h.province_code,
        school_code=h.school_code,
        national_student_number=h.national_student_number,
        application_id=h.application_id,
    )


def reservation_to_pb(r) -> dedup_pb2.IdentityReservation:
    return dedup_pb2.IdentityReservation(
        reservation_id=r.reservation_id,
        document_type=DocumentType(r.document_type).to_proto(),
        document_hash=r.document_hash,
        application_id=r.application_id,
        province_code=r.province_code,
        school_code=r.school_code,
        state=_STATES[r.state],
        record_id=r.record_id,
        national_student_number=r.national_student_number,
        create_time=timestamp(r.create_time),
        expire_time=timestamp(r.expire_time),
    )


def _abort(context, code: int, message: str, detail) -> None:
    status = status_pb2.Status(code=code, message=message)
    packed = any_pb2.Any()
    packed.Pack(detail)
    status.details.append(packed)
    context.abort_with_status(rpc_status.to_status(status))


def with_error_details(method):
    """HeldElsewhere → ALREADY_EXISTS + ErrorInfo; RuleRefused → FAILED_PRECONDITION + PreconditionFailure."""

    @functools.wraps(method)
    def wrapper(self, request, context):
        try:
            return method(self, request, context)
        except HeldElsewhere as exc:
            h = exc.holding
            _abort(
                context,
                code_pb2.ALREADY_EXISTS,
                exc.message,
                error_details_pb2.ErrorInfo(
                    reason="DOCUMENT_HELD",
                    domain="dedup.xueji",
                    metadata={
                        "holder_kind": h.kind.value,
                        "holder_id": h.holder_id,
                        "province_code": h.province_code,
                        "school_code": h.school_code,
                        "national_student_number": h.national_student_number,
                        "application_id": h.application_id,
                    },
                ),
            )
        except RuleRefused as exc:
            _abort(
                context,
                code_pb2.FAILED_PRECONDITION,
                exc.message,
                error_details_pb2.PreconditionFailure(
                    violations=[
                        error_details_pb2.PreconditionFailure.Violation(
                            type=exc.code, subject="reservation", description=exc.message
                        )
                    ]
                ),
            )

    return wrapper


def _document(request, field: str = "document_hash") -> tuple[str, str]:
    problems = []
    try:
        document_type = DocumentType.from_proto(request.document_type).value
    except DocumentError as exc:
        problems.append(FieldViolation("document_type", exc.message))
    value = getattr(request, field)
    if not _HASH.fullmatch(value):
        problems.append(FieldViolation(field, "证件号哈希须为 64 位小写十六进制（HMAC-SHA256）"))
    if problems:
        raise InvalidArgument(problems)
    return document_type, value


def _missing(request, *names: str) -> list[FieldViolation]:
    return [FieldViolation(n, "不能为空") for n in names if not getattr(request, n)]


def _required(request, *names: str) -> None:
    if missing := _missing(request, *names):
        raise InvalidArgument(missing)


def _refusal(exc: DomainError) -> dedup_pb2.CommitRefusal:
    """An item of CommitReservations not committed: CommitReservation's NOT_FOUND or its
    FAILED_PRECONDITION's code."""
    return dedup_pb2.CommitRefusal(code=getattr(exc, "code", "NOT_FOUND"), message=exc.message)


def _reserve_command(request) -> national.ReserveIdentity:
    """A ReserveIdentityRequest validated (INVALID_ARGUMENT naming its fields)."""
    document_type, document_hash = _document(request)
    _required(request, "application_id", "school_code")
    return national.ReserveIdentity(
        document_type, document_hash, request.application_id, request.province_code, request.school_code
    )


class DedupServicer(dedup_pb2_grpc.DedupServicer):
    def __init__(self, runtime) -> None:
        self._rt = runtime
        self._reads = SqlHoldingsReader(runtime.engine)

    def CheckDocument(self, request, context):
        national.admit(caller())
        document_type, document_hash = _document(request)
        holdings = national.check_document(self._reads, document_type, document_hash, request.application_id)
        return dedup_pb2.CheckDocumentResponse(
            available=not holdings, holdings=[holding_to_pb(h) for h in holdings]
        )

    def CheckDocuments(self, request, context):
        national.admit(caller())
        national.check_batch_size(len(request.documents))  # before validating 10,000 items one by one
        checks, problems = [], []
        for i, item in enumerate(request.documents):
            try:
                checks.append(national.DocumentCheck(*_document(item), item.application_id))
            except InvalidArgument as exc:
                problems += [
                    FieldViolation(f"documents[{i}].{v.field}", v.description) for v in exc.violations
                ]
        if problems:
            raise InvalidArgument(problems)
        answers = national.check_documents(self._reads, checks)
        return dedup_pb2.CheckDocumentsResponse(
            results=[
                dedup_pb2.CheckDocumentResponse(available=not held, holdings=[holding_to_pb(h) for h in held])
                for held in answers
            ]
        )

    @with_error_details
    def ReserveIdentity(self, request, context):
        national.admit(caller())
        r = national.reserve_identity(self._rt.uow_factory(), _reserve_command(request))
        return reservation_to_pb(r)

    def ReserveIdentities(self, request, context):
        national.admit(caller())
        national.check_identities_size(len(request.identities))  # before validating the items
        cmds, problems = [], []
        for i, item in enumerate(request.identities):
            try:
                cmds.append(_reserve_command(item))
            except InvalidArgument as exc:
                problems += [
                    FieldViolation(f"identities[{i}].{v.field}", v.description) for v in exc.violations
                ]
        if problems:
            raise InvalidArgument(problems)
        return dedup_pb2.ReserveIdentitiesResponse(
            results=[
                dedup_pb2.IdentityReservationResult(held_by=holding_to_pb(got))
                if isinstance(got, Holding)
                else dedup_pb2.IdentityReservationResult(reservation=reservation_to_pb(got))
                for got in national_reserve.reserve_identities(self._rt.uow_factory(), cmds)
            ]
        )

    @with_error_details
    def CommitReservation(self, request, context):
        national.admit(caller())
        _required(request, "reservation_id", "record_id")
        r = national.commit_reservation(
            self._rt.uow_factory(), request.reservation_id, request.record_id, request.national_student_number
        )
        return reservation_to_pb(r)

    def CommitReservations(self, request, context):
        national.admit(caller())
        national.check_commit_batch_size(len(request.reservations))  # before validating the items
        problems = [
            FieldViolation(f"reservations[{i}].{v.field}", v.description)
            for i, item in enumerate(request.reservations)
            for v in _missing(item, "reservation_id", "record_id")
        ]
        if problems:
            raise InvalidArgument(problems)
        items = [
            national.CommitItem(r.reservation_id, r.record_id, r.national_student_number)
            for r in request.reservations
        ]
        return dedup_pb2.CommitReservationsResponse(
            results=[
                dedup_pb2.CommitReservationResult(refused=_refusal(got))
                if isinstance(got, DomainError)
                else dedup_pb2.CommitReservationResult(reservation=reservation_to_pb(got))
                for got in national.commit_reservations(self._rt.uow_factory(), items)
            ]
        )

    @with_error_details
    def ReleaseReservation(self, request, context):
        national.admit(caller())
        _required(request, "reservation_id")
        return reservation_to_pb(
            national.release_reservation(self._rt.uow_factory(), request.reservation_id, request.reason)
        )

    def RegisterRecord(self, request, context):
        national.admit(caller())
        document_type, document_hash = _document(request)
        _required(request, "record_id")
        others = national.register_record(
            self._rt.uow_factory(),
            national.RegisterRecord(
                request.record_id,
                document_type,
                document_hash,
                request.application_id,
                request.province_code,
                request.school_code,
                request.national_student_number,
            ),
        )
        return dedup_pb2.RegisterRecordResponse(other_holdings=[holding_to_pb(h) for h in others])

    def UnregisterRecord(self, request, context):
        national.admit(caller())
        _required(request, "record_id")
        removed = national.unregister_record(self._rt.uow_factory(), request.record_id, request.reason)
        return dedup_pb2.UnregisterRecordResponse(removed=removed)

    def ReportProblemGroup(self, request, context):
        national.admit(caller())
        _required(request, "province_code")
        g = request.group
        problems = [
            FieldViolation(f"group.{n}", "不能为空") for n in ("group_id", "version") if not getattr(g, n)
        ]
        if g.resolver_level != common_pb2.ORG_UNIT_LEVEL_MINISTRY:
            problems.append(FieldViolation("group.resolver_level", "只接收跨省问题学籍（由教育部处理的组）"))
        try:
            group, actions = reported_group(g, request.province_code, self._rt.tree)
        except (ValueError, KeyError):
            problems.append(FieldViolation("group", "问题学籍组的类型、状态、证件类型或角色无效"))
        if problems:
            raise InvalidArgument(problems)
        applied = national.report_group(self._rt.uow_factory(), group, actions)
        return dedup_pb2.ReportProblemGroupResponse(applied=applied)

    def RaiseProblemGroup(self, request, context):
        national.admit(caller())
        problems = [
            FieldViolation(n, "不能为空") for n in ("match_key", "students") if not getattr(request, n)
        ]
        if request.match_key and not _HASH.fullmatch(request.match_key):
            problems.append(FieldViolation("match_key", "匹配键须为 64 位小写十六进制（HMAC-SHA256）"))
        problems += [
            FieldViolation(f"students[{i}].{name}", f"不能超过 {size} 个字符")
            for i, s in enumerate(request.students)
            for name, size in _STUDENT_SIZES.items()
            if len(getattr(s, name)) > size
        ]
        problems += [
            FieldViolation(f"students[{i}].document.number", "不能超过 40 个字符")
            for i, s in enumerate(request.students)
            if len(s.document.number) > 40
        ]
        try:
            kind = ProblemKind[events_pb2.ProblemKind.Name(request.kind).removeprefix("PROBLEM_KIND_")]
            students = [student_from_pb(s, self._rt.tree) for s in request.students]
        except (ValueError, KeyError):
            problems.append(FieldViolation("kind", "问题学籍类型、证件类型或学生状态无效"))
        if any(not s.record_id or not s.school_code or not s.province_code for s in request.students):
            problems.append(FieldViolation("students", "每条学籍须有学籍标识、学校代码和省份代码"))
        if problems:
            raise InvalidArgument(problems)
        group, changed = national_problems.raise_group(
            self._rt.uow_factory(),
            national_problems.RaiseGroup(kind, request.match_key, students, request.reason),
            tree=self._rt.tree,
        )
        return dedup_pb2.RaiseProblemGroupResponse(
            group_id=group.group_id, version=group.version, changed=changed
        )

    def RefreshProblemStudent(self, request, context):
        principal = caller()
        national.admit(principal)
        s = request.student
        problems = [
            FieldViolation(f"student.{name}", f"不能超过 {size} 个字符")
            for name, size in _STUDENT_SIZES.items()
            if len(getattr(s, name)) > size
        ]
        if len(s.document.number) > 40:
            problems.append(FieldViolation("student.document.number", "不能超过 40 个字符"))
        if request.request_id and not _UUID.fullmatch(request.request_id):
            problems.append(FieldViolation("request_id", "请求标识须为 UUID"))
        problems += [
            FieldViolation(f"student.{n}", "不能为空") for n in _REFRESH_REQUIRED if not getattr(s, n)
        ]
        if request.record_version < 0:
            problems.append(FieldViolation("record_version", "学籍版本不能为负数"))
        try:
            student = replace(student_from_pb(s, self._rt.tree), record_version=request.record_version)
        except (ValueError, KeyError):
            problems.append(FieldViolation("student", "证件类型或学生状态无效"))
        if problems:
            raise InvalidArgument(problems)
        group_ids, _changed = national_problems.refresh_student(
            self._rt.uow_factory(),
            national_problems.RefreshStudent(request.request_id, student),
            principal=principal,
            tree=self._rt.tree,
        )
        return dedup_pb2.RefreshProblemStudentResponse(group_ids=group_ids)

    def PullProblemEvents(self, request, context):
        province = national_problems.province_to_pull(caller(), self._rt.tree, request.province_code)
        rows = national_problems.pull(self._rt.uow_factory(), province, request.after_sequence, request.limit)
        return dedup_pb2.PullProblemEventsResponse(
            province_code=province,
            deliveries=[
                dedup_pb2.ProblemDelivery(
                    sequence=d.sequence,
                    event_id=d.event_id,
                    event_type=d.event_type,
                    payload=d.payload,
                    corrected_document_number=d.corrected_number,
                )
                for d in rows
            ],
        )

    def LoadRecordHoldings(self, request_iterator, context):
        national.admit(caller())
        types = {t.to_proto(): t.value for t in DocumentType}

        def batches():
            for b in request_iterator:
                try:
                    codes = [types[t] for t in b.document_types]
                except KeyError:
                    raise InvalidArgument(FieldViolation("document_types", "身份证件类型无效")) from None
                yield HoldingColumns(
                    list(b.record_ids),
                    codes,
                    list(b.document_hashes),
                    list(b.province_codes),
                    list(b.school_codes),
                    list(b.national_student_numbers),
                )

        written = bulk_holdings.load_holdings(self._rt.uow_factory(), batches())
        return dedup_pb2.LoadRecordHoldingsResponse(holdings_written=written)

    def ReserveStudentNumber(self, request, context):
        national.admit(caller())
        cmd = _number_command(request)
        number = national.reserve_student_number(self._rt.uow_factory(), cmd, self._rt.settings.hash_key)
        return dedup_pb2.StudentNumberReservation(
            national_student_number=number, kind=request.kind, owner_id=request.owner_id
        )

    def ReserveStudentNumbers(self, request, context):
        national.admit(caller())
        national_numbers.check_size(len(request.numbers))  # before validating 10,000 items one by one
        cmds, problems = [], []
        for i, item in enumerate(request.numbers):
            try:
                cmds.append(_number_command(item))
            except InvalidArgument as exc:
                problems += [FieldViolation(f"numbers[{i}].{v.field}", v.description) for v in exc.violations]
        if problems:
            raise InvalidArgument(problems)
        outcomes = national_numbers.reserve_student_numbers(
            self._rt.uow_factory(), cmds, self._rt.settings.hash_key
        )
        return dedup_pb2.ReserveStudentNumbersResponse(
            results=[_number_outcome(item, o) for item, o in zip(request.numbers, outcomes, strict=True)]
        )


def _number_outcome(item, outcome: national_numbers.NumberOutcome) -> dedup_pb2.StudentNumberOutcome:
    if outcome.refusal is not None:
        return dedup_pb2.StudentNumberOutcome(
            code=code_pb2.Code.Value(outcome.refusal.status), message=outcome.refusal.message
        )
    reservation = dedup_pb2.StudentNumberReservation(
        national_student_number=outcome.number, kind=item.kind, owner_id=item.owner_id
    )
    return dedup_pb2.StudentNumberOutcome(reservation=reservation, code=code_pb2.OK)


def _number_command(request) -> national.ReserveNumber:
    kind = _NUMBER_KINDS.get(request.kind)
    if kind is None:
        raise InvalidArgument(FieldViolation("kind", "学籍号类型无效"))
    _required(request, "owner_id")
    if len(request.owner_id) > _OWNER_ID_SIZE:
        raise InvalidArgument(FieldViolation("owner_id", f"不能超过 {_OWNER_ID_SIZE} 个字符"))
    if kind is NumberKind.FORMAL:
        try:
            doc = validate_document(DocumentType.RESIDENT_ID, request.resident_id_number)
        except DocumentError as exc:
            raise InvalidArgument(FieldViolation("resident_id_number", exc.message)) from None
        return national.ReserveNumber(kind, request.owner_id, resident_id=doc.number)
    problems = []
    try:
        check_division(request.division_code)
    except ValueError:
        problems.append(FieldViolation("division_code", "行政区划代码须为 6 位区县代码"))
    try:
        birth = date_from_pb(request.birth_date)
    except ValueError:
        birth = None
    if birth is None:
        problems.append(FieldViolation("birth_date", "出生日期不能为空或无效"))
    if problems:
        raise InvalidArgument(problems)
    return national.ReserveNumber(kind, request.owner_id, request.division_code, birth)
