"""gRPC clients of the peers the province tier calls: the national tier and the population register.

Both translate answers into domain values. A peer that cannot answer now (UNAVAILABLE,
DEADLINE_EXCEEDED, RESOURCE_EXHAUSTED) raises PeerUnavailable, which is not a DomainError: the event
handler fails, nothing is committed, and the bus delivers the event again later.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from types import SimpleNamespace

import grpc
from google.rpc import error_details_pb2
from grpc_status import rpc_status

from xueji.v1 import (
    common_pb2,
    dedup_pb2,
    dedup_pb2_grpc,
    events_pb2,
    population_register_pb2,
    population_register_pb2_grpc,
    registration_pb2,
    registration_pb2_grpc,
)
from xueji_common import paging
from xueji_common.documents import DocumentType
from xueji_common.grpcserver.convert import date_to_pb
from xueji_common.grpcserver.errors import field_violations
from xueji_dedup.adapters.problem_messages import group_to_pb, reported_group, student_to_pb
from xueji_dedup.domain.checks import Holding, HoldingKind
from xueji_dedup.domain.problems import ProblemGroup, ProblemKind, ProblemStudent
from xueji_dedup.service_layer.ports import ClearNumber as ClearNumber  # the ports' values and errors,
from xueji_dedup.service_layer.ports import CommitAsked, Committed, Identity, ToReserve
from xueji_dedup.service_layer.ports import PeerRefused as PeerRefused  # raised and returned here
from xueji_dedup.service_layer.ports import PeerUnavailable as PeerUnavailable  # (importable from here)
from xueji_dedup.service_layer.unit_of_work import Delivery

RETRYABLE = (
    grpc.StatusCode.UNAVAILABLE,
    grpc.StatusCode.DEADLINE_EXCEEDED,
    grpc.StatusCode.RESOURCE_EXHAUSTED,
)
TIMEOUT_SECONDS = 5.0
BATCH = 500  # items per batch call (the contracts' limit)
# A batch call's deadline grows with its items: 500 items get 5 s + 500 x 10 ms = 10 s. A correct
# batch that the single call's deadline would cut off (DEADLINE_EXCEEDED) is retried whole and then
# handled one event at a time: slower, never faster, under load (issue 16).
TIMEOUT_PER_ITEM_SECONDS = 0.010


def _call(rpc, request, metadata, items: int = 1):
    """The call with its deadline: the single call's, plus TIMEOUT_PER_ITEM_SECONDS per item of a batch."""
    timeout = TIMEOUT_SECONDS + TIMEOUT_PER_ITEM_SECONDS * max(items - 1, 0)
    try:
        return rpc(request, metadata=metadata, timeout=timeout)
    except grpc.RpcError as exc:
        if exc.code() in RETRYABLE:
            raise PeerUnavailable(exc.code().name) from None
        raise


def holding_from_pb(h: dedup_pb2.DocumentHolding) -> Holding:
    kind = HoldingKind.RECORD if h.kind == dedup_pb2.HOLDING_KIND_RECORD else HoldingKind.RESERVATION
    return Holding(
        kind, h.holder_id, h.province_code, h.school_code, h.national_student_number, h.application_id
    )


def holding_from_error(exc: grpc.RpcError) -> Holding:
    """The holder named by an ALREADY_EXISTS answer of ReserveIdentity (google.rpc.ErrorInfo)."""
    status = rpc_status.from_call(exc)
    for detail in status.details if status else ():
        if detail.Is(error_details_pb2.ErrorInfo.DESCRIPTOR):
            info = error_details_pb2.ErrorInfo()
            detail.Unpack(info)
            m = info.metadata
            return Holding(
                HoldingKind(m["holder_kind"]),
                m.get("holder_id", ""),
                m.get("province_code", ""),
                m.get("school_code", ""),
                m.get("national_student_number", ""),
                m.get("application_id", ""),
            )
    return Holding(HoldingKind.RESERVATION, "", "", "")


class NationalTier:
    """The national Dedup surface, as the province tier uses it."""

    def __init__(self, channel: grpc.Channel, metadata) -> None:
        self._stub = dedup_pb2_grpc.DedupStub(channel)
        self._metadata = metadata

    def check(self, document_type: str, document_hash: str, application_id: str = "") -> list[Holding]:
        response = _call(
            self._stub.CheckDocument,
            dedup_pb2.CheckDocumentRequest(
                document_type=DocumentType(document_type).to_proto(),
                document_hash=document_hash,
                application_id=application_id,
            ),
            self._metadata(),
        )
        return [holding_from_pb(h) for h in response.holdings]

    def reserve(
        self,
        document_type: str,
        document_hash: str,
        application_id: str,
        province_code: str,
        school_code: str,
    ) -> str | Holding:
        """The reservation id, or the Holding that keeps the document from this application."""
        try:
            r = _call(
                self._stub.ReserveIdentity,
                dedup_pb2.ReserveIdentityRequest(
                    document_type=DocumentType(document_type).to_proto(),
                    document_hash=document_hash,
                    application_id=application_id,
                    province_code=province_code,
                    school_code=school_code,
                ),
                self._metadata(),
            )
        except grpc.RpcError as exc:
            if exc.code() == grpc.StatusCode.ALREADY_EXISTS:
                return holding_from_error(exc)
            raise PeerRefused(exc.code(), exc.details()) from None
        return r.reservation_id

    def reserve_many(self, items: Sequence[ToReserve]) -> list[str | Holding]:
        """`reserve` of each, BATCH a call (ReserveIdentities), answered in the order asked (one by one
        from a national tier without the batch call: UNIMPLEMENTED, e.g. during a rolling upgrade)."""
        out: list[str | Holding] = []
        for chunk in _chunks(items):
            try:
                r = _call(
                    self._stub.ReserveIdentities,
                    dedup_pb2.ReserveIdentitiesRequest(
                        identities=[
                            dedup_pb2.ReserveIdentityRequest(
                                document_type=DocumentType(i.document_type).to_proto(),
                                document_hash=i.document_hash,
                                application_id=i.application_id,
                                province_code=i.province_code,
                                school_code=i.school_code,
                            )
                            for i in chunk
                        ]
                    ),
                    self._metadata(),
                    len(chunk),
                )
            except grpc.RpcError as exc:
                if exc.code() == grpc.StatusCode.UNIMPLEMENTED:  # a national tier of before the batch call
                    out += [self.reserve(*i) for i in chunk]
                    continue
                raise PeerRefused(exc.code(), exc.details()) from None
            out += [
                holding_from_pb(x.held_by) if x.HasField("held_by") else x.reservation.reservation_id
                for x in r.results
            ]
        return out

    def commit(self, reservation_id: str, record_id: str, national_student_number: str) -> None:
        """PeerRefused when the reservation is gone, released, expired or another record's (the
        port's promise: the record then registers its holding without it)."""
        try:
            _call(
                self._stub.CommitReservation,
                dedup_pb2.CommitReservationRequest(
                    reservation_id=reservation_id,
                    record_id=record_id,
                    national_student_number=national_student_number,
                ),
                self._metadata(),
            )
        except grpc.RpcError as exc:
            if exc.code() in (grpc.StatusCode.NOT_FOUND, grpc.StatusCode.FAILED_PRECONDITION):
                raise PeerRefused(exc.code(), exc.details()) from None
            raise

    def commit_each(self, asked: list[CommitAsked]) -> list[Committed | None]:
        if not asked:
            return []
        response = _call(
            self._stub.CommitReservations,
            dedup_pb2.CommitReservationsRequest(
                reservations=[dedup_pb2.CommitReservationRequest(**a._asdict()) for a in asked]
            ),
            self._metadata(),
            len(asked),
        )
        return [
            Committed(
                DocumentType.from_proto(r.reservation.document_type).value,
                r.reservation.document_hash,
                r.reservation.application_id,
                r.reservation.province_code,
                r.reservation.school_code,
            )
            if r.WhichOneof("outcome") == "reservation"
            else None
            for r in response.results
        ]

    def check_each(self, documents: list[tuple[str, str, str]]) -> list[list[Holding]]:
        if not documents:
            return []
        response = _call(
            self._stub.CheckDocuments,
            dedup_pb2.CheckDocumentsRequest(
                documents=[
                    dedup_pb2.CheckDocumentRequest(
                        document_type=DocumentType(t).to_proto(), document_hash=h, application_id=a
                    )
                    for t, h, a in documents
                ]
            ),
            self._metadata(),
            len(documents),
        )
        return [[holding_from_pb(h) for h in result.holdings] for result in response.results]

    def release(self, reservation_id: str, reason: str) -> None:
        """Idempotent; a reservation that is gone or already committed is left as it is."""
        try:
            _call(
                self._stub.ReleaseReservation,
                dedup_pb2.ReleaseReservationRequest(reservation_id=reservation_id, reason=reason),
                self._metadata(),
            )
        except grpc.RpcError as exc:
            if exc.code() not in (grpc.StatusCode.NOT_FOUND, grpc.StatusCode.FAILED_PRECONDITION):
                raise

    def register_record(self, **values) -> list[Holding]:
        values["document_type"] = DocumentType(values["document_type"]).to_proto()
        response = _call(
            self._stub.RegisterRecord, dedup_pb2.RegisterRecordRequest(**values), self._metadata()
        )
        return [holding_from_pb(h) for h in response.other_holdings]

    def unregister_record(self, record_id: str, reason: str) -> bool:
        """Idempotent: the record's holding is gone afterwards (True when this call removed it)."""
        return _call(
            self._stub.UnregisterRecord,
            dedup_pb2.UnregisterRecordRequest(record_id=record_id, reason=reason),
            self._metadata(),
        ).removed

    def rekey_formal_number(self, owner_id: str, number: str) -> None:
        """After a hash-key rotation: the owner's G number (in clear, never kept) keyed anew, through
        ReserveStudentNumber (idempotent). PeerRefused when the national tier refuses it."""
        try:
            _call(
                self._stub.ReserveStudentNumber,
                dedup_pb2.ReserveStudentNumberRequest(
                    kind=common_pb2.STUDENT_NUMBER_KIND_FORMAL,
                    owner_id=owner_id,
                    resident_id_number=number[1:],
                ),
                self._metadata(),
            )
        except grpc.RpcError as exc:
            raise PeerRefused(exc.code(), exc.details()) from None

    def report_group(self, group: ProblemGroup, actions: Sequence[object], tree, province_code: str) -> bool:
        """A cross-province group and its history (audit rows) for the ministry's view; True when the
        national tier took this version."""
        return _call(
            self._stub.ReportProblemGroup,
            dedup_pb2.ReportProblemGroupRequest(
                group=group_to_pb(group, tree, actions), province_code=province_code
            ),
            self._metadata(),
        ).applied

    def raise_group(
        self, kind: ProblemKind, match_key: str, students: list[ProblemStudent], reason: str, tree
    ) -> str:
        """A cross-province group raised at its home (idempotent); returns its id."""
        return _call(
            self._stub.RaiseProblemGroup,
            dedup_pb2.RaiseProblemGroupRequest(
                kind=events_pb2.ProblemKind.Value("PROBLEM_KIND_" + kind.name),
                match_key=match_key,
                students=[student_to_pb(s, tree, with_application=True) for s in students],
                reason=reason,
            ),
            self._metadata(),
        ).group_id

    def refresh_student(self, student: ProblemStudent, request_id: str, tree) -> list[str]:
        """The record's new key data into the national groups holding it (numbers masked)."""
        answer = _call(
            self._stub.RefreshProblemStudent,
            dedup_pb2.RefreshProblemStudentRequest(
                request_id=request_id,
                student=student_to_pb(student, tree),
                record_version=student.record_version,
            ),
            self._metadata(),
        )
        return list(answer.group_ids)

    def pull(self, province_code: str, after_sequence: int, limit: int) -> tuple[str, list[Delivery]]:
        """(the province pulled, its deliveries after the sequence)."""
        r = _call(
            self._stub.PullProblemEvents,
            dedup_pb2.PullProblemEventsRequest(
                province_code=province_code, after_sequence=after_sequence, limit=limit
            ),
            self._metadata(),
        )
        return r.province_code, [
            Delivery(d.sequence, d.event_id, d.event_type, d.payload, d.corrected_document_number)
            for d in r.deliveries
        ]


class NationalProblems:
    """The national tier's ProblemRecords, read only, as a province forwards its callers' reads of
    cross-province groups there (called as this service; the province checks the caller's reach)."""

    def __init__(self, channel: grpc.Channel, metadata, tree) -> None:
        self._stub = dedup_pb2_grpc.ProblemRecordsStub(channel)
        self._metadata, self._tree = metadata, tree

    def get(self, group_id: str) -> tuple[ProblemGroup, list, list] | None:
        try:
            message = _call(
                self._stub.GetProblemGroup,
                dedup_pb2.GetProblemGroupRequest(group_id=group_id),
                self._metadata(),
            )
        except grpc.RpcError as exc:
            if exc.code() in (grpc.StatusCode.NOT_FOUND, grpc.StatusCode.INVALID_ARGUMENT):
                return None
            raise
        group, actions = reported_group(message, "", self._tree)
        proofs = [
            SimpleNamespace(
                file_id=f.file_id,
                file_name=f.file_name,
                content_type=f.content_type,
                size_bytes=f.size_bytes,
                action_time=a["time"],
            )
            for a, m in zip(actions, message.history)
            for f in m.proof_files
        ]
        return group, [SimpleNamespace(**a) for a in actions], proofs

    def list(self, q, unit_code: str, offset: int, limit: int) -> tuple[list[ProblemGroup], int]:
        request = dedup_pb2.ListProblemGroupsRequest(
            org_unit_code=unit_code,
            kinds=[events_pb2.ProblemKind.Value("PROBLEM_KIND_" + k.name) for k in q.kinds],
            statuses=[
                dedup_pb2.ProblemGroupStatus.Value("PROBLEM_GROUP_STATUS_" + s.name) for s in q.statuses
            ],
            resolver_level=q.resolver_level,
            name=q.name,
            national_student_number=q.national_student_number,
            province_code=q.province_code,
            page_size=limit,
        )
        request.page_token = paging.encode(offset, paging.binding(request))  # this query's token at `offset`
        r = _call(self._stub.ListProblemGroups, request, self._metadata())
        return [reported_group(g, "", self._tree)[0] for g in r.groups], r.total_size


class PopulationRegister:
    """The population register (基础数据库) behind its gRPC contract."""

    def __init__(self, channel: grpc.Channel, metadata) -> None:
        self._stub = population_register_pb2_grpc.PopulationRegisterStub(channel)
        self._metadata = metadata

    def verify(self, name: str, gender: int, birth_date: dt.date | None, resident_id: str) -> str:
        """ "" when the identity matches, else the reason code (NOT_FOUND, NAME_MISMATCH...)."""
        try:
            r = _call(
                self._stub.VerifyIdentity,
                population_register_pb2.VerifyIdentityRequest(
                    name=name,
                    gender=gender,
                    birth_date=date_to_pb(birth_date),
                    resident_id_number=resident_id,
                ),
                self._metadata(),
            )
        except grpc.RpcError as exc:
            if exc.code() == grpc.StatusCode.INVALID_ARGUMENT:
                return "NOT_FOUND"  # not a valid resident ID number: it cannot exist in the register
            raise PeerRefused(exc.code(), exc.details()) from None
        return _reason(r)

    def verify_many(self, identities: Sequence[Identity]) -> list[str]:
        """`verify` of each, BATCH a call (VerifyIdentities). An identity the register refuses as
        invalid (INVALID_ARGUMENT naming identities[i]) is NOT_FOUND, as `verify` answers it: the
        others are asked again without it. A register without the batch call (UNIMPLEMENTED) is asked
        one by one."""
        out: list[str] = []
        for chunk in _chunks(identities):
            out += self._verify_chunk(list(chunk))
        return out

    def _verify_chunk(self, chunk: list[Identity]) -> list[str]:
        answers: dict[int, str] = {}
        asked = list(range(len(chunk)))
        while asked:
            try:
                r = _call(
                    self._stub.VerifyIdentities,
                    population_register_pb2.VerifyIdentitiesRequest(
                        identities=[_identity_pb(chunk[i]) for i in asked]
                    ),
                    self._metadata(),
                    len(asked),
                )
            except grpc.RpcError as exc:
                if exc.code() == grpc.StatusCode.UNIMPLEMENTED:
                    return [self.verify(*i) for i in chunk]
                invalid = {
                    n
                    for n in (
                        _invalid_items(exc, "identities")
                        if exc.code() == grpc.StatusCode.INVALID_ARGUMENT
                        else ()
                    )
                    if n < len(asked)
                }
                if not invalid:
                    raise PeerRefused(exc.code(), exc.details()) from None
                answers.update({asked[n]: "NOT_FOUND" for n in invalid})
                asked = [i for n, i in enumerate(asked) if n not in invalid]
                continue
            answers.update({i: _reason(x) for i, x in zip(asked, r.results)})
            break
        return [answers[i] for i in range(len(chunk))]


def _identity_pb(i: Identity) -> population_register_pb2.VerifyIdentityRequest:
    return population_register_pb2.VerifyIdentityRequest(
        name=i.name, gender=i.gender, birth_date=date_to_pb(i.birth_date), resident_id_number=i.resident_id
    )


def _reason(r: population_register_pb2.VerifyIdentityResponse) -> str:
    if r.matches:
        return ""
    name = population_register_pb2.IdentityVerificationReason.Name(r.reason)
    return name.removeprefix("IDENTITY_VERIFICATION_REASON_") if r.reason else "NOT_FOUND"


def _invalid_items(exc: grpc.RpcError, field: str) -> set[int]:
    """The item indexes an INVALID_ARGUMENT names (google.rpc.BadRequest `field[i].x`)."""
    found = set()
    for name, _ in field_violations(exc):
        m = re.match(rf"{field}\[(\d+)\]", name)
        if m:
            found.add(int(m.group(1)))
    return found


def _chunks(items: Sequence, size: int = BATCH) -> list[Sequence]:
    return [items[i : i + size] for i in range(0, len(items), size)]


class Registration:
    """The owner of the document numbers (Registrations/GetDocumentNumber): events carry only the
    keyed hash and the masked number, so the number the register's check needs is asked for here,
    used at once and never kept or logged. None when registration has no such application/record."""

    def __init__(self, channel: grpc.Channel, metadata) -> None:
        self._stub = registration_pb2_grpc.RegistrationsStub(channel)
        self._metadata = metadata

    def application_number(self, application_id: str) -> ClearNumber | None:
        return self._get(registration_pb2.GetDocumentNumberRequest(application_id=application_id))

    def application_numbers(self, application_ids: Sequence[str]) -> dict[str, ClearNumber]:
        """`application_number` of each, BATCH a call (GetDocumentNumbers); missing ones left out (one
        by one from a registration without the batch call: UNIMPLEMENTED)."""
        out: dict[str, ClearNumber] = {}
        for chunk in _chunks(list(dict.fromkeys(application_ids))):
            try:
                r = _call(
                    self._stub.GetDocumentNumbers,
                    registration_pb2.GetDocumentNumbersRequest(application_ids=chunk),
                    self._metadata(),
                    len(chunk),
                )
            except grpc.RpcError as exc:
                if exc.code() == grpc.StatusCode.UNIMPLEMENTED:  # a registration of before the batch call
                    out.update({a: n for a in chunk if (n := self.application_number(a)) is not None})
                    continue
                raise PeerRefused(exc.code(), exc.details()) from None
            out.update(
                {
                    x.application_id: ClearNumber(
                        x.number.document.number, x.number.revision, x.number.version
                    )
                    for x in r.results
                    if x.found
                }
            )
        return out

    def record_number(self, record_id: str) -> ClearNumber | None:
        return self._get(registration_pb2.GetDocumentNumberRequest(record_id=record_id))

    def _get(self, request) -> ClearNumber | None:
        try:
            r = _call(self._stub.GetDocumentNumber, request, self._metadata())
        except grpc.RpcError as exc:
            if exc.code() == grpc.StatusCode.NOT_FOUND:
                return None
            raise PeerRefused(exc.code(), exc.details()) from None
        return ClearNumber(r.document.number, r.revision, r.version)


class Peers:
    """The peers of one runtime, reached at `XUEJI_PEER_DEDUP_NATIONAL`, `XUEJI_PEER_POPULATION_REGISTER`
    and `XUEJI_PEER_REGISTRATION` (default: this process's own address)."""

    def __init__(self, runtime) -> None:
        self.national = NationalTier(runtime.channel("dedup-national"), runtime.caller.metadata)
        # A province tier whose national tier is another process forwards reads of the groups held
        # there; one process playing both (the embedded mode) holds them itself.
        remote = runtime.settings.scope == "province" and runtime.settings.peers.get(
            "dedup-national", ""
        ) not in ("", runtime.settings.grpc_address)
        self.national_problems = (
            NationalProblems(runtime.channel("dedup-national"), runtime.caller.metadata, runtime.tree)
            if remote
            else None
        )
        self.register = PopulationRegister(runtime.channel("population-register"), runtime.caller.metadata)
        self.registration = Registration(runtime.channel("registration"), runtime.caller.metadata)
