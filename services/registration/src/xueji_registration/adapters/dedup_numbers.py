"""The national student-number port over gRPC: dedup's national tier `Dedup.ReserveStudentNumber`."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import grpc

from xueji.v1 import common_pb2, dedup_pb2, dedup_pb2_grpc
from xueji_registration.domain.records import NumberKind
from xueji_registration.service_layer.ports import NumberTaken

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
        request = dedup_pb2.ReserveStudentNumberRequest(
            kind=_KIND[kind],
            owner_id=owner_id,
            division_code=division_code,
            birth_date=common_pb2.Date(year=birth_date.year, month=birth_date.month, day=birth_date.day),
            resident_id_number=resident_id_number if kind is NumberKind.FORMAL else "",
        )
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


def from_runtime(runtime) -> GrpcStudentNumbers:
    return GrpcStudentNumbers(lambda: runtime.channel("dedup-national"), runtime.caller.metadata)
