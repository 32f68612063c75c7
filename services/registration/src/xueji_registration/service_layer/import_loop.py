"""One run of an Excel import of applications, in one transaction (imports.import_applications runs it
again when another transaction entered one of its documents at the same time).

The rows come in chunks of BATCH (excel.reader), so that memory does not grow with the file. A chunk
is checked column by column (excel.batch: each distinct value of a column once, with the rules of
manual entry), a row with a problem row by row (RowParser: every problem on its cell); one query per
chunk finds the documents already held by applications (and, for primary freshmen, the preschool
transfers). The rows that pass become one SubmittedBatch, stored with their ApplicationSubmitted
events and the row outcomes in bulk (COPY on PostgreSQL) by a second thread while the next chunk is
checked. Only the created ids and the reasons of the first page of failed rows stay in memory for
the report (import_reports.FailedRowsPage): the others are in import_rows, paged by GetImportReport.
`checkpoint` is called between chunks: it raises once the caller has cancelled or its deadline has
passed, and the transaction is rolled back.
"""

from __future__ import annotations

import contextvars
import datetime as dt
import gc
import threading
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from functools import partial
from typing import Any

from xueji_common.auth import Principal
from xueji_common.db.engine import now
from xueji_common.documents import DocumentCategory
from xueji_common.errors import DomainError, InvalidArgument
from xueji_common.hashing import document_hash
from xueji_common.orgunits import OrgTree
from xueji_common.vocabulary import RegistrationKind
from xueji_registration.adapters.excel.reader import Limits, TemplateRows
from xueji_registration.domain.batches import SubmittedBatch, new_ids
from xueji_registration.domain.identity import Identity
from xueji_registration.domain.model import Application, DocumentHolder, EntryChannel
from xueji_registration.domain.preschool import PreschoolTransfer
from xueji_registration.domain.template.batch import BatchParser
from xueji_registration.domain.template.columns import Template
from xueji_registration.domain.template.rows import ParsedRow, RowParser
from xueji_registration.service_layer.access import regions
from xueji_registration.service_layer.handlers import store_batch
from xueji_registration.service_layer.import_reports import (
    BATCH,
    Checkpoint,
    FailedRowsPage,
    ImportReport,
    Progress,
    RowCounts,
    Watch,
    new_record,
    stored_row,
)
from xueji_registration.service_layer.repositories import Imports, StoredRow
from xueji_registration.service_layer.unit_of_work import RegistrationUoW


def run_import(
    uow: RegistrationUoW,
    school_code: str,
    template: Template,
    file_name: str,
    content: bytes,
    request_id: str,
    principal: Principal,
    tree: OrgTree,
    hash_key: str,
    limits: Limits,
    progress: Progress | None,
    checkpoint: Checkpoint | None = None,
    watch: Watch | None = None,
) -> ImportReport:
    checkpoint = checkpoint or (lambda: None)
    rows = TemplateRows(
        content, template, limits, checkpoint
    )  # whole-file checks: before anything is written
    counts = _Counts(rows.declared_rows, progress, watch)
    parser = BatchParser(RowParser(template))
    kind, category = template.kind, template.category
    if kind is None or category is None:
        raise ValueError("applications are imported with a registration template (a kind and a category)")
    new_application = _ApplicationFactory(
        school_code, kind, category, str(uuid.uuid4()), principal, regions(tree, school_code)
    )
    freshmen = kind is RegistrationKind.PRIMARY_FRESHMAN
    with uow, _collector_paused(), _Writes(counts.stored) as writes:
        imports, transfers = uow.imports, uow.transfers
        seen: dict[str, int] = {}  # document hash → first row holding it
        failed = FailedRowsPage()
        created_ids: list[str] = []
        total = 0
        width = len(template.columns)
        for chunk in rows.chunks(BATCH):
            checkpoint()
            parsed = parser.parse(chunk)  # while the previous chunk is being stored
            hashes = {
                p.row_number: _hash(hash_key, p.identity)
                for p in parsed
                if p.identity and p.identity.document.number
            }
            writes.wait()  # the unit of work is free again
            held = imports.active_application_holders(list(set(hashes.values())))
            found = transfers.by_hashes(school_code, list(hashes.values())) if freshmen else {}
            submitted = new_application.chunk(now(), len(parsed))
            stored = []
            for p in parsed:
                key = hashes.get(p.row_number)
                if key:
                    _check_duplicate(p, key, seen, held, tree)
                transfer_id = _freshman_transfer(p, key, found) if freshmen else ""
                created = submitted.add(p, key, transfer_id) if p.ok else None
                if created:
                    created_ids.append(created)
                    stored.append(StoredRow(p.row_number, created, None, None))
                else:
                    failed.add(p.row_number, p.errors)
                    stored.append(stored_row(p, None, width))
            total += len(parsed)
            counts.checked(total)
            writes.start(
                partial(_store, uow, imports, submitted.batch, new_application.import_id, stored, principal),
                total,
            )
        writes.wait()
        checkpoint()
        counts.committing()
        record = new_record(
            new_application.import_id,
            school_code,
            template,
            file_name,
            total,
            len(created_ids),
            request_id,
            principal,
        )
        imports.add(record)
        uow.commit()
        return ImportReport(record, failed.errors, created_ids, failed.next_after)


def _store(
    uow: RegistrationUoW,
    imports: Imports,
    batch: SubmittedBatch | None,
    import_id: str,
    stored: list[StoredRow],
    principal: Principal,
) -> None:
    store_batch(uow, batch, principal=principal)
    imports.add_rows(import_id, stored)


class _Counts:
    """The rows checked and stored so far, told to `progress` (rows stored) and `watch` (RowCounts)."""

    def __init__(self, expected: int, progress: Progress | None, watch: Watch | None) -> None:
        self._expected, self._progress, self._watch = expected, progress, watch
        self._checked = self._stored = 0

    def checked(self, rows: int) -> None:
        self._checked = rows
        self._tell("checking")

    def stored(self, rows: int) -> None:
        self._stored = rows
        if self._progress:
            self._progress(rows)
        self._tell("checking")

    def committing(self) -> None:
        self._tell("committing")

    def _tell(self, stage: str) -> None:
        if self._watch:
            # a file declaring fewer rows than it holds is counted by what was read; 0: declares none
            expected = max(self._expected, self._checked) if self._expected else 0
            self._watch(RowCounts(stage, expected, self._checked, self._stored))


class _Writes:
    """A chunk's writes run in a second thread, so that the database stores one chunk while the next
    is read and checked. One write at a time, and the unit of work is used by one thread at a time: the
    import waits for the running write (`wait`) before its next query. A failed write raises there."""

    def __init__(self, progress: Progress | None) -> None:
        self._progress = progress
        self._thread = ThreadPoolExecutor(1, thread_name_prefix="import-writes")
        self._running: tuple[Future[None], int] | None = None

    def start(self, write: Callable[[], None], rows_so_far: int) -> None:
        self.wait()
        # in the import's context: its request id, user and trace go with the events it writes
        self._running = (self._thread.submit(contextvars.copy_context().run, write), rows_so_far)

    def wait(self) -> None:
        if self._running is not None:
            (running, rows), self._running = self._running, None
            running.result()
            if self._progress:
                self._progress(rows)

    def __enter__(self) -> _Writes:
        return self

    def __exit__(self, *exc_info: object) -> None:
        try:
            if self._running is not None:  # before the transaction ends, whatever happened
                done = self._running[0]
                self._running = None
                error = done.exception()
                if error is not None and exc_info[0] is None:
                    raise error
        finally:
            self._thread.shutdown(wait=True)


class _CollectorPause:
    """While a file is imported the cyclic garbage collector does not run: an import makes millions of
    small objects and no reference cycle among them (reference counting frees each chunk's; errors
    kept as values drop their tracebacks, excel.rows.document_of), and the collector's passes over
    them cost about a tenth of the import's CPU (a 10,000-row import leaves ~250 unreachable objects
    behind). Imports at the same time share one pause: the collector runs again, if it ran before,
    when the last of them ends."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._imports = 0
        self._was_enabled = False

    @contextmanager
    def __call__(self) -> Iterator[None]:
        with self._lock:
            if not self._imports:
                self._was_enabled = gc.isenabled()
                gc.disable()
            self._imports += 1
        try:
            yield
        finally:
            with self._lock:
                self._imports -= 1
                if not self._imports and self._was_enabled:
                    gc.enable()


_collector_paused = _CollectorPause()


class _ApplicationFactory:
    """Checked rows → their submitted applications, a chunk's in one SubmittedBatch (what
    `handlers.submit_applications` builds after its checks; the rows' checks were the same rules, so
    they are not run again)."""

    def __init__(
        self,
        school_code: str,
        kind: RegistrationKind,
        category: DocumentCategory,
        import_id: str,
        principal: Principal,
        departments: dict[str, str],
    ) -> None:
        self.school_code, self.kind, self.category, self.import_id = school_code, kind, category, import_id
        self.user_id, self.departments = principal.user_id, departments

    def chunk(self, at: dt.datetime, size: int) -> _Chunk:
        return _Chunk(self, at, new_ids(size))

    def submit(
        self, identity: Identity, form: dict[str, Any], key: str, transfer_id: str, at: dt.datetime
    ) -> Application:
        app = Application.submit(
            school_code=self.school_code,
            kind=self.kind,
            category=self.category,
            identity=identity,
            form=form,
            document_hash=key,
            created_by=self.user_id,
            now=at,
            entry_channel=EntryChannel.IMPORT,
            preschool_transfer_id=transfer_id,
            import_id=self.import_id,
        )
        app.county_code = self.departments["county_code"]
        app.city_code = self.departments["city_code"]
        app.province_code = self.departments["province_code"]
        return app


class _Chunk:
    def __init__(self, factory: _ApplicationFactory, at: dt.datetime, ids: list[str]) -> None:
        self.factory, self.at, self.ids = factory, at, iter(ids)
        self.batch: SubmittedBatch | None = None

    def add(self, row: ParsedRow, key: str | None, transfer_id: str) -> str | None:
        """The new application's id; None when it is refused (the reason is put on the row)."""
        identity, form = row.identity, row.stored_form
        if identity is None or form is None or not key:
            raise ValueError("a row that passed has its identity, its stored form and its document hash")
        try:
            if self.batch is None:
                first = self.factory.submit(identity, form, key, transfer_id, self.at)
                self.batch = SubmittedBatch(first)
                application_id = first.application_id
            else:
                application_id = next(self.ids)
            self.batch.add(application_id, identity, key, form, transfer_id)
        except DomainError as exc:
            _refused(row, exc)
            return None
        return application_id


def _hash(hash_key: str, identity: Identity) -> str:
    doc = identity.document
    return document_hash(hash_key, doc.type.value, doc.number)


def _check_duplicate(
    row: ParsedRow, key: str, seen: dict[str, int], held: dict[str, DocumentHolder], tree: OrgTree
) -> None:
    if key in seen:
        row.fail(f"与第{seen[key]}行的身份证件号重复", "身份证件号", "student.document.number")
        return
    seen[key] = row.row_number
    if (
        key in held and row.identity
    ):  # names the holder: a record or a live application, its school, the number masked
        refusal = held[key].refusal(tree, row.identity.document.number)
        row.fail(refusal, "身份证件号", "student.document.number")


def _freshman_transfer(row: ParsedRow, key: str | None, found: dict[str, PreschoolTransfer]) -> str:
    """A primary freshman comes through the preschool transfer (chapter 4): its row must match one."""
    if row.identity is None or not key:
        return ""
    transfer = found.get(key)
    if transfer is None:
        row.fail(
            "未找到该学生的学前调档信息：小学新生须先在学前调档管理中新增或导入，再导出填写后导入",
            "身份证件号",
            "student.document.number",
        )
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
