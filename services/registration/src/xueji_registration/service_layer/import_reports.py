"""Import records and their reports, shared by the imports of applications and of preschool transfers:
the per-row outcomes as stored, the report read back, the record of one import."""
from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from itertools import islice

from xueji_common.db.engine import now
from xueji_registration.adapters.import_repository import ImportRecord, ImportRepository, StoredRow
from xueji_registration.excel.columns import Template
from xueji_registration.excel.rows import ParsedRow, RowError

BATCH = 1000
Progress = Callable[[int], None]  # rows stored so far


@dataclass(frozen=True)
class ImportReport:
    record: ImportRecord
    errors: list[tuple[int, RowError]]   # (row number, error), in row order
    created_ids: list[str]


def batched(items: Iterable, size: int) -> Iterator[list]:
    iterator = iter(items)
    while batch := list(islice(iterator, size)):
        yield batch


def stored_row(row: ParsedRow, created_id: str | None, width: int) -> StoredRow:
    if created_id:
        return StoredRow(row.row_number, created_id, None, None)
    return StoredRow(row.row_number, None, row.cell_texts(width), [[e.column, e.field, e.message] for e in row.errors])


def new_record(import_id, school_code, template: Template, file_name, total, passed, request_id, principal
               ) -> ImportRecord:
    return ImportRecord(
        import_id=import_id, school_code=school_code, template=template.key,
        kind=template.kind.value if template.kind else None,
        category=template.category.value if template.category else None,
        file_name=(file_name or template.file_name)[:255], rows_total=total, rows_passed=passed,
        rows_failed=total - passed, request_id=request_id or None, created_by=principal.user_id,
        created_by_role=principal.role.value, created_by_unit=principal.org_unit, created_at=now(),
    )


def report_of(imports: ImportRepository, record: ImportRecord) -> ImportReport:
    errors, created = [], []
    for row in imports.rows(record.import_id):
        if row.created_id:
            created.append(row.created_id)
        for column, field_path, message in row.errors or ():
            errors.append((row.row_number, RowError(column, field_path, message)))
    return ImportReport(record, errors, created)
