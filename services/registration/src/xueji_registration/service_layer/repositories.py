"""The repositories of the registration unit of work as the use cases see them (protocols: the SQL
ones are in adapters/, the in-memory ones in tests/unit/registration_fakes.py), the queries they
take and the rows they hand back that are not domain objects.

Every read returns its own copy: a change is kept only by `save` (or `delete`), which checks the
version read (optimistic concurrency) and raises ConcurrentModification when it moved on.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import NamedTuple, Protocol

from xueji_common.documents import DocumentCategory, ValidDocument
from xueji_common.vocabulary import RegistrationKind
from xueji_registration.domain.batches import SubmittedBatch
from xueji_registration.domain.files import Purpose
from xueji_registration.domain.model import (
    Application,
    ApplicationState,
    AuthenticationStatus,
    DocumentHolder,
)
from xueji_registration.domain.preschool import PreschoolTransfer
from xueji_registration.domain.records import NumberKind, StudentRecord


class ConcurrentEntry(Exception):
    """Another transaction entered a live application for the same document at the same time
    (ux_applications_live_document), or the two deadlocked doing so. This transaction is lost: run
    the use case again, and its own checks then see the other's application."""


class DuplicateTransfer(Exception):
    """A preschool transfer with the same document (or the same request) was added meanwhile by
    another transaction (the unique indexes of preschool_transfers); this transaction is lost."""


@dataclass(frozen=True)
class ApplicationQuery:
    """Filters of the registration query (学籍注册查询); None / empty means any."""

    area_column: str = ""  # "school_code", "county_code", "city_code", "province_code" or "" (all)
    area_code: str = ""
    kind: RegistrationKind | None = None
    category: DocumentCategory | None = None
    states: tuple[ApplicationState, ...] = ()
    authentication: AuthenticationStatus | None = None
    handling_unit_code: str = ""
    name_prefix: str = ""
    document_hash: str = ""
    grade: str = ""
    submitted_after: dt.datetime | None = None
    submitted_before: dt.datetime | None = None


@dataclass(frozen=True)
class RecordQuery:
    area_column: str = ""
    area_code: str = ""
    category: DocumentCategory | None = None
    number_kind: NumberKind | None = None
    problem_record: bool | None = None
    name_prefix: str = ""
    national_student_number: str = ""
    grade: str = ""


@dataclass(frozen=True)
class TransferFilter:
    school_codes: tuple[str, ...] | None = None  # None: every school (system callers)
    name_prefix: str = ""
    # any of these (one per document type: the number's type is unknown)
    document_hashes: tuple[str, ...] = ()
    category: str = ""
    match_statuses: tuple[str, ...] = ()
    registration_started: bool | None = None


@dataclass(frozen=True)
class StoredFile:
    file_id: str
    school_code: str
    purpose: Purpose
    file_name: str
    content_type: str
    size_bytes: int
    storage_key: str
    uploaded_by: str
    uploaded_at: dt.datetime
    application_id: str = ""


@dataclass(frozen=True)
class ImportRecord:
    import_id: str
    school_code: str
    template: str  # domain.template.columns.Template.key
    kind: str | None
    category: str | None
    file_name: str
    rows_total: int
    rows_passed: int
    rows_failed: int
    request_id: str | None
    created_by: str
    created_by_role: str
    created_by_unit: str
    created_at: dt.datetime


class DocumentOf(NamedTuple):
    """An application's document in clear, its keyed hash and the revision they are of."""

    document: ValidDocument
    document_hash: str
    revision: int


class StoredRow(NamedTuple):
    """One row's outcome; the fields are the import_rows columns of the same names."""

    row_number: int
    created_id: str | None
    cells: list[str] | None
    errors: list[list[str]] | None  # [[column, field, message], ...]


class Applications(Protocol):
    def add_many(self, apps: list[Application]) -> None:
        """Raises ConcurrentEntry when a live application of one of their documents committed meanwhile."""

    def add_batch(self, batch: SubmittedBatch) -> None:
        """`add_many` of an import chunk's applications (what they share stored once)."""

    def active_holders(self, hashes: Iterable[str]) -> dict[str, DocumentHolder]:
        """Which of these document hashes an application not withdrawn carries (a record first)."""

    def get(self, application_id: str) -> Application | None: ...
    def get_many(self, application_ids: Iterable[str]) -> dict[str, Application]:
        """application id → application, those found; locked until the transaction ends, taken in
        id order (two batches never wait for each other in a circle)."""

    def document_numbers(self, application_ids: Sequence[str]) -> dict[str, DocumentOf]:
        """The document, its hash and the revision of each of these applications that exists (one read)."""

    def by_request(self, school_code: str, request_id: str) -> Application | None: ...
    def save(self, app: Application, expected_version: int) -> None:
        """The version moves on by one; ConcurrentModification, or ConcurrentEntry as `add_many`."""

    def save_flow_changes(self, changes: Sequence[tuple[Application, int]]) -> None:
        """(application, version it was read at) in one statement: what the flow's transitions change
        (state, authentication, dedup failure reason, handling unit, record id, update time) and
        the version as the caller moved it on; ConcurrentModification when a row's version moved."""

    def list(self, query: ApplicationQuery, *, offset: int, limit: int) -> tuple[list[Application], int]:
        """One page, newest submission first (then application id), and the total matching."""


class Records(Protocol):
    def add(self, record: StudentRecord, *, county_code: str, city_code: str) -> None: ...
    def get(self, record_id: str) -> StudentRecord | None: ...
    def by_number(self, number: str) -> StudentRecord | None: ...
    def for_application(self, application_id: str) -> StudentRecord | None: ...
    def for_applications(self, application_ids: Iterable[str]) -> dict[str, StudentRecord]:
        """application id → its record, those that have one."""

    def add_many(self, records: Sequence[tuple[StudentRecord, str, str]]) -> None:
        """(record, county code, city code) in one statement, as `add` of each."""

    def numbers_of(self, record_ids: Iterable[str]) -> dict[str, str]:
        """record id → national student number."""

    def save(self, record: StudentRecord, expected_version: int) -> None:
        """The domain already moved the version on (it travels in events)."""

    def list(self, query: RecordQuery, *, offset: int, limit: int) -> tuple[list[StudentRecord], int]:
        """One page, newest first (then record id), and the total matching."""


class Files(Protocol):
    def add(self, f: StoredFile, content: bytes) -> None: ...
    def get_many(self, file_ids: Iterable[str]) -> dict[str, StoredFile]: ...
    def attach(self, file_ids: Iterable[str], application_id: str) -> None:
        """InvalidArgument when one of them is gone or attached to another application."""

    def delete_unattached(self, uploaded_before: dt.datetime, limit: int) -> list[str]:
        """The oldest `limit` files attached to nothing and uploaded before: deleted, their storage keys."""


class Transfers(Protocol):
    """Preschool transfers; each read carries the registration started for it (the live application)."""

    def add_many(self, transfers: list[PreschoolTransfer]) -> None:
        """Raises DuplicateTransfer when one of their documents or requests is in the school already."""

    def get(self, transfer_id: str) -> PreschoolTransfer | None: ...
    def get_many(self, transfer_ids: list[str]) -> list[PreschoolTransfer]: ...
    def by_hashes(self, school_code: str, hashes: list[str]) -> dict[str, PreschoolTransfer]: ...
    def by_request(self, school_code: str, request_id: str) -> PreschoolTransfer | None: ...
    def holder_of(self, school_code: str, document_hash: str) -> str | None:
        """The id of the school's transfer holding this document hash."""

    def pending(
        self, updated_before: dt.datetime, after: tuple[dt.datetime, str] | None, limit: int
    ) -> list[PreschoolTransfer]:
        """Still 匹配中 and last matched before `updated_before`, in (created_at, transfer_id) order
        after `after`."""

    def count_pending(self, updated_before: dt.datetime, after: tuple[dt.datetime, str] | None) -> int: ...
    def save(self, x: PreschoolTransfer, expected_version: int) -> None:
        """The version moves on by one; DuplicateTransfer as `add_many`."""

    def delete(self, x: PreschoolTransfer, expected_version: int) -> None: ...
    def list(self, f: TransferFilter, offset: int, limit: int) -> tuple[list[PreschoolTransfer], int]:
        """One page, newest first (then transfer id), and the total matching."""


class Imports(Protocol):
    def add(self, record: ImportRecord) -> None: ...
    def get(self, import_id: str) -> ImportRecord | None: ...
    def by_request(self, school_code: str, request_id: str) -> ImportRecord | None: ...
    def add_rows(self, import_id: str, rows: list[StoredRow]) -> None: ...
    def active_application_holders(self, hashes: list[str]) -> dict[str, DocumentHolder]:
        """`Applications.active_holders` for a chunk of an import (one query)."""

    def failed_rows_after(self, import_id: str, after: int, limit: int) -> list[StoredRow]:
        """The first `limit` failed rows after row number `after`, their reasons only (no cells)."""

    def created_ids(self, import_id: str) -> list[str]:
        """What the passed rows created, in row order."""

    def rows(self, import_id: str, *, failed_only: bool = False) -> Iterator[StoredRow]: ...
    def oldest_before(self, cutoff: dt.datetime, limit: int) -> list[str]:
        """The ids of the oldest `limit` imports made before `cutoff`."""

    def delete(self, import_ids: list[str]) -> None:
        """The imports and all their rows."""
