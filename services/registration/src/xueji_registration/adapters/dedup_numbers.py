"""The national student-number port over gRPC: dedup's national tier `Dedup.ReserveStudentNumber`, and
`Dedup.ReserveStudentNumbers` for the records of a batch (one call for up to 500)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence

import grpc
from google.rpc import code_pb2

from xueji.v1 import common_pb2, dedup_pb2, dedup_pb2_grpc
from xueji_registration.domain.records import NumberKind
from xueji_registration.service_layer.ports import NumberRefused, NumberRequest, NumberTaken

_KIND = {
    NumberKind.FORMAL: common_pb2.STUDENT_NUMBER_KIND_FORMAL,
    NumberKind.TEMPORARY: common_pb2.STUDENT_NUMBER_KIND_TEMPORARY,
}


class NumberServiceError(RuntimeError):
    """The national tier did not give a number (unreachable, refused): the caller retries later."""


class GrpcStudentNumbers:
    def __init__(
        self, channel: Callable[[], grpc.Channel], metadata: Callable[[], list], timeout: float = 10.0
    ):
        self._channel = channel
        self._metadata = metadata
        self._timeout = timeout

    def reserve(
        self,
        *,
        kind: NumberKind,
        owner_id: str,
        division_code: str,
        birth_date: dt.date,
        resident_id_number: str = "",
    ) -> str:
        request = _request(kind, owner_id, division_code, birth_date, resident_id_number)
        try:
            reply = dedup_pb2_grpc.DedupStub(self._channel()).ReserveStudentNumber(
                request, metadata=self._metadata(), timeout=self._timeout
            )
        except grpc.RpcError as exc:
            if exc.code() == grpc.StatusCode.ALREADY_EXISTS and kind is NumberKind.FORMAL:
                raise NumberTaken(owner_id) from None
            # Never include the request: it may carry the resident ID number in clear.
            raise NumberServiceError(f"ReserveStudentNumber failed: {exc.code().name}") from None
        return reply.national_student_number

    def reserve_many(self, requests: Sequence[NumberRequest]) -> list[str | None]:
        if not requests:
            return []
        request = dedup_pb2.ReserveStudentNumbersRequest(
            numbers=[
                _request(r.kind, r.owner_id, r.division_code, r.birth_date, r.resident_id_number)
                for r in requests
            ]
        )
        try:
            reply = dedup_pb2_grpc.DedupStub(self._channel()).ReserveStudentNumbers(
                request, metadata=self._metadata(), timeout=self._timeout
            )
        except grpc.RpcError as exc:
            if exc.code() == grpc.StatusCode.INVALID_ARGUMENT:  # an item's: one by one, it alone waits
                raise NumberRefused("学籍号预留请求无效") from None
            raise NumberServiceError(f"ReserveStudentNumbers failed: {exc.code().name}") from None
        out: list[str | None] = []
        for asked, result in zip(requests, reply.results, strict=True):
            if result.code == code_pb2.OK:
                out.append(result.reservation.national_student_number)
            elif result.code == code_pb2.ALREADY_EXISTS and asked.kind is NumberKind.FORMAL:
                out.append(None)  # NumberTaken: the caller asks an L number for this one
            else:  # this item only: the batch is handled one by one
                raise NumberRefused(f"学籍号预留被拒绝：{result.message}")
        return out


def _request(
    kind: NumberKind, owner_id: str, division_code: str, birth_date: dt.date, resident_id_number: str
) -> dedup_pb2.ReserveStudentNumberRequest:
    return dedup_pb2.ReserveStudentNumberRequest(
        kind=_KIND[kind],
        owner_id=owner_id,
        division_code=division_code,
        birth_date=common_pb2.Date(year=birth_date.year, month=birth_date.month, day=birth_date.day),
        resident_id_number=resident_id_number if kind is NumberKind.FORMAL else "",
    )


def from_runtime(runtime) -> GrpcStudentNumbers:
    return GrpcStudentNumbers(lambda: runtime.channel("dedup-national"), runtime.caller.metadata)
