"""Import records and their reports, shared by the imports of applications and of preschool transfers:
the per-row outcomes as stored, the report read back a page of failed rows at a time, the record of
one import.

A report carries the reasons of at most one page of failed rows (REPORT_ROWS by default): an import
of 50,000 failing rows answers with the first page and a page token, and GetImportReport pages
through the rest, so that neither answer grows with the file (the gRPC message limit would refuse
it after the import had committed).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from itertools import islice
from typing import TypeVar

from xueji_common.auth import Principal
from xueji_common.db.engine import now
from xueji_common.errors import DomainError
from xueji_registration.domain.template.columns import Template
from xueji_registration.domain.template.rows import ParsedRow, RowError
from xueji_registration.service_layer.repositories import ImportRecord, Imports, StoredRow

BATCH = 1000
REPORT_ROWS, MAX_REPORT_ROWS = 100, 1000  # failed rows per page of a report: by default, at most
Progress = Callable[[int], None]  # rows stored so far
Checkpoint = Callable[[], None]  # raises ImportStopped once the caller has gone
T = TypeVar("T")


@dataclass(frozen=True)
class RowCounts:
    """How far a running import is, for a caller showing its progress (StreamImportApplications):
    `expected` is the data rows the file declares (its sheet's dimension, as Excel writes it; 0 when
    it declares none; empty rows count; at least the rows checked), `checked` the rows checked so far,
    `stored` those written (not yet committed); `stage` is "checking" while chunks go, "committing"
    once every row is stored."""

    stage: str
    expected: int
    checked: int
    stored: int


Watch = Callable[[RowCounts], None]


class ImportStopped(DomainError):
    """The caller cancelled or its deadline passed: the import stops where it is and is rolled back."""

    def __init__(self, status: str = "CANCELLED") -> None:
        super().__init__("导入已停止（调用已取消或超时），未导入任何数据")
        self.status = status


@dataclass(frozen=True)
class ImportReport:
    record: ImportRecord
    errors: list[tuple[int, RowError]]  # (row number, error) of one page of failed rows, in row order
    created_ids: list[str]
    next_after: int = 0  # the row the next page starts after; 0: no more failed rows


class FailedRowsPage:
    """The errors of the first REPORT_ROWS failed rows of an import as it runs, and whether more failed."""

    def __init__(self) -> None:
        self.errors: list[tuple[int, RowError]] = []
        self.rows = 0
        self._last = 0

    def add(self, row_number: int, errors: list[RowError]) -> None:
        self.rows += 1
        if self.rows <= REPORT_ROWS:
            self.errors.extend((row_number, e) for e in errors)
            self._last = row_number

    @property
    def next_after(self) -> int:
        return self._last if self.rows > REPORT_ROWS else 0


def batched(items: Iterable[T], size: int) -> Iterator[list[T]]:
    iterator = iter(items)
    while batch := list(islice(iterator, size)):
        yield batch


def stored_row(row: ParsedRow, created_id: str | None, width: int) -> StoredRow:
    if created_id:
        return StoredRow(row.row_number, created_id, None, None)
    return StoredRow(
        row.row_number, None, row.cell_texts(width), [[e.column, e.field, e.message] for e in row.errors]
    )


def new_record(
    import_id: str,
    school_code: str,
    template: Template,
    file_name: str,
    total: int,
    passed: int,
    request_id: str,
    principal: Principal,
) -> ImportRecord:
    return ImportRecord(
        import_id=import_id,
        school_code=school_code,
        template=template.key,
        kind=template.kind.value if template.kind else None,
        category=template.category.value if template.category else None,
        file_name=(file_name or template.file_name)[:255],
        rows_total=total,
        rows_passed=passed,
        rows_failed=total - passed,
        request_id=request_id or None,
        created_by=principal.user_id,
        created_by_role=principal.role.value,
        created_by_unit=principal.org_unit,
        created_at=now(),
    )


def report_of(
    imports: Imports, record: ImportRecord, *, after: int = 0, page_size: int = REPORT_ROWS
) -> ImportReport:
    """The report of a stored import: the failed rows after row `after`, `page_size` of them; the
    created ids with the first page only (the pages after it do not repeat them)."""
    errors = []
    rows = imports.failed_rows_after(record.import_id, after, page_size + 1)
    for row in rows[:page_size]:
        for column, field_path, message in row.errors or ():
            errors.append((row.row_number, RowError(column, field_path, message)))
    following = rows[page_size - 1].row_number if len(rows) > page_size else 0
    return ImportReport(record, errors, [] if after else imports.created_ids(record.import_id), following)
