"""Bulk load of existing national records (a new deployment): check every row, load the good ones
in one transaction, report the bad ones (row number, column, reason)."""

from __future__ import annotations

import csv
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from xueji_common.auth import Principal, Role
from xueji_common.authz import authorize
from xueji_common.errors import FieldViolation, InvalidArgument, PermissionDenied
from xueji_common.orgunits import MINISTRY_CODE
from xueji_national_query.adapters import load_files
from xueji_national_query.domain.doc_hash import hasher
from xueji_national_query.domain.load_rows import HeaderError, RowParser, RowProblem, column_positions
from xueji_national_query.domain.vocabulary import PROVINCES
from xueji_national_query.service_layer.unit_of_work import (
    HoldingsFeed,
    LoadedRow,
    NationalQueryUoW,
    RowWriter,
)


def admit(principal: Principal | None) -> None:
    """Who may load: the system role and the ministry's registrars. The servicer calls it before it
    reads the uploaded file."""
    principal = authorize(principal, (Role.SYSTEM, Role.DEPARTMENT_REGISTRAR))
    if principal.role == Role.DEPARTMENT_REGISTRAR and principal.org_unit != MINISTRY_CODE:
        raise PermissionDenied("只有教育部的学籍管理员可以导入全国学籍数据")


MAX_ERRORS = 1000
# Rows handed to the writer at a time: small enough that PostgreSQL stores one while the next are
# parsed (a COPY write of ~250 kB), large enough that the per-write cost does not count.
BATCH = 2_000
PROGRESS_EVERY = 20_000  # rows read between two progress reports
Progress = Callable[[int, int], None]  # (rows read, estimated rows)


@dataclass
class LoadReport:
    load_id: str
    rows_total: int = 0
    rows_inserted: int = 0
    rows_updated: int = 0
    rows_failed: int = 0
    errors: list[RowProblem] = field(default_factory=list)
    errors_truncated: bool = False


def bulk_load(
    uow: NationalQueryUoW,
    path: Path,
    fmt: str,
    province_code: str = "",
    progress: Progress | None = None,
    holdings: Callable[[], HoldingsFeed] | None = None,
) -> LoadReport:
    """`holdings` opens the feed of the national dedup's holdings (adapters.holdings_feed): every good
    row goes to both stores from the one pass over the file. The dedup commits first (when its stream
    ends), then this store: a failure while reading or writing leaves nothing in both; a failure of
    this store's index build or commit after the dedup committed (unlikely: the rows were checked)
    leaves holders without lookup rows, which loading the file again repairs (both sides upsert by
    record id)."""
    if province_code and province_code not in PROVINCES:
        raise InvalidArgument(
            FieldViolation("header.province_code", "省份代码无效（应为6位省级行政区划代码）")
        )
    try:
        header, rows, estimate = load_files.open_rows(path, fmt)
        positions = column_positions(header, bool(province_code))
    except load_files.UnreadableFile as exc:
        raise InvalidArgument(FieldViolation("chunk", str(exc))) from None
    except HeaderError as exc:
        raise InvalidArgument(FieldViolation("chunk", str(exc))) from None
    parser = RowParser(positions, hasher(uow.hash_key), province_code, text_cells=fmt == load_files.CSV)
    report = LoadReport(load_id=str(uuid.uuid4()))
    with uow:
        writer = _Both(uow.row_writer(), holdings() if holdings else None)
        try:
            _load(rows, parser, writer, report, estimate, progress)
            report.rows_inserted, report.rows_updated = writer.finish()
        except BaseException as exc:
            writer.abort(exc)
            raise
        uow.commit()
    return report


class _Both:
    """National-query's writer and the dedup's feed, fed the same batches."""

    def __init__(self, writer: RowWriter, feed: HoldingsFeed | None) -> None:
        self._writer, self._feed = writer, feed

    def add(self, rows: list[LoadedRow]) -> None:
        self._writer.add(rows)
        if self._feed is not None:
            self._feed.add(rows)

    def finish(self) -> tuple[int, int]:
        """The dedup's stream ends first, so that both build their indexes at once; the dedup has
        committed when this returns (this store commits after)."""
        if self._feed is not None:
            self._feed.end()
        counts = self._writer.finish()
        if self._feed is not None:
            self._feed.finish()
        return counts

    def abort(self, failure: BaseException) -> None:
        if self._feed is not None:
            self._feed.abort(failure)
        self._writer.abort(failure)


def _load(
    rows: Iterable[tuple[int, list[object]]],
    parser: RowParser,
    writer: _Both,
    report: LoadReport,
    estimate: int,
    progress: Progress | None,
) -> None:
    """Parses every row (one pass: checks, hash, mask) and hands the good ones to the writer in batches."""
    batch: list[LoadedRow] = []
    total = failed = 0
    next_report = PROGRESS_EVERY if progress else float("inf")  # reported by rows read, good or bad
    parse, add = parser.parse, batch.append
    try:
        for number, row in rows:
            if not any(row) and all(cell in (None, "") for cell in row):
                continue  # blank lines (an Excel cell may hold a falsy 0 that is not blank)
            total += 1
            result = parse(number, row)
            if isinstance(result, list):
                failed += 1
                room = MAX_ERRORS - len(report.errors)
                report.errors.extend(result[:room])
                report.errors_truncated |= len(result) > room
            else:
                add(result)
                if len(batch) >= BATCH:
                    writer.add(batch)
                    batch = []
                    add = batch.append
            if total >= next_report:
                assert progress is not None  # else next_report is infinite
                progress(total, estimate)
                next_report = total + PROGRESS_EVERY
    except (UnicodeDecodeError, csv.Error) as exc:
        raise InvalidArgument(
            FieldViolation(
                "chunk", f"文件无法读取：{load_files.unreadable_reason(exc)}（第{total + 1}行附近）"
            )
        ) from None
    finally:
        report.rows_total, report.rows_failed = total, failed
    if batch:
        writer.add(batch)
    if progress:
        progress(total, total)
