"""The Excel methods of the Registrations service: templates, import, import reports, failed rows.

A mixin of RegistrationsServicer (which gives it `self._rt`, the service runtime).
"""

from __future__ import annotations

import contextvars
import queue
import threading

from xueji.v1 import common_pb2, registration_pb2
from xueji_common import paging
from xueji_common.auth import Role
from xueji_common.documents import DocumentCategory, DocumentError
from xueji_common.errors import FieldViolation, InvalidArgument
from xueji_common.grpcserver.convert import timestamp
from xueji_common.grpcserver.guard import caller
from xueji_common.vocabulary import RegistrationKind
from xueji_registration.adapters.excel.reader import Limits
from xueji_registration.adapters.excel.writer import CONTENT_TYPE
from xueji_registration.service_layer import imports


def kind_and_category(request) -> tuple[RegistrationKind, DocumentCategory]:
    problems = []
    kind = category = None
    try:
        kind = RegistrationKind.from_proto(request.kind)
    except ValueError:
        problems.append(FieldViolation("kind", "请选择注册类型（小学新生注册或非小学新生注册）"))
    try:
        category = DocumentCategory.from_proto(request.category)
    except (ValueError, DocumentError):
        problems.append(FieldViolation("category", "请选择证件类别（居民身份证或港澳台和外籍）"))
    if problems:
        raise InvalidArgument(problems)
    return kind, category


CHUNK_BYTES = 1024 * 1024  # a piece of a streamed file


def checkpoint_of(context) -> imports.Checkpoint:
    """Raises ImportStopped once the call is cancelled or its deadline has passed: the import stops
    between two chunks instead of running on for a caller that is gone."""

    def checkpoint() -> None:
        remaining = context.time_remaining()
        if remaining is not None and remaining <= 0:
            raise imports.ImportStopped("DEADLINE_EXCEEDED")
        if not context.is_active():
            raise imports.ImportStopped("CANCELLED")

    return checkpoint


def report_pb(report: imports.ImportReport, tree) -> registration_pb2.ImportReport:
    r = report.record
    unit = tree.get(r.created_by_unit).name if r.created_by_unit in tree else ""
    return registration_pb2.ImportReport(
        import_id=r.import_id,
        school_code=r.school_code,
        kind=RegistrationKind(r.kind).to_proto() if r.kind else 0,
        category=DocumentCategory(r.category).to_proto() if r.category else 0,
        file_name=r.file_name,
        rows_total=r.rows_total,
        rows_passed=r.rows_passed,
        rows_failed=r.rows_failed,
        errors=[
            common_pb2.ImportRowError(row_number=n, column=e.column, field=e.field, message=e.message)
            for n, e in report.errors
        ],
        created_ids=report.created_ids,
        imported_by=common_pb2.AuditStamp(
            org_unit_code=r.created_by_unit,
            org_unit_name=unit,
            user_id=r.created_by,
            role=Role(r.created_by_role).proto,
            time=timestamp(r.created_at),
        ),
        next_page_token=report_token(r.import_id, report.next_after),
    )


_STAGES = {
    "checking": registration_pb2.IMPORT_STAGE_CHECKING,
    "committing": registration_pb2.IMPORT_STAGE_COMMITTING,
}


def progress_pb(counts: imports.RowCounts) -> registration_pb2.ImportProgress:
    return registration_pb2.ImportProgress(
        stage=_STAGES[counts.stage],
        rows_expected=counts.expected,
        rows_checked=counts.checked,
        rows_stored=counts.stored,
    )


def report_token(import_id: str, after: int) -> str:
    """GetImportReport's page_token for the failed rows after row `after` (bound to the import)."""
    return paging.encode(after, paging.binding(registration_pb2.GetImportReportRequest(import_id=import_id)))


def file_pb(name: str, content: bytes) -> common_pb2.FileContent:
    return common_pb2.FileContent(file_name=name, content_type=CONTENT_TYPE, content=content)


class ImportMethods:
    """DownloadTemplate, ImportApplications, GetImportReport, DownloadFailedRows(File) (issues #3, #13)."""

    def DownloadTemplate(self, request, context):
        principal = caller()
        kind, category = kind_and_category(request)
        return file_pb(*imports.download_template(kind, category, principal=principal))

    def ImportApplications(self, request, context):
        return report_pb(self._import(request, context), self._rt.tree)

    def StreamImportApplications(self, request, context):
        """The import in a thread of its own, its progress streamed as it goes (docs/API.md)."""
        kind_and_category(request)  # refused before anything starts
        told: queue.SimpleQueue = queue.SimpleQueue()
        run = contextvars.copy_context().run  # the caller, request id and trace go with it

        def work():
            try:
                told.put(("done", run(self._import, request, context, told.put)))
            except BaseException as error:  # raised again on the stream, where the caller sees it
                told.put(("error", error))

        threading.Thread(target=work, name="import-stream", daemon=True).start()
        yield registration_pb2.ImportProgress(stage=registration_pb2.IMPORT_STAGE_READING)
        while True:
            what, value = told.get()
            if what == "done":
                record = value.record
                yield registration_pb2.ImportProgress(
                    stage=registration_pb2.IMPORT_STAGE_DONE,
                    rows_expected=record.rows_total,
                    rows_checked=record.rows_total,
                    rows_stored=record.rows_total,
                    import_id=record.import_id,
                    rows_passed=record.rows_passed,
                    rows_failed=record.rows_failed,
                )
                return
            if what == "error":
                raise value
            yield progress_pb(value)

    def _import(self, request, context, watch=None) -> imports.ImportReport:
        principal = caller()
        kind, category = kind_and_category(request)
        return imports.import_applications(
            self._rt.uow_factory(),
            school_code=request.school_code,
            kind=kind,
            category=category,
            file_name=request.file.file_name,
            content=request.file.content,
            request_id=request.request_id,
            principal=principal,
            tree=self._rt.tree,
            hash_key=self._rt.settings.hash_key,
            limits=Limits.from_env(),
            checkpoint=checkpoint_of(context),
            watch=(lambda counts: watch(("counts", counts))) if watch else None,
        )

    def GetImportReport(self, request, context):
        page = paging.Page.of(request, default=imports.REPORT_ROWS, maximum=imports.MAX_REPORT_ROWS)
        report = imports.get_import_report(
            self._rt.uow_factory(),
            request.import_id,
            principal=caller(),
            tree=self._rt.tree,
            after=page.offset,
            page_size=page.size,
        )
        return report_pb(report, self._rt.tree)

    def DownloadFailedRows(self, request, context):
        name, content = imports.failed_rows(
            self._rt.uow_factory(), request.import_id, principal=caller(), tree=self._rt.tree
        )
        return file_pb(name, content)

    def DownloadFailedRowsFile(self, request, context):
        name, out = imports.failed_rows_file(
            self._rt.uow_factory(), request.import_id, principal=caller(), tree=self._rt.tree
        )
        with out:
            yield registration_pb2.FileChunk(
                file_name=name, content_type=CONTENT_TYPE, data=out.read(CHUNK_BYTES)
            )
            while data := out.read(CHUNK_BYTES):
                yield registration_pb2.FileChunk(data=data)
