"""The registration unit of work in memory (service_layer/unit_of_work.py::RegistrationUoW).

Rows are stored as copies, as a database would hold them: a use case changes what it read, and the
store sees the change only through `save` (which checks the version as the SQL does). The unique
indexes the use cases rely on are checked as the SQL's are (one live application per document, one
transfer per document and school, one request id per school). `rollback` (and leaving the `with`
without commit) puts every repository back to what the last commit left, and drops the events
published since, as the outbox would.
"""

from __future__ import annotations

import copy
import dataclasses
import datetime as dt
import itertools
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

from google.protobuf.message import Message

from xueji_common.auth import Principal, Role
from xueji_common.config import DEV_HASH_KEY
from xueji_common.datakeys import DEV_DATA_KEY, KeyRing
from xueji_common.documents import DocumentCategory, DocumentType, Gender
from xueji_common.errors import ConcurrentModification, FieldViolation, InvalidArgument
from xueji_common.orgunits import load_default_tree
from xueji_common.testing.fake_uow import FakeUnitOfWork
from xueji_common.vocabulary import RegistrationKind
from xueji_registration.domain.batches import SubmittedBatch
from xueji_registration.domain.files import Purpose
from xueji_registration.domain.model import (
    ACTIVE_STATES,
    Application,
    ApplicationState,
    DocumentHolder,
    first_holders,
)
from xueji_registration.domain.preschool import MatchStatus, PreschoolTransfer
from xueji_registration.domain.records import NumberKind, StudentRecord
from xueji_registration.service_layer import flow
from xueji_registration.service_layer.handlers import CreateApplication
from xueji_registration.service_layer.ports import Collaborators, NumberRequest, NumberTaken
from xueji_registration.service_layer.repositories import (
    ApplicationQuery,
    ConcurrentEntry,
    DocumentOf,
    DuplicateTransfer,
    ImportRecord,
    RecordQuery,
    StoredFile,
    StoredRow,
    TransferFilter,
)
from xueji_registration.service_layer.unit_of_work import StoredNumber
from xueji_registration.service_layer.uploads import upload_file
from xueji_registration.testing import resident_id, sample_form

TREE = load_default_tree()
HASH_KEY = DEV_HASH_KEY
SCHOOL = "1330102001"  # 上城区 330102
OTHER_SCHOOL = "1330105001"
PDF = b"%PDF-1.4\n% proof of residence\n"


def registrar(school: str = SCHOOL) -> Principal:
    return Principal(user_id=f"registrar-{school}", role=Role.SCHOOL_REGISTRAR, org_unit=school)


SYSTEM = Principal(user_id="service:review", role=Role.SYSTEM, org_unit="000000")


def entry(
    category: str = "resident",
    *,
    kind: RegistrationKind = RegistrationKind.NON_PRIMARY_FRESHMAN,
    number: str | None = None,
    proofs: tuple[str, ...] = (),
    school: str = SCHOOL,
    request_id: str = "",
    **form: Any,
) -> CreateApplication:
    """A manual entry of the sample student of `category` (the form of xueji_registration.testing)."""
    identities: dict[str, dict[str, Any]] = {
        "resident": dict(name="张三", gender=None, birth_date=None, document_type=DocumentType.RESIDENT_ID),
        "hmt_foreign": dict(
            name="陈大文", gender=Gender.MALE, birth_date=dt.date(2012, 5, 6), document_type=DocumentType.HK
        ),
        "no_document": dict(
            name="赵六",
            gender=Gender.FEMALE,
            birth_date=dt.date(2013, 7, 8),
            document_type=DocumentType.OTHER,
        ),
    }
    identity = identities[category]
    default_number = {"resident": resident_id(), "hmt_foreign": "H12345678", "no_document": ""}[category]
    return CreateApplication(
        school_code=school,
        kind=kind,
        category=DocumentCategory(category),
        document_number=default_number if number is None else number,
        form=sample_form(category, **form),
        proof_material_ids=proofs,
        request_id=request_id,
        **identity,
    )


def upload(
    uow: FakeRegistrationUoW,
    content: bytes = PDF,
    *,
    school: str = SCHOOL,
    purpose: Purpose = Purpose.PROOF_MATERIAL,
) -> str:
    """An uploaded file's id (the bytes kept by FakeFileBytes)."""
    name = "证明.pdf" if content.startswith(b"%PDF") else "照片.png"
    stored = upload_file(
        uow,
        FakeFileBytes(),
        school_code=school,
        purpose=purpose,
        file_name=name,
        content_type="",
        content=content,
        principal=registrar(school),
        tree=TREE,
    )
    return stored.file_id


class FakeFileBytes:
    def __init__(self) -> None:
        self.kept: dict[str, bytes] = {}

    def put(self, school_code: str, file_id: str, content: bytes) -> str:
        key = f"{school_code}/{file_id}"
        self.kept[key] = content
        return key

    def remove(self, key: str) -> None:
        self.kept.pop(key, None)


def _live(app: Application) -> bool:
    """adapters/tables.py::LIVE_DOCUMENT, the condition of ux_applications_live_document."""
    return (
        app.state is not ApplicationState.WITHDRAWN
        and not app.record_id
        and bool(app.identity.document.number)
    )


class FakeApplications:
    def __init__(self) -> None:
        self.rows: dict[str, Application] = {}

    def _check_unique(self, app: Application) -> None:
        for other in self.rows.values():
            if other.application_id == app.application_id:
                continue
            if _live(app) and _live(other) and other.document_hash == app.document_hash:
                raise ConcurrentEntry()  # what the SQL makes of ux_applications_live_document
            if app.request_id and (other.school_code, other.request_id) == (app.school_code, app.request_id):
                raise AssertionError("ux_applications_school_request")

    def add_many(self, apps: list[Application]) -> None:
        for app in apps:
            assert app.application_id not in self.rows  # the primary key
            self._check_unique(app)
            self.rows[app.application_id] = copy.deepcopy(app)

    def add_batch(self, batch: SubmittedBatch) -> None:
        self.add_many(list(batch.applications()))

    def active_holders(self, hashes: Iterable[str]) -> dict[str, DocumentHolder]:
        wanted = set(hashes)
        return first_holders(
            (a.document_hash, a.school_code, a.province_code, a.state.value)
            for a in self.rows.values()
            if a.document_hash in wanted and a.state in ACTIVE_STATES
        )

    def get(self, application_id: str) -> Application | None:
        found = self.rows.get(application_id)
        return copy.deepcopy(found) if found else None

    def get_many(self, application_ids: Iterable[str]) -> dict[str, Application]:
        return {i: copy.deepcopy(self.rows[i]) for i in sorted(set(application_ids)) if i in self.rows}

    def save_flow_changes(self, changes: Sequence[tuple[Application, int]]) -> None:
        if any(self.rows[app.application_id].version != read_at for app, read_at in changes):
            raise ConcurrentModification("该注册申请已被他人修改，请刷新后重试")
        for app, _ in changes:
            self._check_unique(app)
            self.rows[app.application_id] = copy.deepcopy(app)

    def document_numbers(self, application_ids) -> dict[str, DocumentOf]:
        return {
            a.application_id: DocumentOf(a.identity.document, a.document_hash, a.revision)
            for i in application_ids
            if (a := self.rows.get(i)) is not None
        }

    def by_request(self, school_code: str, request_id: str) -> Application | None:
        found = [a for a in self.rows.values() if (a.school_code, a.request_id) == (school_code, request_id)]
        return copy.deepcopy(found[0]) if found else None

    def save(self, app: Application, expected_version: int) -> None:
        if self.rows[app.application_id].version != expected_version:
            raise ConcurrentModification("该注册申请已被他人修改，请刷新后重试")
        self._check_unique(app)
        app.version = expected_version + 1
        self.rows[app.application_id] = copy.deepcopy(app)

    def list(self, query: ApplicationQuery, *, offset: int, limit: int) -> tuple[list[Application], int]:
        found = sorted(
            (a for a in self.rows.values() if _application_matches(query, a)),
            key=lambda a: a.application_id,
        )
        found.sort(key=lambda a: a.submitted_at or a.created_at, reverse=True)  # newest first, then by id
        return [copy.deepcopy(a) for a in found[offset : offset + limit]], len(found)


def _application_matches(q: ApplicationQuery, a: Application) -> bool:
    """The WHERE clause of adapters/repository.py::_conditions."""
    return (
        (not q.area_column or getattr(a, q.area_column) == q.area_code)
        and (q.kind is None or a.kind is q.kind)
        and (q.category is None or a.category is q.category)
        and (not q.states or a.state in q.states)
        and (q.authentication is None or a.authentication is q.authentication)
        and (not q.handling_unit_code or a.handling_unit_code == q.handling_unit_code)
        and a.identity.name.startswith(q.name_prefix)
        and (not q.document_hash or a.document_hash == q.document_hash)
        and (not q.grade or a.form.get("grade", "") == q.grade)
        and (
            q.submitted_after is None or (a.submitted_at is not None and a.submitted_at >= q.submitted_after)
        )
        and (
            q.submitted_before is None or (a.submitted_at is not None and a.submitted_at < q.submitted_before)
        )
    )


class FakeRecords:
    def __init__(self) -> None:
        self.rows: dict[str, StudentRecord] = {}
        self.regions: dict[str, tuple[str, str]] = {}  # record id → (county, city)

    def add(self, record: StudentRecord, *, county_code: str, city_code: str) -> None:
        assert record.record_id not in self.rows
        assert all(r.application_id != record.application_id for r in self.rows.values())
        self.rows[record.record_id] = copy.deepcopy(record)
        self.regions[record.record_id] = (county_code, city_code)

    def _one(self, found: Iterable[StudentRecord]) -> StudentRecord | None:
        first = next(iter(found), None)
        return copy.deepcopy(first) if first else None

    def get(self, record_id: str) -> StudentRecord | None:
        return self._one(r for r in self.rows.values() if r.record_id == record_id)

    def by_number(self, number: str) -> StudentRecord | None:
        return self._one(r for r in self.rows.values() if r.national_student_number == number)

    def for_application(self, application_id: str) -> StudentRecord | None:
        return self._one(r for r in self.rows.values() if r.application_id == application_id)

    def for_applications(self, application_ids: Iterable[str]) -> dict[str, StudentRecord]:
        wanted = set(application_ids)
        return {r.application_id: copy.deepcopy(r) for r in self.rows.values() if r.application_id in wanted}

    def add_many(self, records: Sequence[tuple[StudentRecord, str, str]]) -> None:
        for record, county_code, city_code in records:
            self.add(record, county_code=county_code, city_code=city_code)

    def numbers_of(self, record_ids: Iterable[str]) -> dict[str, str]:
        return {i: self.rows[i].national_student_number for i in record_ids if i in self.rows}

    def save(self, record: StudentRecord, expected_version: int) -> None:
        if self.rows[record.record_id].version != expected_version:
            raise ConcurrentModification("该学籍已被他人修改，请刷新后重试")
        self.rows[record.record_id] = copy.deepcopy(record)

    def list(self, query: RecordQuery, *, offset: int, limit: int) -> tuple[list[StudentRecord], int]:
        def area(r: StudentRecord) -> str:
            county, city = self.regions[r.record_id]
            return {"county_code": county, "city_code": city}.get(query.area_column) or getattr(
                r, query.area_column
            )

        found = [
            r
            for r in self.rows.values()
            if (not query.area_column or area(r) == query.area_code)
            and (query.category is None or r.category is query.category)
            and (query.number_kind is None or r.number_kind is query.number_kind)
            and (query.problem_record is None or r.problem_record == query.problem_record)
            and r.identity.name.startswith(query.name_prefix)
            and (
                not query.national_student_number
                or r.national_student_number == query.national_student_number
            )
            and (not query.grade or r.form.get("grade", "") == query.grade)
        ]
        found.sort(key=lambda r: r.record_id)
        found.sort(key=lambda r: r.created_at, reverse=True)
        return [copy.deepcopy(r) for r in found[offset : offset + limit]], len(found)


class FakeFiles:
    def __init__(self) -> None:
        self.rows: dict[str, StoredFile] = {}

    def add(self, f: StoredFile, content: bytes) -> None:
        assert f.file_id not in self.rows
        self.rows[f.file_id] = f

    def get_many(self, file_ids: Iterable[str]) -> dict[str, StoredFile]:
        return {i: self.rows[i] for i in file_ids if i in self.rows}

    def attach(self, file_ids: Iterable[str], application_id: str) -> None:
        wanted = set(file_ids)
        if any(i not in self.rows or self.rows[i].application_id not in ("", application_id) for i in wanted):
            raise InvalidArgument(
                FieldViolation("proof_material_ids", "文件不存在或已被其他申请使用，请重新上传")
            )
        for i in wanted:
            self.rows[i] = dataclasses.replace(self.rows[i], application_id=application_id)

    def delete_unattached(self, uploaded_before: dt.datetime, limit: int) -> list[str]:
        oldest = sorted(
            (f for f in self.rows.values() if not f.application_id and f.uploaded_at < uploaded_before),
            key=lambda f: f.uploaded_at,
        )[:limit]
        for f in oldest:
            del self.rows[f.file_id]
        return [f.storage_key for f in oldest]


class FakeTransfers:
    """Each read carries the registration started for the transfer: the application not withdrawn
    naming it (the outer join of adapters/preschool_repository.py)."""

    def __init__(self, applications: FakeApplications) -> None:
        self.rows: dict[str, PreschoolTransfer] = {}
        self._applications = applications

    def _read(self, x: PreschoolTransfer) -> PreschoolTransfer:
        found = copy.deepcopy(x)
        started = [
            a
            for a in self._applications.rows.values()
            if a.preschool_transfer_id == x.transfer_id and a.state is not ApplicationState.WITHDRAWN
        ]
        found.application_id = started[0].application_id if started else None
        found.registration_state = started[0].state.value if started else None
        return found

    def _check_unique(self, x: PreschoolTransfer) -> None:
        for other in self.rows.values():
            if other.transfer_id == x.transfer_id or other.school_code != x.school_code:
                continue
            if (x.document_hash and other.document_hash == x.document_hash) or (
                x.request_id and other.request_id == x.request_id
            ):
                raise DuplicateTransfer()

    def add_many(self, transfers: list[PreschoolTransfer]) -> None:
        for x in transfers:
            self._check_unique(x)
            self.rows[x.transfer_id] = copy.deepcopy(x)

    def get(self, transfer_id: str) -> PreschoolTransfer | None:
        found = self.rows.get(transfer_id)
        return self._read(found) if found else None

    def get_many(self, transfer_ids: list[str]) -> list[PreschoolTransfer]:
        return [self._read(self.rows[i]) for i in transfer_ids if i in self.rows]

    def by_hashes(self, school_code: str, hashes: list[str]) -> dict[str, PreschoolTransfer]:
        return {
            x.document_hash: self._read(x)
            for x in self.rows.values()
            if x.school_code == school_code and x.document_hash in hashes
        }

    def by_request(self, school_code: str, request_id: str) -> PreschoolTransfer | None:
        found = [x for x in self.rows.values() if (x.school_code, x.request_id) == (school_code, request_id)]
        return self._read(found[0]) if found else None

    def holder_of(self, school_code: str, document_hash: str) -> str | None:
        found = [
            x for x in self.rows.values() if (x.school_code, x.document_hash) == (school_code, document_hash)
        ]
        return found[0].transfer_id if found else None

    def _pending(self, before: dt.datetime, after: tuple[dt.datetime, str] | None) -> list[PreschoolTransfer]:
        found = [
            x
            for x in self.rows.values()
            if x.match_status is MatchStatus.PENDING
            and x.updated_at < before
            and (after is None or (x.created_at, x.transfer_id) > after)
        ]
        return sorted(found, key=lambda x: (x.created_at, x.transfer_id))

    def pending(
        self, updated_before: dt.datetime, after: tuple[dt.datetime, str] | None, limit: int
    ) -> list[PreschoolTransfer]:
        return [self._read(x) for x in self._pending(updated_before, after)[:limit]]

    def count_pending(self, updated_before: dt.datetime, after: tuple[dt.datetime, str] | None) -> int:
        return len(self._pending(updated_before, after))

    def save(self, x: PreschoolTransfer, expected_version: int) -> None:
        stored = self.rows.get(x.transfer_id)
        if stored is None or stored.version != expected_version:
            raise ConcurrentModification("该学前调档信息已被他人修改，请刷新后重试")
        self._check_unique(x)
        x.version = expected_version + 1
        self.rows[x.transfer_id] = copy.deepcopy(x)

    def delete(self, x: PreschoolTransfer, expected_version: int) -> None:
        stored = self.rows.get(x.transfer_id)
        if stored is None or stored.version != expected_version:
            raise ConcurrentModification("该学前调档信息已被他人修改，请刷新后重试")
        del self.rows[x.transfer_id]

    def list(self, f: TransferFilter, offset: int, limit: int) -> tuple[list[PreschoolTransfer], int]:
        found = [
            t
            for t in map(self._read, self.rows.values())
            if (f.school_codes is None or t.school_code in f.school_codes)
            and t.identity.name.startswith(f.name_prefix)
            and (not f.document_hashes or t.document_hash in f.document_hashes)
            and (not f.category or t.category.value == f.category)
            and (not f.match_statuses or t.match_status.value in f.match_statuses)
            and (f.registration_started is None or (t.application_id is not None) == f.registration_started)
        ]
        found.sort(key=lambda t: t.transfer_id)
        found.sort(key=lambda t: t.created_at, reverse=True)
        return found[offset : offset + limit], len(found)


class FakeImports:
    def __init__(self, applications: FakeApplications) -> None:
        self.records: dict[str, ImportRecord] = {}
        self.stored: dict[str, dict[int, StoredRow]] = {}
        self._applications = applications

    def add(self, record: ImportRecord) -> None:
        assert record.import_id not in self.records
        self.records[record.import_id] = record

    def get(self, import_id: str) -> ImportRecord | None:
        return self.records.get(import_id)

    def by_request(self, school_code: str, request_id: str) -> ImportRecord | None:
        found = [
            r for r in self.records.values() if (r.school_code, r.request_id) == (school_code, request_id)
        ]
        return found[0] if found else None

    def add_rows(self, import_id: str, rows: list[StoredRow]) -> None:
        stored = self.stored.setdefault(import_id, {})
        for row in rows:
            assert row.row_number not in stored  # the primary key (import id, row number)
            stored[row.row_number] = row

    def active_application_holders(self, hashes: list[str]) -> dict[str, DocumentHolder]:
        return self._applications.active_holders(hashes)

    def rows(self, import_id: str, *, failed_only: bool = False) -> Iterator[StoredRow]:
        for number in sorted(self.stored.get(import_id, {})):
            row = self.stored[import_id][number]
            if not (failed_only and row.created_id):
                yield row

    def failed_rows_after(self, import_id: str, after: int, limit: int) -> list[StoredRow]:
        failed = (r for r in self.rows(import_id, failed_only=True) if r.row_number > after)
        return [StoredRow(r.row_number, None, None, r.errors) for r in itertools.islice(failed, limit)]

    def created_ids(self, import_id: str) -> list[str]:
        return [r.created_id for r in self.rows(import_id) if r.created_id]

    def oldest_before(self, cutoff: dt.datetime, limit: int) -> list[str]:
        old = sorted((r for r in self.records.values() if r.created_at < cutoff), key=lambda r: r.created_at)
        return [r.import_id for r in old[:limit]]

    def delete(self, import_ids: list[str]) -> None:
        for import_id in import_ids:
            self.records.pop(import_id, None)
            self.stored.pop(import_id, None)


class FakeRotation:
    """The key rotation's rows, over the other fakes' rows (nothing is encrypted in memory)."""

    def __init__(self, uow: FakeRegistrationUoW) -> None:
        self._uow = uow

    def _table(self, table: str) -> dict[str, Any]:
        uow = self._uow
        tables: dict[str, dict[str, Any]] = {
            "applications": uow.applications.rows,
            "student_records": uow.records.rows,
            "preschool_transfers": uow.transfers.rows,
        }
        return tables[table]

    def numbers(self, table: str, after: str, limit: int) -> list[StoredNumber]:
        rows = self._table(table)
        found = []
        for key in sorted(k for k in rows if k > after)[:limit]:
            row = rows[key]
            doc = row.identity.document
            extra: dict[str, str] = {}
            if table == "applications":
                extra = dict(state=row.state.value, record_id=row.record_id)
            elif table == "student_records":
                extra = dict(national_student_number=row.national_student_number)
            found.append(StoredNumber(key, doc.type.value, doc.number, row.document_hash, **extra))
        return found

    def records(self, record_ids: list[str]) -> list[StudentRecord]:
        return [copy.deepcopy(self._uow.records.rows[i]) for i in sorted(record_ids)]

    def set_hashes(self, table: str, pairs: list[tuple[str, str | None]]) -> None:
        rows = self._table(table)
        for key, digest in pairs:
            rows[key].document_hash = digest

    def save_records(self, records: list[StudentRecord], hash_key: str) -> None:
        rows = self._uow.records.rows
        if any(rows[r.record_id].version != r.version - 1 for r in records):
            raise ConcurrentModification("学籍在重算期间被修改，请重新运行")
        for r in records:
            rows[r.record_id].document_hash, rows[r.record_id].version = r.document_hash, r.version

    def announce(self, events: list[tuple[Message, str]], correlation_id: str) -> None:
        self._uow.publish_many(events)
        self._uow.correlations += [correlation_id] * len(events)

    def reencrypt(self, table: str, progress: Any = None) -> int:
        return 0


class FakeStudentNumbers:
    """The national tier's ReserveStudentNumber: one number per (owner, kind); a G number held by
    another owner (`taken`) is NumberTaken; `down` makes every call fail (try again later)."""

    def __init__(self) -> None:
        self.owners: dict[tuple[str, NumberKind], str] = {}
        self.taken: dict[str, str] = {}  # G number → its owner
        self.down = False
        self.batch_calls = 0
        self._sequence = itertools.count(1)

    def reserve(
        self,
        *,
        kind: NumberKind,
        owner_id: str,
        division_code: str,
        birth_date: dt.date,
        resident_id_number: str = "",
    ) -> str:
        if self.down:
            raise ConnectionError("national tier unavailable")
        if (owner_id, kind) not in self.owners:
            if kind is NumberKind.FORMAL:
                number = "G" + resident_id_number
                if self.taken.get(number, owner_id) != owner_id:
                    raise NumberTaken(number)
            else:
                number = f"L{division_code}{birth_date:%Y%m%d}{next(self._sequence):04d}"
            self.taken[number] = owner_id
            self.owners[(owner_id, kind)] = number
        return self.owners[(owner_id, kind)]

    def reserve_many(self, requests: Sequence[NumberRequest]) -> list[str | None]:
        """ReserveStudentNumbers: each as `reserve`, a taken G number None; `batch_calls` counts calls."""
        self.batch_calls += 1
        if self.down:
            raise ConnectionError("national tier unavailable")
        out: list[str | None] = []
        for r in requests:
            try:
                out.append(self.reserve(**dataclasses.asdict(r)))
            except NumberTaken:
                out.append(None)
        return out


class FakeRegistrationUoW(FakeUnitOfWork):
    def __init__(self, numbers: FakeStudentNumbers | None = None) -> None:
        super().__init__("registration")
        self.applications = FakeApplications()
        self.records = FakeRecords()
        self.files = FakeFiles()
        self.transfers = FakeTransfers(self.applications)
        self.imports = FakeImports(self.applications)
        self.rotation = FakeRotation(self)
        self.numbers = numbers or FakeStudentNumbers()
        self.collaborators = Collaborators(
            tree=TREE, hash_key=HASH_KEY, numbers=self.numbers, data_keys=KeyRing.from_texts(DEV_DATA_KEY)
        )
        self.envelopes: list[tuple[str, str, str, bytes]] = []  # (type, event id, aggregate id, bytes)
        self.correlations: list[str] = []
        self._pending_envelopes: list[tuple[str, str, str, bytes]] = []
        self._committed = self._state()

    def _state(self) -> dict[str, Any]:
        state: dict[str, Any] = copy.deepcopy(
            {
                "applications": self.applications.rows,
                "records": (self.records.rows, self.records.regions),
                "files": self.files.rows,
                "transfers": self.transfers.rows,
                "imports": (self.imports.records, self.imports.stored),
            }
        )
        return state

    def commit(self) -> None:
        super().commit()
        self.envelopes += self._pending_envelopes
        self._pending_envelopes = []
        self._committed = self._state()

    def rollback(self) -> None:
        super().rollback()
        self._pending_envelopes = []
        state = copy.deepcopy(self._committed)
        self.applications.rows = state["applications"]
        self.records.rows, self.records.regions = state["records"]
        self.files.rows = state["files"]
        self.transfers.rows = state["transfers"]
        self.imports.records, self.imports.stored = state["imports"]

    def publish_many(self, events: Iterable[tuple[Any, ...]]) -> int:
        pairs = [(event, aggregate_id) for event, aggregate_id, *_ in events]
        self._pending += pairs
        return len(pairs)

    def publish_envelopes(self, event_type: str, envelopes: list[tuple[str, str, bytes]]) -> int:
        self._pending_envelopes += [(event_type, *e) for e in envelopes]
        return len(envelopes)

    def events(self, name: str | None = None) -> list[Any]:
        """The committed events (of one type, by message name), oldest first."""
        return [e for e, _ in self.published if name is None or e.DESCRIPTOR.name == name]


def get(uow: FakeRegistrationUoW, app: Application) -> Application:
    found = uow.applications.get(app.application_id)
    assert found is not None
    return found


# The events of dedup and review as the consumer hands them over: each handler runs in an open unit
# of work (the consumer's, inbox claimed) and commits.


def dedup_completed(
    uow: FakeRegistrationUoW, app: Application, passed: bool = True, revision: int = 0, reason: str = ""
) -> None:
    with uow:
        revision = revision or app.revision
        flow.dedup_completed(
            uow, application_id=app.application_id, revision=revision, passed=passed, reason=reason
        )


def progressed(uow: FakeRegistrationUoW, app: Application, state: ApplicationState, unit: str) -> None:
    with uow:
        flow.review_progressed(
            uow, application_id=app.application_id, revision=app.revision, state=state, unit_code=unit
        )


def approved(uow: FakeRegistrationUoW, app: Application) -> None:
    with uow:
        flow.registration_approved(uow, application_id=app.application_id, revision=app.revision)


def through_review(uow: FakeRegistrationUoW, app: Application, *, up_to_province: bool = False) -> None:
    progressed(uow, app, ApplicationState.AWAITING_REPORT, SCHOOL)
    progressed(uow, app, ApplicationState.AWAITING_COUNTY_REVIEW, "330102")
    if up_to_province:
        progressed(uow, app, ApplicationState.AWAITING_CITY_REVIEW, "330100")
        progressed(uow, app, ApplicationState.AWAITING_PROVINCE_REVIEW, "330000")
    approved(uow, app)
