"""Excel import of registration applications (导入, 6.1, 6.2, 7.1.2, 7.2.2), import reports, failed rows.

One import is one transaction. Rows are streamed in chunks of BATCH and each chunk is checked and
flushed before the next is read, so that memory does not grow with the file: every cell and rule of
a row is checked once, here (`RowParser`: the rules of manual entry, `domain.form.check_form`, with
each problem put on its cell); per chunk one query finds the documents already held by applications
(and, for primary freshmen, the preschool transfers); the rows that pass become applications through
`handlers.store_submitted` (applications and outbox events in bulk: COPY on PostgreSQL), and the row
outcomes are stored in one statement. Only the failed rows' reasons and the created ids stay in
memory for the report. A whole-file problem (not a workbook, not the template, too big, empty)
raises before anything is written; one found while streaming (a cell beyond Excel's limit) rolls
the whole import back.
"""
from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from itertools import islice

from xueji_common.auth import Principal, Role
from xueji_common.db.engine import now
from xueji_common.documents import DocumentCategory
from xueji_common.errors import (
    DomainError,
    FieldViolation,
    InvalidArgument,
    NotFound,
    PermissionDenied,
    PreconditionFailed,
    PreconditionViolation,
)
from xueji_common.hashing import document_hash
from xueji_common.vocabulary import RegistrationKind
from xueji_registration.adapters.import_repository import ImportRecord, ImportRepository, StoredRow
from xueji_registration.adapters.preschool_repository import PreschoolRepository
from xueji_registration.domain.model import Application, EntryChannel
from xueji_registration.excel.columns import Template, registration_template, template_by_key
from xueji_registration.excel.reader import Limits, TemplateRows
from xueji_registration.excel.rows import ParsedRow, RowError, RowParser
from xueji_registration.excel.writer import FailedRow, failed_rows_workbook, template_workbook
from xueji_registration.service_layer.access import regions, require_reader, require_school_registrar
from xueji_registration.service_layer.handlers import store_submitted

BATCH = 1000
Progress = Callable[[int], None]  # rows read so far


@dataclass(frozen=True)
class ImportReport:
    record: ImportRecord
    errors: list[tuple[int, RowError]]   # (row number, error), in row order
    created_ids: list[str]


def batched(items: Iterable, size: int) -> Iterator[list]:
    iterator = iter(items)
    while batch := list(islice(iterator, size)):
        yield batch


def import_applications(
    uow, *, school_code: str, kind: RegistrationKind, category: DocumentCategory, file_name: str, content: bytes,
    request_id: str, principal: Principal, tree, hash_key: str, limits: Limits = Limits(),
    progress: Progress | None = None,
) -> ImportReport:
    require_school_registrar(principal, tree, school_code)
    if category is DocumentCategory.NO_DOCUMENT:
        raise InvalidArgument(FieldViolation("category", "无证件学生不能导入，请在系统中逐个录入"))
    if school_code not in tree or not tree.get(school_code).is_school:
        raise InvalidArgument(FieldViolation("school_code", "学校标识码不存在"))
    template = registration_template(kind, category)
    with uow:
        if request_id and (done := ImportRepository(uow.session).by_request(school_code, request_id)):
            return report_of(ImportRepository(uow.session), done)
    rows = TemplateRows(content, template, limits)  # whole-file checks: raises before anything is written
    parser = RowParser(template)
    new_application = _ApplicationFactory(school_code, kind, category, str(uuid.uuid4()), principal,
                                          regions(tree, school_code))
    freshmen = kind is RegistrationKind.PRIMARY_FRESHMAN
    with uow:
        imports, transfers = ImportRepository(uow.session), PreschoolRepository(uow.session)
        seen: dict[str, int] = {}    # document hash → first row holding it
        errors: list[tuple[int, RowError]] = []
        created_ids: list[str] = []
        total = 0
        width = len(template.columns)
        for batch in batched(rows, BATCH):
            parsed = [parser.parse(number, values) for number, values in batch]
            hashes = {p.row_number: _hash(hash_key, p) for p in parsed if p.identity and p.identity.document.number}
            held = imports.active_application_hashes(list(set(hashes.values())))
            found = transfers.by_hashes(school_code, list(hashes.values())) if freshmen else {}
            submitted, stored = [], []
            at = now()
            for p in parsed:
                key = hashes.get(p.row_number)
                if key:
                    _check_duplicate(p, key, seen, held)
                transfer_id = _freshman_transfer(p, key, found) if freshmen else ""
                app = new_application(p, key, transfer_id, at) if p.ok else None
                if app is not None:
                    submitted.append(app)
                    created_ids.append(app.application_id)
                    stored.append(StoredRow(p.row_number, app.application_id, None, None))
                else:
                    errors.extend((p.row_number, e) for e in p.errors)
                    stored.append(stored_row(p, None, width))
            store_submitted(uow, submitted, principal=principal)
            imports.add_rows(new_application.import_id, stored)
            total += len(parsed)
            if progress:
                progress(total)
        record = new_record(new_application.import_id, school_code, template, file_name, total, len(created_ids),
                            request_id, principal)
        imports.add(record)
        uow.commit()
        return ImportReport(record, errors, created_ids)


class _ApplicationFactory:
    """A checked row → its submitted application (what `handlers.submit_applications` builds after its
    checks; the row's checks were the same rules, so they are not run again)."""

    def __init__(self, school_code, kind, category, import_id: str, principal: Principal, departments: dict):
        self.school_code, self.kind, self.category, self.import_id = school_code, kind, category, import_id
        self.user_id, self.departments = principal.user_id, departments

    def __call__(self, row: ParsedRow, key: str, transfer_id: str, at) -> Application | None:
        try:
            app = Application.submit(
                school_code=self.school_code, kind=self.kind, category=self.category, identity=row.identity,
                form=row.stored_form, document_hash=key, created_by=self.user_id, now=at,
                entry_channel=EntryChannel.IMPORT, preschool_transfer_id=transfer_id, import_id=self.import_id)
        except DomainError as exc:
            _refused(row, exc)
            return None
        app.county_code = self.departments["county_code"]
        app.city_code = self.departments["city_code"]
        app.province_code = self.departments["province_code"]
        return app


def _hash(hash_key: str, row: ParsedRow) -> str:
    doc = row.identity.document
    return document_hash(hash_key, doc.type.value, doc.number)


def _check_duplicate(row: ParsedRow, key: str, seen: dict[str, int], held: set[str]) -> None:
    if key in seen:
        row.fail(f"与第{seen[key]}行的身份证件号重复", "身份证件号", "student.document.number")
        return
    seen[key] = row.row_number
    if key in held:
        row.fail("该身份证件号已有注册申请，不能重复导入", "身份证件号", "student.document.number")


def _freshman_transfer(row: ParsedRow, key: str | None, found: dict) -> str:
    """A primary freshman comes through the preschool transfer (chapter 4): its row must match one."""
    if row.identity is None or not key:
        return ""
    transfer = found.get(key)
    if transfer is None:
        row.fail("未找到该学生的学前调档信息：小学新生须先在学前调档管理中新增或导入，再导出填写后导入",
                 "身份证件号", "student.document.number")
        return ""
    try:
        transfer.ensure_open_for_registration()
    except DomainError as exc:
        row.fail(exc.message, "身份证件号", "student.document.number")
        return ""
    if transfer.identity.name != row.identity.name:
        row.fail(f"姓名与学前调档信息（{transfer.identity.name}）不一致", "姓名", "student.name")
    return transfer.transfer_id


def _refused(row: ParsedRow, error: DomainError) -> None:
    if isinstance(error, InvalidArgument):
        for v in error.violations:
            row.fail(v.description, "", v.field)
    elif "身份证件号" in error.message:
        row.fail(error.message, "身份证件号", "student.document.number")
    else:
        row.fail(error.message)


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


def download_template(kind: RegistrationKind, category: DocumentCategory, *, principal: Principal) -> tuple[str, bytes]:
    if principal.role is not Role.SCHOOL_REGISTRAR:
        raise PermissionDenied("只有学校学籍管理员可以下载导入模板")
    if category is DocumentCategory.NO_DOCUMENT:
        raise InvalidArgument(FieldViolation("category", "无证件学生没有导入模板，请在系统中逐个录入"))
    template = registration_template(kind, category)
    return template.file_name, template_workbook(template)


def get_import_report(uow, import_id: str, *, principal: Principal, tree) -> ImportReport:
    with uow:
        imports = ImportRepository(uow.session)
        record = imports.get(import_id)
        if record is None:
            raise NotFound("导入记录不存在")
        require_reader(principal, tree, record.school_code)
        return report_of(imports, record)


def failed_rows(uow, import_id: str, *, principal: Principal, tree) -> tuple[str, bytes]:
    """The failed rows in the import's template, with the reasons on the cells (file name, bytes)."""
    with uow:
        imports = ImportRepository(uow.session)
        record = imports.get(import_id)
        if record is None:
            raise NotFound("导入记录不存在")
        require_school_registrar(principal, tree, record.school_code)
        if not record.rows_failed:
            raise PreconditionFailed("该次导入没有校验失败的数据", [
                PreconditionViolation("NO_FAILED_ROWS", import_id, "该次导入没有校验失败的数据")])
        template = template_by_key(record.template)
        failed = (FailedRow(r.row_number, r.cells or [], [(e[0], e[2]) for e in r.errors or ()])
                  for r in imports.rows(import_id, failed_only=True))
        content = failed_rows_workbook(template, failed)
    stem = record.file_name.rsplit(".", 1)[0]
    return f"{stem}-失败数据.xlsx", content
