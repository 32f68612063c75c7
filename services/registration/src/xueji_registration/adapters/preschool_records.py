"""The national preschool records (national-query `PreschoolRecords`) over gRPC.

Matching asks by document (type + number in clear) or, for a child without a number, by name +
gender + birth date. An unreachable national-query gives None (the transfer stays 匹配中) rather than
failing the registrar's add or import. One child is one MatchPreschoolRecord call; many children (an
import, a rematch) go 500 a call to MatchPreschoolRecords (issue 16 step 2), answered in the order
asked. A national-query without the batch call (UNIMPLEMENTED: not upgraded yet), or one refusing a
batch (INVALID_ARGUMENT: each child then gets its own outcome), is asked child by child, concurrently.
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
BATCH = 500  # children per MatchPreschoolRecords call (the contract's limit)
# A batch call's deadline grows with its children, as dedup's batch calls' do
# (services/dedup/src/xueji_dedup/adapters/peers.py::TIMEOUT_PER_ITEM_SECONDS): 500 get 10 s.
TIMEOUT_PER_ITEM_SECONDS = 0.010
ONE_BY_ONE = (grpc.StatusCode.UNIMPLEMENTED, grpc.StatusCode.INVALID_ARGUMENT)


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


def _answer(response: national_query_pb2.MatchPreschoolRecordResponse) -> MatchAnswer:
    return MatchAnswer(
        [candidate(c) for c in response.candidates],
        tuple(formal_record(h) for h in response.formal_records),
    )


def _in_threads(concurrency: int, call, items: list) -> list:
    """call(item) for each item, concurrently, each in a copy of the caller's context (taken here:
    its request id and trace go along)."""
    if len(items) == 1:
        return [call(items[0])]
    contexts = [contextvars.copy_context() for _ in items]
    with ThreadPoolExecutor(min(concurrency, len(items))) as pool:
        return list(pool.map(lambda ctx, item: ctx.run(call, item), contexts, items))


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
        failures: list[str] = []  # a code per child left unanswered

        def one(identity: Identity) -> MatchAnswer | None:
            try:
                response = stub.MatchPreschoolRecord(
                    _request(identity), metadata=metadata, timeout=TIMEOUT_SECONDS
                )
            except grpc.RpcError as exc:
                failures.append(exc.code().name)
                return None
            return _answer(response)

        def chunk(part: list[Identity]) -> list[MatchAnswer | None]:
            request = national_query_pb2.MatchPreschoolRecordsRequest(identities=[_request(i) for i in part])
            try:
                response = stub.MatchPreschoolRecords(
                    request,
                    metadata=metadata,
                    timeout=TIMEOUT_SECONDS + TIMEOUT_PER_ITEM_SECONDS * (len(part) - 1),
                )
            except grpc.RpcError as exc:
                if exc.code() in ONE_BY_ONE:
                    return _in_threads(self._concurrency, one, part)
                failures.extend([exc.code().name] * len(part))
                return [None] * len(part)
            if len(response.results) != len(part):  # not the contract's answer: ask child by child
                return _in_threads(self._concurrency, one, part)
            return [_answer(r) for r in response.results]

        if len(identities) == 1:
            answers = [one(identities[0])]
        else:
            parts = [identities[i : i + BATCH] for i in range(0, len(identities), BATCH)]
            answers = [a for part in _in_threads(self._concurrency, chunk, parts) for a in part]
        if failures:  # one line per batch, not per child (a rematch asks hundreds at once)
            log.warning(
                "preschool matching unavailable",
                extra={
                    "fields": {"code": failures[0], "unanswered": len(failures), "asked": len(identities)}
                },
            )
        return answers
