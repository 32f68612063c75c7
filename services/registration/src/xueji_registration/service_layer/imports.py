"""Excel import of registration applications (导入, 6.1, 6.2, 7.1.2, 7.2.2), import reports, failed rows.

One import is one transaction (import_loop.run_import). A whole-file problem (not a workbook, not the
template, too big, empty) raises before anything is written; one found while reading (a formula or
too many rows further on, a cell beyond Excel's limit) rolls the whole import back. When another
import or entry of one of the file's documents commits first (the unique index of live applications),
the import runs again and that row is refused as any duplicate.
"""

from __future__ import annotations

import tempfile
from typing import IO

from xueji_common.auth import Principal, Role
from xueji_common.authz import authorize
from xueji_common.documents import DocumentCategory
from xueji_common.errors import (
    FieldViolation,
    InvalidArgument,
    NotFound,
    PreconditionFailed,
    PreconditionViolation,
)
from xueji_common.orgunits import OrgTree
from xueji_common.vocabulary import RegistrationKind
from xueji_registration.adapters.excel.reader import Limits
from xueji_registration.adapters.excel.writer import FailedRow, template_workbook, write_failed_rows
from xueji_registration.domain.template.columns import registration_template, template_by_key
from xueji_registration.service_layer.access import require_reader, require_school_registrar
from xueji_registration.service_layer.concurrent_entry import retried
from xueji_registration.service_layer.import_loop import run_import
from xueji_registration.service_layer.import_reports import (  # noqa: F401 (the import's report types, here too)
    BATCH,
    MAX_REPORT_ROWS,
    REPORT_ROWS,
    Checkpoint,
    ImportReport,
    ImportStopped,
    Progress,
    RowCounts,
    Watch,
    report_of,
)
from xueji_registration.service_layer.unit_of_work import RegistrationUoW


def import_applications(
    uow: RegistrationUoW,
    *,
    school_code: str,
    kind: RegistrationKind,
    category: DocumentCategory,
    file_name: str,
    content: bytes,
    request_id: str,
    principal: Principal,
    tree: OrgTree,
    hash_key: str,
    limits: Limits | None = None,
    progress: Progress | None = None,
    checkpoint: Checkpoint | None = None,
    watch: Watch | None = None,
) -> ImportReport:
    """`progress(n)`: called after the first n rows are stored (not yet committed); `watch(counts)`:
    the rows checked and stored as they go (RowCounts); `checkpoint()`: between chunks, raises
    ImportStopped once the caller has gone."""
    require_school_registrar(principal, tree, school_code)
    if category is DocumentCategory.NO_DOCUMENT:
        raise InvalidArgument(FieldViolation("category", "无证件学生不能导入，请在系统中逐个录入"))
    if school_code not in tree or not tree.get(school_code).is_school:
        raise InvalidArgument(FieldViolation("school_code", "学校标识码不存在"))
    template = registration_template(kind, category)
    with uow:
        if request_id and (done := uow.imports.by_request(school_code, request_id)):
            return report_of(uow.imports, done)
    return retried(
        lambda: run_import(
            uow,
            school_code,
            template,
            file_name,
            content,
            request_id,
            principal,
            tree,
            hash_key,
            limits or Limits(),
            progress,
            checkpoint,
            watch,
        )
    )


def download_template(
    kind: RegistrationKind, category: DocumentCategory, *, principal: Principal
) -> tuple[str, bytes]:
    authorize(principal, (Role.SCHOOL_REGISTRAR,), refusal="只有学校学籍管理员可以下载导入模板")
    if category is DocumentCategory.NO_DOCUMENT:
        raise InvalidArgument(FieldViolation("category", "无证件学生没有导入模板，请在系统中逐个录入"))
    template = registration_template(kind, category)
    return template.file_name, template_workbook(template)


def get_import_report(
    uow: RegistrationUoW,
    import_id: str,
    *,
    principal: Principal,
    tree: OrgTree,
    after: int = 0,
    page_size: int = REPORT_ROWS,
) -> ImportReport:
    """The import's record, created ids and one page of its failed rows (those after row `after`)."""
    with uow:
        imports = uow.imports
        record = imports.get(import_id)
        if record is None:
            raise NotFound("导入记录不存在")
        require_reader(principal, tree, record.school_code)
        return report_of(imports, record, after=after, page_size=page_size)


MAX_FILE_BYTES = 60 * 1024 * 1024  # a workbook answered in one message (the gRPC limit is 64 MiB)


def failed_rows_file(
    uow: RegistrationUoW, import_id: str, *, principal: Principal, tree: OrgTree
) -> tuple[str, IO[bytes]]:
    """The failed rows in the import's template, with the reasons on the cells: (file name, a
    temporary file holding the workbook, at its start; the caller closes it)."""
    with uow:
        imports = uow.imports
        record = imports.get(import_id)
        if record is None:
            raise NotFound("导入记录不存在")
        require_school_registrar(principal, tree, record.school_code)
        if not record.rows_failed:
            raise PreconditionFailed(
                "该次导入没有校验失败的数据",
                [PreconditionViolation("NO_FAILED_ROWS", import_id, "该次导入没有校验失败的数据")],
            )
        template = template_by_key(record.template)
        if template is None:  # a template no longer offered: its failed rows cannot be laid out
            raise NotFound("该次导入的模板已不存在")
        failed = (
            FailedRow(r.row_number, r.cells or [], [(e[0], e[2]) for e in r.errors or ()])
            for r in imports.rows(import_id, failed_only=True)
        )
        out = tempfile.SpooledTemporaryFile(max_size=8 * 1024 * 1024)
        try:
            write_failed_rows(template, failed, out)
        except BaseException:
            out.close()
            raise
    out.seek(0)
    stem = record.file_name.rsplit(".", 1)[0]
    return f"{stem}-失败数据.xlsx", out


def failed_rows(
    uow: RegistrationUoW, import_id: str, *, principal: Principal, tree: OrgTree
) -> tuple[str, bytes]:
    """The failed-rows workbook in one piece (file name, bytes); FAILED_PRECONDITION FILE_TOO_LARGE
    when it is beyond one message (failed_rows_file streams it)."""
    name, out = failed_rows_file(uow, import_id, principal=principal, tree=tree)
    with out:
        size = out.seek(0, 2)
        if size > MAX_FILE_BYTES:
            message = f"失败数据文件过大（{size / 1048576:.0f} MB），请使用分段下载（DownloadFailedRowsFile）"
            raise PreconditionFailed(message, [PreconditionViolation("FILE_TOO_LARGE", import_id, message)])
        out.seek(0)
        return name, out.read()
