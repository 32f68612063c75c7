"""The loaded records' holdings sent to the national dedup while the load runs (Dedup.LoadRecordHoldings).

One client stream for the whole load: `add` hands each batch of parsed rows over (built as columns).
Left out: rows without a document number (they hold nothing) and preschool records (学前学籍): a child's
preschool record is what the freshman registration starts from (preschool transfer, manual chapter
4), not an enrolment that would make the registration a duplicate. gRPC sends it from its own thread
while the next rows are parsed; `finish` ends the stream, and the national dedup commits every
holding at once; `abort` cancels it, and the national dedup keeps nothing. National-query commits
its own rows only after the dedup answered (see bulk_load): a load that fails anywhere leaves no
holder behind.
"""

from __future__ import annotations

import queue

import grpc

from xueji.v1 import dedup_pb2, dedup_pb2_grpc
from xueji_common.documents import DocumentType, mask_document_number
from xueji_common.errors import FieldViolation, InvalidArgument, Unavailable
from xueji_national_query.domain.vocabulary import Stage

_TYPES = {t.value: t.to_proto() for t in DocumentType}
_PRESCHOOL = Stage.PRESCHOOL.value
_WAIT = 0.5  # seconds between looks at a stream that may have failed while the queue is full


class DedupHoldingsFeed:
    def __init__(self, channel: grpc.Channel, metadata) -> None:
        self._queue: queue.Queue = queue.Queue(maxsize=16)
        self._ended = False
        self._call = dedup_pb2_grpc.DedupStub(channel).LoadRecordHoldings.future(
            self._requests(), metadata=metadata
        )

    def _requests(self):
        while (batch := self._queue.get()) is not None:
            yield batch

    def add(self, rows: list[tuple]) -> None:
        """Rows in RowParser.ROW_FIELDS order: record id 0, number 1, type 6, hash 7, province 9, school 10,
        stage 12."""
        held = [r for r in rows if r[7] and r[12] != _PRESCHOOL]
        b = dedup_pb2.RecordHoldingBatch()
        if held:
            ids, numbers, _, _, _, _, types, hashes, _, provinces, schools = list(zip(*held))[
                :11
            ]  # columns, in C
            b.record_ids.extend(ids)
            b.document_types.extend(map(_TYPES.__getitem__, types))
            b.document_hashes.extend(hashes)
            b.province_codes.extend(provinces)
            b.school_codes.extend(schools)
            b.national_student_numbers.extend([_masked(n) for n in numbers])
        while True:
            if self._call.done():
                self._raise()
            try:
                self._queue.put(b, timeout=_WAIT)
                return
            except queue.Full:
                continue

    def end(self) -> None:
        """No more batches: the national dedup writes its indexes and commits meanwhile (see finish)."""
        self._ended = True
        self._queue.put(None)

    def finish(self) -> int:
        """Waits for the national dedup's answer (ends the stream first if `end` was not called)."""
        if not self._ended:
            self.end()
        try:
            return self._call.result().holdings_written
        except grpc.RpcError:
            self._raise()

    def abort(self, failure: BaseException) -> None:
        self._call.cancel()

    def _raise(self):
        try:
            self._call.result()
        except grpc.RpcError as exc:
            if exc.code() == grpc.StatusCode.INVALID_ARGUMENT:
                raise InvalidArgument(
                    FieldViolation("chunk", f"全国查重服务拒绝了证件号占用数据：{exc.details()}")
                ) from None
            raise Unavailable("全国查重服务暂时无法访问，导入未完成（未写入任何数据），请稍后重试") from None
        raise Unavailable("全国查重服务提前结束了导入，导入未完成（未写入任何数据），请稍后重试")


def _masked(number: str) -> str:
    """A G number contains the resident ID: masked like one (mask_document_number)."""
    return mask_document_number(number) if number[0] == "G" else number


def dedup_feed(runtime) -> DedupHoldingsFeed:
    """The feed to the national dedup of this runtime's peers (XUEJI_PEER_DEDUP_NATIONAL)."""
    return DedupHoldingsFeed(runtime.channel("dedup-national"), runtime.caller.metadata())
