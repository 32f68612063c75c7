"""The national preschool records (national-query `PreschoolRecords.MatchPreschoolRecord`) over gRPC.

Matching asks by document (type + number in clear) or, for a child without a number, by name +
gender + birth date. An unreachable national-query gives None (the transfer stays 匹配中) rather than
failing the registrar's add or import. Many children are asked concurrently (an import).
"""

from __future__ import annotations

import contextvars
import logging
from concurrent.futures import ThreadPoolExecutor

import grpc

from xueji.v1 import common_pb2, national_query_pb2, national_query_pb2_grpc
from xueji_common.grpcserver.convert import date_from_pb, date_to_pb
from xueji_registration.domain.identity import Identity
from xueji_registration.domain.preschool import Candidate, FormalRecord, MatchAnswer

log = logging.getLogger(__name__)
TIMEOUT_SECONDS = 5


def _request(identity: Identity) -> national_query_pb2.MatchPreschoolRecordRequest:
    doc = identity.document
    if doc.number:
        return national_query_pb2.MatchPreschoolRecordRequest(
            document=common_pb2.IdentityDocument(type=doc.type.to_proto(), number=doc.number)
        )
    return national_query_pb2.MatchPreschoolRecordRequest(
        person=national_query_pb2.PersonKey(
            name=identity.name, gender=int(identity.gender), birth_date=date_to_pb(identity.birth_date)
        )
    )


def candidate(c: common_pb2.PreschoolRecordCandidate) -> Candidate:
    return Candidate(
        record_id=c.record_id,
        national_student_number=c.national_student_number,
        name=c.name,
        gender=c.gender,
        birth_date=date_from_pb(c.birth_date),
        document_type=c.document.type,
        document_number_masked=c.document.number,
        kindergarten_code=c.kindergarten_code,
        kindergarten_name=c.kindergarten_name,
        province_code=c.province_code,
        problem_record=c.problem_record,
    )


def formal_record(h: common_pb2.FormalRecordHolder) -> FormalRecord:
    return FormalRecord(
        national_student_number_masked=h.national_student_number,
        school_code=h.school_code,
        school_name=h.school_name,
        province_code=h.province_code,
    )


class PreschoolRecords:
    """`match(identities)` → per child the candidates and the formal records of its number
    (MatchAnswer), or None when national-query did not answer."""

    def __init__(self, runtime, concurrency: int = 16) -> None:
        self._runtime = runtime
        self._concurrency = concurrency

    def match(self, identities: list[Identity]) -> list[MatchAnswer | None]:
        if not identities:
            return []
        stub = national_query_pb2_grpc.PreschoolRecordsStub(self._runtime.channel("national-query"))
        metadata = self._runtime.caller.metadata()

        failures: list[str] = []

        def one(identity: Identity) -> MatchAnswer | None:
            try:
                response = stub.MatchPreschoolRecord(
                    _request(identity), metadata=metadata, timeout=TIMEOUT_SECONDS
                )
            except grpc.RpcError as exc:
                failures.append(exc.code().name)
                return None
            return MatchAnswer(
                [candidate(c) for c in response.candidates],
                tuple(formal_record(h) for h in response.formal_records),
            )

        if len(identities) == 1:
            answers = [one(identities[0])]
        else:
            with ThreadPoolExecutor(min(self._concurrency, len(identities))) as pool:
                # each call in a copy of the caller's context (taken here): its request id and trace go along
                contexts = [contextvars.copy_context() for _ in identities]
                answers = list(pool.map(lambda ctx, i: ctx.run(one, i), contexts, identities))
        if failures:  # one line per batch, not per child (a rematch asks hundreds at once)
            log.warning(
                "preschool matching unavailable",
                extra={
                    "fields": {"code": failures[0], "unanswered": len(failures), "asked": len(identities)}
                },
            )
        return answers
