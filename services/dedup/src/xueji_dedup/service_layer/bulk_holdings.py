"""The nation's existing records as holders (LoadRecordHoldings): a bulk load of their holdings.

Sent by `xueji national-query load` while it loads the same file, so every existing record holds
its document here exactly like a record created later (docs/DOMAIN.md#existing-national-records):
an HMT/foreign number held by one fails national dedup, a resident ID held by one makes a
cross-province problem record. One transaction for the whole load: the stream's end commits it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from xueji_common.db.engine import now
from xueji_common.errors import FieldViolation, InvalidArgument
from xueji_dedup.service_layer.unit_of_work import DedupUoW

_HASH = re.compile(r"[0-9a-f]{64}")
_SAFE = re.compile(r"[^\t\n\r\\]*")  # the COPY text of the writer needs no escaping


@dataclass(frozen=True)
class HoldingColumns:
    record_ids: list[str]
    document_types: list[str]  # JY/T codes
    document_hashes: list[str]
    province_codes: list[str]
    school_codes: list[str]
    national_student_numbers: list[str]  # masked

    def check(self, batch_number: int) -> None:
        """INVALID_ARGUMENT naming the batch and column; nothing of the load is kept then."""
        where = f"batches[{batch_number}]"
        columns = dict(self.__dict__)
        if len({len(c) for c in columns.values()}) > 1:
            raise InvalidArgument(FieldViolation(where, "各列的条数不一致"))
        problems = []
        if any(not _HASH.fullmatch(h) for h in self.document_hashes):
            problems.append(FieldViolation(f"{where}.document_hashes", "证件号摘要应为64位十六进制"))
        for name in ("record_ids", "province_codes", "school_codes", "national_student_numbers"):
            values = columns[name]
            if not _SAFE.fullmatch("".join(values)) or (name != "school_codes" and not all(values)):
                problems.append(
                    FieldViolation(f"{where}.{name}", "不能为空，也不能包含制表符、换行符或反斜杠")
                )
        if (
            any(len(i) > 64 for i in self.record_ids)
            or any(len(s) > 10 for s in self.school_codes)
            or any(len(p) > 6 for p in self.province_codes)
            or any(len(n) > 19 for n in self.national_student_numbers)
        ):
            problems.append(FieldViolation(where, "记录标识、省份代码、学校标识码或学籍号过长"))
        if problems:
            raise InvalidArgument(problems)


def load_holdings(uow: DedupUoW, batches: Iterable[HoldingColumns]) -> int:
    """Every batch written in one transaction; the number of holdings written."""
    with uow:
        writer = uow.holdings_writer(now())
        try:
            for number, batch in enumerate(batches):
                batch.check(number)
                writer.add(
                    (
                        batch.record_ids,
                        batch.document_types,
                        batch.document_hashes,
                        batch.province_codes,
                        batch.school_codes,
                        batch.national_student_numbers,
                    )
                )
        except BaseException as exc:
            writer.abort(exc)
            raise
        written = writer.finish()
        uow.commit()
    return written
