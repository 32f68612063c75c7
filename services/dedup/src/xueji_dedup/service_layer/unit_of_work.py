"""The dedup unit of work as the use cases see it: both tiers' tables (the national tier's
reservations, holdings and numbers; the province tier's index; problem groups; the deliveries of
cross-province groups; what a hash-key rotation re-keys), in one transaction with the events.

`DedupUoW` is what the use cases see (a protocol: the SQL one is adapters/unit_of_work.py, the
in-memory one tests/unit/dedup_fakes.py). Rows the use cases read are described by protocols of
their columns (`IndexedApplication`...): the SQL repositories return rows, the fakes dataclasses.

The inbox claim of an event (or of a batch's events) is deferred to the first write (`claim_now`) or
to commit, and a handler
ends its reads (`end_reads`) before it calls another service: on SQLite (embedded mode) a
transaction holds the file's write lock from its first statement, so a handler must not hold one
while it waits on a remote answer.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Protocol

from xueji_common.db.uow import PublishItem, UnitOfWork
from xueji_common.orgunits import OrgTree
from xueji_dedup.domain.checks import Holding
from xueji_dedup.domain.problems import GroupStatus, ProblemGroup, ProblemKind

Values = dict[str, object]  # a row's columns by name, as written
Document = tuple[str, str]  # (document type code, keyed hash)
GroupFound = tuple[ProblemGroup, Sequence[object], Sequence[object]]  # (group, its actions, its proofs)


@dataclass
class Reservation:
    reservation_id: str
    document_type: str
    document_hash: str
    application_id: str
    province_code: str
    school_code: str
    state: str  # active | committed | released | expired
    record_id: str
    national_student_number: str
    release_reason: str
    create_time: dt.datetime
    expire_time: dt.datetime
    update_time: dt.datetime


@dataclass(frozen=True)
class Delivery:
    sequence: int
    event_id: str
    event_type: str
    payload: bytes
    corrected_number: str = ""  # opened for the pulling province only (service_layer.national_problems.pull)


class OwnedNumber(Protocol):
    @property
    def number_hash(self) -> str: ...
    @property
    def kind(self) -> str: ...
    @property
    def owner_id(self) -> str: ...
    @property
    def national_student_number(self) -> str:
        """In clear for L and J numbers; empty for G numbers (kept only as a hash)."""


class IndexedApplication(Protocol):
    """An application the province tier checked (province_applications)."""

    @property
    def application_id(self) -> str: ...
    @property
    def revision(self) -> int: ...
    @property
    def category(self) -> str: ...
    @property
    def document_hash(self) -> str: ...
    @property
    def outcome(self) -> str: ...
    @property
    def reason(self) -> str: ...
    @property
    def reservation_id(self) -> str: ...
    @property
    def state(self) -> str:
        """active | withdrawn ("returned" in rows written before dedup stopped hearing returns)"""


class IndexedRecord(Protocol):
    """A record of the province (province_records)."""

    @property
    def record_id(self) -> str: ...
    @property
    def application_id(self) -> str: ...
    @property
    def school_code(self) -> str: ...
    @property
    def category(self) -> str: ...
    @property
    def document_type(self) -> str: ...
    @property
    def document_hash(self) -> str: ...
    @property
    def document_masked(self) -> str: ...
    @property
    def national_student_number(self) -> str: ...
    @property
    def temporary_number(self) -> bool: ...
    @property
    def name(self) -> str: ...
    @property
    def gender(self) -> int: ...
    @property
    def birth_date(self) -> dt.date | None: ...
    @property
    def snapshot_version(self) -> int: ...


class HeldCopy(Protocol):
    @property
    def version(self) -> int: ...
    @property
    def reporting_province(self) -> str: ...


class NumberToRekey(Protocol):
    @property
    def number_hash(self) -> str: ...
    @property
    def national_student_number(self) -> str: ...
    @property
    def owner_id(self) -> str: ...
    @property
    def kind(self) -> str: ...


class NationalHoldings(Protocol):
    """The national tier: reservations, record holdings, student numbers. A document is held by one
    ACTIVE or COMMITTED reservation at most (a unique index: `try_reserve` loses to another)."""

    def reservation(self, reservation_id: str, *, for_update: bool = False) -> Reservation | None: ...
    def reservations_of(self, reservation_ids: list[str]) -> dict[str, Reservation]:
        """The reservations found of these ids, locked in id order."""

    def holding_reservation(self, document_type: str, document_hash: str) -> Reservation | None: ...
    def expire_stale(self, document_type: str, document_hash: str, now: dt.datetime) -> None: ...
    def try_reserve(self, values: Values) -> str | None:
        """Insert a reservation unless the document is held; returns its id, or None if it lost."""

    def expire_stale_of(self, documents: list[Document], now: dt.datetime) -> None:
        """expire_stale of every document, in one statement."""

    def holding_reservations(self, documents: list[Document]) -> dict[Document, Reservation]:
        """holding_reservation of every document (those held), in one statement."""

    def record_holdings_of(self, documents: list[Document]) -> dict[Document, list[Holding]]:
        """The records holding each document (holdings' RECORD part, no exception), in one statement."""

    def try_reserve_many(self, rows: list[Values]) -> dict[Document, Reservation]:
        """try_reserve of each row (one per document, every column but the id), in one statement:
        the reservations inserted, by document (a row whose document is held is skipped)."""

    def save_reservation(self, r: Reservation) -> None: ...
    def save_reservations(self, saved: list[Reservation]) -> None: ...
    def record_document(self, record_id: str) -> tuple[str, str] | None: ...
    def follow_record(
        self, record_id: str, held: tuple[str, str], document_type: str, document_hash: str, now: dt.datetime
    ) -> bool:
        """The record's committed reservation moves with its holding (released where another holds
        the new document). True when it moved."""

    def upsert_record(self, values: Values) -> None: ...
    def upsert_records(self, rows: list[Values]) -> None:
        """Every row with the same keys."""

    def remove_record(self, record_id: str) -> bool: ...
    def release_committed(self, record_id: str, reason: str, now: dt.datetime) -> None: ...
    def holdings(
        self,
        document_type: str,
        document_hash: str,
        now: dt.datetime,
        *,
        except_application: str = "",
        except_record: str = "",
    ) -> list[Holding]:
        """Records holding the document, then open reservations (of other applications)."""

    def number_of_owner(self, owner_id: str, kind: str) -> OwnedNumber | None: ...
    def try_take_number(
        self, number_hash: str, kind: str, owner_id: str, number: str, now: dt.datetime
    ) -> bool: ...
    def number_owner(self, number_hash: str) -> str | None: ...
    def rekey_number(self, old_hash: str, new_hash: str, now: dt.datetime) -> None: ...
    def numbers_of_owners(self, owner_ids: Iterable[str]) -> list[OwnedNumber]:
        """The numbers these owners hold (any kind), in one statement."""

    def number_owners(self, number_hashes: Iterable[str]) -> dict[str, str]:
        """number hash → its owner, of those held, in one statement."""

    def take_numbers(self, rows: list[tuple[str, str, str, str]], now: dt.datetime) -> set[tuple[str, str]]:
        """try_take_number for (number hash, kind, owner id, number) rows in one statement; the
        (number hash, owner id) taken (a row whose number or owner's kind is held is skipped)."""


class ProvinceIndex(Protocol):
    """The province tier's index: the applications it checks and the records of the province. A
    record deleted as a duplicate (here or at the national tier) stays indexed but holds nothing."""

    def application(self, application_id: str) -> IndexedApplication | None: ...
    def applications_of(self, application_ids: list[str]) -> dict[str, IndexedApplication]: ...
    def save_application(self, values: Values) -> None: ...
    def save_check(self, values: Values) -> bool:
        """Store the check of an application revision (insert, or update an older revision's), in one
        statement; False when the stored revision is already this one or a newer (checked meanwhile
        by another handler: nothing is written)."""

    def applications_by_ids(self, application_ids: Sequence[str]) -> dict[str, IndexedApplication]:
        """The stored checks of these applications, by id (one read)."""

    def save_checks(self, rows: Sequence[Values]) -> set[str]:
        """`save_check` of each (one statement; at most one row per application); the ids stored."""

    def update_application(self, application_id: str, **values: object) -> None: ...
    def lock_record(self, record_id: str) -> None:
        """Until the transaction ends, the record's problem groups are this transaction's to change."""

    def note_national_member(self, group_id: str, record_id: str, status: str) -> None:
        """status "pending" keeps an existing note; another one replaces it."""

    def national_groups_of(self, record_id: str, *, status: str | None = None) -> list[str]: ...
    def record(self, record_id: str) -> IndexedRecord | None: ...
    def save_record(self, values: Values) -> None: ...
    def write_records(self, updated: list[tuple[Values, int]], inserted: list[Values]) -> None:
        """Updates (each guarded by the snapshot version given with it: one that moved raises
        ConcurrentModification), then inserts, in bulk."""

    def record_holdings(
        self, document_type: str, document_hash: str, *, except_application: str = "", except_record: str = ""
    ) -> list[Holding]: ...
    def record_holdings_of_each(
        self, documents: Sequence[tuple[str, str]]
    ) -> dict[tuple[str, str], list[Holding]]:
        """`record_holdings` of each (type, hash), in one read (a document held by none: absent)."""

    def records_by_ids(self, record_ids: list[str]) -> Sequence[IndexedRecord]: ...
    def no_document_twins(
        self, name: str, gender: int, birth_date: dt.date, county_code: str, record_id: str
    ) -> Sequence[IndexedRecord]: ...


class Problems(Protocol):
    """Problem groups with their students, audit actions and proof files. Each read returns the group
    as stored (its own copy); `save` checks the version (ConcurrentModification) and increments it."""

    def get(self, group_id: str) -> ProblemGroup | None: ...
    def open_group(self, kind: ProblemKind, match_key: str) -> ProblemGroup | None: ...
    def open_group_locked(self, kind: ProblemKind, match_key: str) -> ProblemGroup | None: ...
    def try_add(self, group: ProblemGroup) -> bool:
        """Add an open group unless one of its (kind, key) is open already (a unique index)."""

    def groups_of_record(self, record_id: str) -> list[ProblemGroup]: ...
    def record_deleted(self, record_id: str) -> bool: ...
    def held_copy(self, group_id: str) -> HeldCopy | None: ...
    def put_reported(self, group: ProblemGroup, actions: list[Values]) -> None: ...
    def add(self, group: ProblemGroup) -> None: ...
    def save(self, group: ProblemGroup, expected_version: int) -> None: ...
    def note_record_version(self, group_id: str, record_id: str, record_version: int) -> None:
        """The copy is of this newer record version (its data unchanged): the group's version stays."""

    def list(
        self,
        *,
        unit_level: int,
        unit_code: str,
        kinds: Sequence[ProblemKind],
        statuses: Sequence[GroupStatus],
        resolver_level: int,
        name: str,
        national_student_number: str,
        province_code: str,
        offset: int,
        limit: int,
    ) -> tuple[list[ProblemGroup], int]: ...
    def add_action(self, values: Values) -> None: ...
    def actions(self, group_id: str) -> Sequence[object]: ...
    def add_proof(self, values: Values) -> None: ...
    def proofs(self, group_id: str) -> Sequence[object]: ...


class Deliveries(Protocol):
    """The national tier's announcements to each province, and each province's cursor."""

    def append(self, province_code: str, event_type: str, payload: bytes, at: dt.datetime) -> Delivery: ...
    def after(self, province_code: str, after_sequence: int, limit: int) -> list[Delivery]: ...
    def cursor(self, province_code: str, *, for_update: bool = False) -> int: ...
    def move_cursor(self, province_code: str, after_sequence: int, at: dt.datetime) -> None: ...


class RotationRows(Protocol):
    """What a hash-key rotation re-keys or purges (service_layer.rotation)."""

    def clear_numbers(self, after: tuple[str, str], limit: int) -> Sequence[NumberToRekey]: ...
    def rekey_numbers(self, pairs: list[tuple[str, str]], at: dt.datetime) -> None: ...
    def no_document_groups(self) -> dict[str, tuple[str, str, int, dt.date, str]]:
        """Per no-document group: (match key, name, gender, birth date, county)."""

    def set_group_key(self, group_id: str, match_key: str, at: dt.datetime) -> None: ...
    def rekey_groups(self, kind: str, old_key: str, new_key: str, at: dt.datetime) -> int: ...
    def purge(self, since: dt.datetime, at: dt.datetime) -> dict[str, int]: ...


HoldingColumnsBatch = tuple[list[str], list[str], list[str], list[str], list[str], list[str]]


class HoldingsWriter(Protocol):
    """The bulk load of existing records' holdings, in the unit of work's transaction."""

    def add(self, columns: HoldingColumnsBatch) -> None: ...
    def abort(self, failure: BaseException) -> None: ...
    def finish(self) -> int:
        """How many holdings were written."""


class DataKeys(Protocol):
    def encrypt(self, plaintext: str, purpose: str) -> str: ...
    def decrypt(self, value: str, purpose: str) -> str: ...


class DedupUoW(UnitOfWork, Protocol):
    # Read-only members (properties), so that a fake's own repository classes fulfil them.
    @property
    def national(self) -> NationalHoldings: ...
    @property
    def province(self) -> ProvinceIndex: ...
    @property
    def problems(self) -> Problems: ...
    @property
    def rotation(self) -> RotationRows: ...
    @property
    def deliveries(self) -> Deliveries: ...

    # What event handlers need besides the database (they receive only the unit of work).
    @property
    def hash_key(self) -> str: ...
    @property
    def tree(self) -> OrgTree: ...
    @property
    def scope(self) -> str:
        """ "national" or "province": the tier this service plays."""

    @property
    def data_keys(self) -> DataKeys:
        """Seals a corrected number into ProblemResolved (adapters.events)."""

    def publish_many(self, events: Iterable[PublishItem]) -> int: ...
    def claim_now(self) -> None:
        """Write the deferred inbox claim (AlreadyHandled for a redelivered event)."""

    def claim_delivery(self, event_id: str, event_type: str) -> bool:
        """Claim a delivery of the national tier in the inbox now; False when it was handled before."""

    def end_reads(self) -> None:
        """End the read-only transaction opened so far (releases SQLite's lock before calling out)."""

    def read_outside_transaction(self) -> None:
        """The reads from here to `end_reads` (or `claim_now`) need no transaction: on PostgreSQL
        each runs alone (autocommit: no BEGIN, no ROLLBACK); SQLite reads in a transaction that
        `end_reads` ends, as before. Only before the first statement of the unit of work."""

    def holdings_writer(self, at: dt.datetime) -> HoldingsWriter:
        """The bulk writer of record holdings (inside `with uow`)."""


class HoldingsReader(Protocol):
    """The national tier's document checks, read only and outside any transaction (the hot path:
    adapters/holdings_reads.py, one statement on an autocommit connection)."""

    def holdings(
        self, document_type: str, document_hash: str, now: dt.datetime, except_application: str = ""
    ) -> list[Holding]: ...
    def holdings_of_each(
        self, documents: list[tuple[str, str]], now: dt.datetime
    ) -> dict[tuple[str, str], list[Holding]]:
        """Every holding of each asked document (an unheld document maps to an empty list)."""
