"""The national-query unit of work in memory (service_layer/unit_of_work.py::NationalQueryUoW).

Behaves as the SQL one does (adapters/records.py, adapters/lookups.py): records are replaced whole
(frozen), a national student number held under another record id is replaced by `put`, a captcha is
claimed once, and what a transaction changed is kept by `commit` and undone by `rollback` (leaving
the `with` block without a commit rolls back, as the session does)."""

from __future__ import annotations

import copy
import datetime as dt
from dataclasses import replace
from typing import Any

from xueji_common.errors import ConcurrentModification
from xueji_common.orgunits import OrgTree
from xueji_common.testing.fake_uow import FakeUnitOfWork
from xueji_national_query.domain.captcha import Challenge
from xueji_national_query.domain.lookup import AuditEntry
from xueji_national_query.domain.preschool import MatchKey, keys_of
from xueji_national_query.domain.records import NationalRecord, StoredHead
from xueji_national_query.service_layer.unit_of_work import LoadedRow


class FakeRecords:
    def __init__(self) -> None:
        self.rows: dict[str, NationalRecord] = {}
        self.groups: set[tuple[str, str]] = set()  # (group id, record id): record_problems

    def get(self, record_id: str) -> NationalRecord | None:
        return self.rows.get(record_id)

    def put(self, record: NationalRecord, *, exists: bool) -> None:
        """A test's setup: a record stored as the SQL put of old did (a loaded record, say)."""
        assert exists == (record.record_id in self.rows)  # an UPDATE, or an INSERT of a new key
        for other in [r for r in self.rows.values() if r.record_id != record.record_id]:
            if other.national_student_number == record.national_student_number:
                del self.rows[other.record_id]
        self.rows[record.record_id] = record

    def heads(self, record_ids: list[str], numbers: list[str]) -> list[StoredHead]:
        found = [
            r for r in self.rows.values() if r.record_id in record_ids or r.national_student_number in numbers
        ]
        return [
            StoredHead(r.record_id, r.version, r.national_student_number)
            for r in sorted(found, key=lambda r: r.record_id)
        ]

    def write(
        self, deleted: list[str], updated: list[tuple[NationalRecord, int]], inserted: list[NationalRecord]
    ) -> None:
        for record_id in deleted:
            del self.rows[record_id]
        for record, version in updated:
            if self.rows[record.record_id].version != version:
                raise ConcurrentModification("学籍已被并发修改")
            self.rows[record.record_id] = record
        for record in inserted:
            assert record.record_id not in self.rows  # the primary key
            assert record.national_student_number not in {
                r.national_student_number for r in self.rows.values()
            }
            self.rows[record.record_id] = record
        assert len({r.national_student_number for r in self.rows.values()}) == len(self.rows)  # unique

    def open_group_counts(self, record_ids: list[str]) -> dict[str, int]:
        return {r: n for r in record_ids if (n := self.open_groups(r))}

    def open_groups(self, record_id: str) -> int:
        return sum(1 for _, r in self.groups if r == record_id)

    def open_group(self, group_id: str, record_ids: list[str]) -> None:
        self.groups |= {(group_id, r) for r in record_ids}
        for r in record_ids:
            if r in self.rows:
                self.rows[r] = replace(self.rows[r], problem=True)

    def close_group(self, group_id: str, record_ids: list[str]) -> None:
        affected = record_ids or [r for g, r in self.groups if g == group_id]
        self.groups -= {(group_id, r) for r in affected}
        for r in affected:
            if r in self.rows and not self.open_groups(r):
                self.rows[r] = replace(self.rows[r], problem=False)

    def by_document(self, name: str, hashes: list[str]) -> list[NationalRecord]:
        found = [r for r in self.rows.values() if r.document_hash in hashes and r.name == name]
        return sorted(found, key=lambda r: r.changed_at, reverse=True)

    def by_student_number(self, name: str, student_number: str) -> list[NationalRecord]:
        return [
            r for r in self.rows.values() if r.national_student_number == student_number and r.name == name
        ]

    def preschool_matching(self, keys: list[MatchKey]) -> list[NationalRecord]:
        asked = set(keys)
        return [r for r in self.rows.values() if asked & set(keys_of(r))]


class FakeCaptchas:
    def __init__(self) -> None:
        self.rows: dict[str, Challenge] = {}

    def add(self, challenge: Challenge) -> None:
        assert challenge.captcha_id not in self.rows  # the primary key
        self.rows[challenge.captcha_id] = challenge

    def claim(self, captcha_id: str, now: dt.datetime) -> tuple[Challenge | None, bool]:
        found = self.rows.get(captcha_id)
        if found is None:
            return None, False
        if found.used_time is not None:
            return found, False
        self.rows[captcha_id] = replace(found, used_time=now)
        return self.rows[captcha_id], True

    def purge_expired(self, before: dt.datetime) -> None:
        self.rows = {k: c for k, c in self.rows.items() if c.expire_time >= before}


class FakeAudit:
    def __init__(self) -> None:
        self.rows: list[AuditEntry] = []

    def record(self, entry: AuditEntry) -> None:
        self.rows.append(entry)

    def entries(self, user_id: str | None = None) -> list[dict[str, Any]]:
        return [e._asdict() for e in self.rows if user_id is None or e.user_id == user_id]


class FakeRowWriter:
    """Takes every row as new (the upsert rules of a reload are the SQL writer's, tested there)."""

    def __init__(self) -> None:
        self.rows: list[LoadedRow] = []
        self.aborted: BaseException | None = None

    def add(self, rows: list[LoadedRow]) -> None:
        self.rows += rows

    def finish(self) -> tuple[int, int]:
        return len(self.rows), 0

    def abort(self, failure: BaseException) -> None:
        self.aborted = failure


class FakeNationalQueryUoW(FakeUnitOfWork):
    def __init__(self, hash_key: str = "test-key", tree: OrgTree | None = None) -> None:
        super().__init__("national-query")
        self.hash_key, self.tree = hash_key, tree
        self.records = FakeRecords()
        self.captchas = FakeCaptchas()
        self.audit = FakeAudit()
        self.writer = FakeRowWriter()
        self._saved = self._state()

    def _state(self) -> dict[str, dict[str, Any]]:
        return {name: copy.deepcopy(vars(getattr(self, name))) for name in ("records", "captchas", "audit")}

    def row_writer(self) -> FakeRowWriter:
        return self.writer

    def commit(self) -> None:
        super().commit()
        self._saved = self._state()

    def rollback(self) -> None:
        super().rollback()
        for name, state in self._saved.items():
            vars(getattr(self, name)).update(copy.deepcopy(state))
