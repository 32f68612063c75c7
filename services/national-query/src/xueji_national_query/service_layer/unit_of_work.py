"""The national-query unit of work as the use cases see it: the read model of national records,
captcha challenges and the lookup audit, in one transaction with the events published.

`NationalQueryUoW` is what the use cases see (a protocol: the SQL one is adapters/unit_of_work.py,
the in-memory one tests/unit/nq_fakes.py); `Records`, `Captchas` and `Audit` are its repositories,
`RowWriter` the bulk writer of a load and `HoldingsFeed` the national dedup's side of it.
"""

from __future__ import annotations

import datetime as dt
from typing import Protocol

from xueji_common.db.uow import UnitOfWork
from xueji_common.orgunits import OrgTree
from xueji_national_query.domain.captcha import Challenge
from xueji_national_query.domain.lookup import AuditEntry
from xueji_national_query.domain.preschool import MatchKey
from xueji_national_query.domain.records import NationalRecord, StoredHead

LoadedRow = tuple[object, ...]  # domain.load_rows.RowParser.ROW_FIELDS, in that order


class Records(Protocol):
    """The read model. A national student number is one student's for life: a snapshot replaces a
    record holding it under another id (loaded from a file before the events arrived)."""

    def get(self, record_id: str) -> NationalRecord | None: ...
    def heads(self, record_ids: list[str], numbers: list[str]) -> list[StoredHead]:
        """The stored rows of these ids or holding these numbers, locked in id order."""

    def write(
        self, deleted: list[str], updated: list[tuple[NationalRecord, int]], inserted: list[NationalRecord]
    ) -> None:
        """Deletes, then updates (each guarded by the stored version given with it: one that moved
        raises ConcurrentModification), then inserts, in bulk."""

    def open_group_counts(self, record_ids: list[str]) -> dict[str, int]:
        """How many open problem groups each record is in (records in none are left out)."""

    def open_group(self, group_id: str, record_ids: list[str]) -> None:
        """The records are in the group (repeats ignored) and flagged as problem records."""

    def close_group(self, group_id: str, record_ids: list[str]) -> None:
        """Closes the group for these records (all of its records when none are named); a record in
        no open group any more loses its flag."""

    def by_document(self, name: str, hashes: list[str]) -> list[NationalRecord]:
        """Records of the name holding any of the hashes, newest change first."""

    def by_student_number(self, name: str, student_number: str) -> list[NationalRecord]: ...
    def preschool_matching(self, keys: list[MatchKey]) -> list[NationalRecord]:
        """In one statement, every record a key may answer with: those whose document hash or
        (name, gender, birth date) is one of the keys' (domain/preschool.py::keys_of), any order."""


class Captchas(Protocol):
    def add(self, challenge: Challenge) -> None: ...
    def claim(self, captcha_id: str, now: dt.datetime) -> tuple[Challenge | None, bool]:
        """Marks the challenge used; (challenge, True) when this call was the first to use it."""

    def purge_expired(self, before: dt.datetime) -> None: ...


class Audit(Protocol):
    def record(self, entry: AuditEntry) -> None: ...


class RowWriter(Protocol):
    """Writes loaded rows into the read model in the unit of work's transaction."""

    def add(self, rows: list[LoadedRow]) -> None: ...
    def finish(self) -> tuple[int, int]:
        """(rows inserted, rows updated); the rows are in the transaction, not yet committed."""

    def abort(self, failure: BaseException) -> None: ...


class HoldingsFeed(Protocol):
    """The national dedup's holdings load fed the same batches (adapters.holdings_feed)."""

    def add(self, rows: list[LoadedRow]) -> None: ...
    def end(self) -> None:
        """No more batches."""

    def finish(self) -> int:
        """Waits until the national dedup committed; how many holdings it wrote."""

    def abort(self, failure: BaseException) -> None: ...


class NationalQueryUoW(UnitOfWork, Protocol):
    # Read-only members (properties), so that a fake's own repository classes fulfil them.
    @property
    def records(self) -> Records: ...
    @property
    def captchas(self) -> Captchas: ...
    @property
    def audit(self) -> Audit: ...
    @property
    def hash_key(self) -> str:
        """The key of the document hashes and captcha digests."""

    @property
    def tree(self) -> OrgTree | None: ...

    def row_writer(self) -> RowWriter:
        """The bulk writer of a load, in this transaction (inside `with uow`)."""
