"""The dedup unit of work and its peers in memory (service_layer/unit_of_work.py::DedupUoW,
service_layer/ports.py::Peers).

The repositories behave as the SQL ones do (adapters/*_store.py, adapters/problem_repository.py):
reads return copies, a group's save checks and increments its version, a document is held by one
ACTIVE or COMMITTED reservation at most, a number hash and an (owner, kind) are taken once. What a
transaction changed is kept by `commit` and undone by `rollback`, by `end_reads` and by leaving the
`with` block (as the session does); the inbox claim is deferred to the first write, as the SQL one.

The peers (the national tier, the population register, registration): tests/unit/dedup_fake_peers.py.
"""

from __future__ import annotations

import copy
import datetime as dt
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from typing import Any

from xueji_common.db.uow import AlreadyHandled
from xueji_common.errors import ConcurrentModification
from xueji_common.orgunits import OrgTree
from xueji_common.testing.fake_uow import FakeUnitOfWork
from xueji_dedup.domain.checks import Holding, HoldingKind
from xueji_dedup.domain.problems import GroupStatus, ProblemGroup, ProblemKind, StudentStatus
from xueji_dedup.service_layer.unit_of_work import Delivery, HoldingColumnsBatch, Reservation, Values

HOLDING_STATES = ("active", "committed")


@dataclass
class ApplicationRow:
    application_id: str
    revision: int
    school_code: str
    kind: str
    category: str
    document_type: str
    document_hash: str
    document_masked: str
    outcome: str
    reason_code: str
    reason: str
    reservation_id: str
    state: str
    update_time: dt.datetime


@dataclass
class RecordRow:
    record_id: str
    application_id: str
    school_code: str
    county_code: str
    category: str
    document_type: str
    document_hash: str
    document_masked: str
    national_student_number: str
    temporary_number: bool
    name: str
    gender: int
    birth_date: dt.date | None
    snapshot_version: int
    update_time: dt.datetime


@dataclass
class NumberRow:
    number_hash: str
    kind: str
    owner_id: str
    national_student_number: str
    create_time: dt.datetime
    update_time: dt.datetime | None


@dataclass
class NationalRecordRow:
    record_id: str
    document_type: str
    document_hash: str
    application_id: str
    province_code: str
    school_code: str
    national_student_number: str
    update_time: dt.datetime


@dataclass
class ActionRow:
    id: int
    group_id: str
    record_id: str
    resolution: str
    org_unit_code: str
    org_unit_name: str
    user_id: str
    role: str
    time: dt.datetime
    opinion: str
    corrected_name: str
    corrected_gender: int
    corrected_birth_date: dt.date | None
    corrected_document_type: str
    corrected_document_masked: str


@dataclass
class ProofRow:
    file_id: str
    group_id: str
    action_time: dt.datetime
    file_name: str
    content_type: str
    size_bytes: int
    content: bytes


@dataclass(frozen=True)
class HeldCopyRow:
    version: int
    reporting_province: str


_NEVER = dt.datetime.max.replace(tzinfo=dt.UTC)  # no reservation is open then


class FakeNationalHoldings:
    def __init__(self) -> None:
        self.reservations: dict[str, Reservation] = {}
        self.records: dict[str, NationalRecordRow] = {}
        self.numbers: dict[str, NumberRow] = {}
        self.bulk_takes = 0  # take_numbers statements
        self.bulk_reserve_statements = 0  # statements of the ReserveIdentities batch methods

    def reservation(self, reservation_id: str, *, for_update: bool = False) -> Reservation | None:
        found = self.reservations.get(reservation_id)
        return copy.copy(found) if found else None

    def reservations_of(self, reservation_ids: list[str]) -> dict[str, Reservation]:
        return {i: copy.copy(self.reservations[i]) for i in sorted(reservation_ids) if i in self.reservations}

    def _holding(self, document_type: str, document_hash: str) -> Reservation | None:
        return next(
            (
                r
                for r in self.reservations.values()
                if (r.document_type, r.document_hash) == (document_type, document_hash)
                and r.state in HOLDING_STATES
            ),
            None,
        )

    def holding_reservation(self, document_type: str, document_hash: str) -> Reservation | None:
        found = self._holding(document_type, document_hash)
        return copy.copy(found) if found else None

    def expire_stale(self, document_type: str, document_hash: str, now: dt.datetime) -> None:
        for r in self.reservations.values():
            if (r.document_type, r.document_hash, r.state) == (document_type, document_hash, "active"):
                if r.expire_time < now:
                    r.state, r.update_time = "expired", now

    def try_reserve(self, values: Values) -> str | None:
        if self._holding(str(values["document_type"]), str(values["document_hash"])) is not None:
            return None  # the partial unique index of holding reservations
        row: dict[str, Any] = {
            "reservation_id": str(uuid.uuid4()),
            "state": "active",
            "record_id": "",
            "national_student_number": "",
            "release_reason": "",
            **values,
        }
        self.reservations[row["reservation_id"]] = Reservation(**row)
        return str(row["reservation_id"])

    def expire_stale_of(self, documents: list[tuple[str, str]], now: dt.datetime) -> None:
        self.bulk_reserve_statements += 1
        for document_type, document_hash in documents:
            self.expire_stale(document_type, document_hash, now)

    def holding_reservations(self, documents: list[tuple[str, str]]) -> dict[tuple[str, str], Reservation]:
        self.bulk_reserve_statements += 1
        return {d: r for d in documents if (r := self.holding_reservation(*d)) is not None}

    def record_holdings_of(self, documents: list[tuple[str, str]]) -> dict[tuple[str, str], list[Holding]]:
        self.bulk_reserve_statements += 1
        found = {d: [h for h in self.holdings(*d, _NEVER) if h.kind is HoldingKind.RECORD] for d in documents}
        return {d: held for d, held in found.items() if held}

    def try_reserve_many(self, rows: list[Values]) -> dict[tuple[str, str], Reservation]:
        self.bulk_reserve_statements += 1
        won = ((row, self.try_reserve(dict(row))) for row in rows)
        return {
            (str(row["document_type"]), str(row["document_hash"])): copy.copy(self.reservations[i])
            for row, i in won
            if i is not None
        }

    def save_reservation(self, r: Reservation) -> None:
        stored = self.reservations[r.reservation_id]
        for name in ("state", "record_id", "national_student_number", "release_reason", "expire_time"):
            setattr(stored, name, getattr(r, name))
        stored.update_time = r.update_time

    def save_reservations(self, saved: list[Reservation]) -> None:
        for r in saved:
            self.save_reservation(r)

    def record_document(self, record_id: str) -> tuple[str, str] | None:
        found = self.records.get(record_id)
        return (found.document_type, found.document_hash) if found else None

    def follow_record(
        self, record_id: str, held: tuple[str, str], document_type: str, document_hash: str, now: dt.datetime
    ) -> bool:
        moving = [
            r
            for r in self.reservations.values()
            if r.record_id == record_id
            and r.state == "committed"
            and (r.document_type, r.document_hash) == held
        ]
        taken = self._holding(document_type, document_hash)
        if moving and taken is not None and taken not in moving:  # the unique index refuses the move
            for r in moving:
                r.state, r.release_reason, r.update_time = "released", "HOLDING_MOVED", now
            return False
        for r in moving:
            r.document_type, r.document_hash, r.update_time = document_type, document_hash, now
        return True

    def upsert_record(self, values: Values) -> None:
        row = NationalRecordRow(**values)  # type: ignore[arg-type]  # the columns, as the SQL writes them
        self.records[row.record_id] = row

    def upsert_records(self, rows: list[Values]) -> None:
        for values in rows:
            self.upsert_record(values)

    def remove_record(self, record_id: str) -> bool:
        return self.records.pop(record_id, None) is not None

    def release_committed(self, record_id: str, reason: str, now: dt.datetime) -> None:
        for r in self.reservations.values():
            if r.record_id == record_id and r.state == "committed":
                r.state, r.release_reason, r.update_time = "released", reason[:40], now

    def holdings(
        self,
        document_type: str,
        document_hash: str,
        now: dt.datetime,
        *,
        except_application: str = "",
        except_record: str = "",
    ) -> list[Holding]:
        found = [
            Holding(
                HoldingKind.RECORD,
                r.record_id,
                r.province_code,
                r.school_code,
                r.national_student_number,
                r.application_id,
            )
            for r in self.records.values()
            if (r.document_type, r.document_hash) == (document_type, document_hash)
            and r.record_id != except_record
            and not (except_application and r.application_id == except_application)
        ]
        return found + [
            Holding(
                HoldingKind.RESERVATION,
                r.reservation_id,
                r.province_code,
                r.school_code,
                "",
                r.application_id,
            )
            for r in self.reservations.values()
            if (r.document_type, r.document_hash, r.state) == (document_type, document_hash, "active")
            and r.expire_time >= now
            and r.application_id != except_application
        ]

    def number_of_owner(self, owner_id: str, kind: str) -> NumberRow | None:
        found = next((n for n in self.numbers.values() if (n.owner_id, n.kind) == (owner_id, kind)), None)
        return copy.copy(found) if found else None

    def try_take_number(
        self, number_hash: str, kind: str, owner_id: str, number: str, now: dt.datetime
    ) -> bool:
        if number_hash in self.numbers or self.number_of_owner(owner_id, kind) is not None:
            return False  # the primary key, or uq_student_numbers_owner
        self.numbers[number_hash] = NumberRow(number_hash, kind, owner_id, number, now, now)
        return True

    def number_owner(self, number_hash: str) -> str | None:
        found = self.numbers.get(number_hash)
        return found.owner_id if found else None

    def numbers_of_owners(self, owner_ids: Iterable[str]) -> list[NumberRow]:
        wanted = set(owner_ids)
        return [copy.copy(n) for n in self.numbers.values() if n.owner_id in wanted]

    def number_owners(self, number_hashes: Iterable[str]) -> dict[str, str]:
        return {h: self.numbers[h].owner_id for h in number_hashes if h in self.numbers}

    def take_numbers(self, rows: list[tuple[str, str, str, str]], now: dt.datetime) -> set[tuple[str, str]]:
        self.bulk_takes += 1
        return {
            (h, owner) for h, kind, owner, number in rows if self.try_take_number(h, kind, owner, number, now)
        }

    def rekey_number(self, old_hash: str, new_hash: str, now: dt.datetime) -> None:
        row = self.numbers.pop(old_hash)
        self.numbers[new_hash] = replace(row, number_hash=new_hash, update_time=now)


class FakeProblems:
    def __init__(self) -> None:
        self.groups: dict[str, ProblemGroup] = {}
        self.action_rows: list[ActionRow] = []
        self.proof_rows: list[ProofRow] = []

    @staticmethod
    def _copy(group: ProblemGroup) -> ProblemGroup:
        stored = copy.deepcopy(group)
        stored.students.sort(key=lambda s: (s.school_code, s.record_id))  # the SQL's order
        return stored

    def get(self, group_id: str) -> ProblemGroup | None:
        found = self.groups.get(group_id)
        return self._copy(found) if found else None

    def open_group(self, kind: ProblemKind, match_key: str) -> ProblemGroup | None:
        """The newest group of (kind, key), resolved or not (adding a student opens it again)."""
        same = [g for g in self.groups.values() if (g.kind, g.match_key) == (kind, match_key)]
        newest = max(
            same, key=lambda g: g.create_time or dt.datetime.min.replace(tzinfo=dt.UTC), default=None
        )
        return self._copy(newest) if newest else None

    def open_group_locked(self, kind: ProblemKind, match_key: str) -> ProblemGroup | None:
        found = next(
            (
                g
                for g in self.groups.values()
                if (g.kind, g.match_key) == (kind, match_key) and g.status is not GroupStatus.RESOLVED
            ),
            None,
        )
        return self._copy(found) if found else None

    def try_add(self, group: ProblemGroup) -> bool:
        if self.open_group_locked(group.kind, group.match_key) is not None:
            return False  # uq_problem_groups_open
        self.add(group)
        return True

    def groups_of_record(self, record_id: str) -> list[ProblemGroup]:
        return [self._copy(g) for g in self.groups.values() if g.student(record_id) is not None]

    def record_deleted(self, record_id: str) -> bool:
        return any(
            s.record_id == record_id and s.status is StudentStatus.DELETED
            for g in self.groups.values()
            for s in g.students
        )

    def held_copy(self, group_id: str) -> HeldCopyRow | None:
        found = self.groups.get(group_id)
        return HeldCopyRow(found.version, found.reporting_province) if found else None

    def put_reported(self, group: ProblemGroup, actions: list[Values]) -> None:
        self.groups.pop(group.group_id, None)
        self.action_rows = [a for a in self.action_rows if a.group_id != group.group_id]
        self.proof_rows = [p for p in self.proof_rows if p.group_id != group.group_id]
        self.add(group)
        for values in actions:
            self.add_action(dict(values, group_id=group.group_id))

    def add(self, group: ProblemGroup) -> None:
        assert group.group_id not in self.groups  # the primary key
        self.groups[group.group_id] = self._copy(group)

    def save(self, group: ProblemGroup, expected_version: int) -> None:
        group.version = expected_version + 1
        if self.groups[group.group_id].version != expected_version:
            raise ConcurrentModification("该组问题学籍已被他人处理，请刷新后重试")
        self.groups[group.group_id] = self._copy(group)

    def note_record_version(self, group_id: str, record_id: str, record_version: int) -> None:
        held = self.groups[group_id].student(record_id)
        held.record_version = max(held.record_version, record_version)

    def list(
        self,
        *,
        unit_level: int,
        unit_code: str,
        kinds: Any,
        statuses: Any,
        resolver_level: int,
        name: str,
        national_student_number: str,
        province_code: str,
        offset: int,
        limit: int,
    ) -> tuple[list[ProblemGroup], int]:
        column = {2: "province_code", 3: "city_code", 4: "county_code", 5: "school_code"}.get(unit_level)
        found = sorted(
            (
                g
                for g in self.groups.values()
                if g.students
                and (column is None or any(getattr(s, column) == unit_code for s in g.students))
                and (not name or any(s.name.startswith(name) for s in g.students))
                and (
                    not national_student_number
                    or any(s.national_student_number == national_student_number for s in g.students)
                )
                and (not province_code or any(s.province_code == province_code for s in g.students))
                and (not kinds or g.kind in kinds)
                and (not statuses or g.status in statuses)
                and (not resolver_level or g.resolver_level == resolver_level)
            ),
            key=lambda g: (g.create_time, g.group_id),
        )
        return [self._copy(g) for g in found[offset : offset + limit]], len(found)

    def add_action(self, values: Values) -> None:
        self.action_rows.append(ActionRow(id=len(self.action_rows) + 1, **values))  # type: ignore[arg-type]

    def actions(self, group_id: str) -> list[ActionRow]:
        return [copy.copy(a) for a in self.action_rows if a.group_id == group_id]

    def add_proof(self, values: Values) -> None:
        self.proof_rows.append(ProofRow(**values))  # type: ignore[arg-type]

    def proofs(self, group_id: str) -> list[ProofRow]:
        return [copy.copy(p) for p in self.proof_rows if p.group_id == group_id]


class FakeProvinceIndex:
    def __init__(self, problems: FakeProblems) -> None:
        self.applications: dict[str, ApplicationRow] = {}
        self.records: dict[str, RecordRow] = {}
        self.members: dict[tuple[str, str], str] = {}  # (group id, record id) → status
        self.locked: list[str] = []
        self._problems = problems  # a record deleted in a group here holds nothing

    def application(self, application_id: str) -> ApplicationRow | None:
        found = self.applications.get(application_id)
        return copy.copy(found) if found else None

    def applications_of(self, application_ids: list[str]) -> dict[str, ApplicationRow]:
        return {i: copy.copy(self.applications[i]) for i in application_ids if i in self.applications}

    def save_check(self, values: Values) -> bool:
        stored = self.applications.get(str(values["application_id"]))
        if stored is not None and stored.revision >= int(values["revision"]):  # type: ignore[call-overload]
            return False
        self.save_application(values)
        return True

    def applications_by_ids(self, application_ids: Sequence[str]) -> dict[str, ApplicationRow]:
        return {i: copy.copy(self.applications[i]) for i in application_ids if i in self.applications}

    def save_checks(self, rows: Sequence[Values]) -> set[str]:
        return {str(r["application_id"]) for r in rows if self.save_check(r)}

    def save_application(self, values: Values) -> None:
        application_id = str(values["application_id"])
        if application_id in self.applications:
            self.applications[application_id] = replace(self.applications[application_id], **values)  # type: ignore[arg-type]
        else:
            self.applications[application_id] = ApplicationRow(**values)  # type: ignore[arg-type]

    def update_application(self, application_id: str, **values: object) -> None:
        if application_id in self.applications:
            self.applications[application_id] = replace(self.applications[application_id], **values)  # type: ignore[arg-type]

    def lock_record(self, record_id: str) -> None:
        self.locked.append(record_id)  # one process: nothing to wait for

    def note_national_member(self, group_id: str, record_id: str, status: str) -> None:
        if status == "pending":
            self.members.setdefault((group_id, record_id), status)
        else:
            self.members[(group_id, record_id)] = status

    def national_groups_of(self, record_id: str, *, status: str | None = None) -> list[str]:
        return [g for (g, r), s in self.members.items() if r == record_id and status in (None, s)]

    def record(self, record_id: str) -> RecordRow | None:
        found = self.records.get(record_id)
        return copy.copy(found) if found else None

    def save_record(self, values: Values) -> None:
        row = RecordRow(**values)  # type: ignore[arg-type]
        self.records[row.record_id] = row

    def write_records(self, updated: list[tuple[Values, int]], inserted: list[Values]) -> None:
        for values, version in updated:
            if self.records[str(values["record_id"])].snapshot_version != version:
                raise ConcurrentModification("学籍索引已被并发修改")
            self.save_record(values)
        for values in inserted:
            assert values["record_id"] not in self.records  # the primary key
            self.save_record(values)

    def _live(self, record_id: str) -> bool:
        return not self._problems.record_deleted(record_id) and (
            "deleted" not in {s for (_, r), s in self.members.items() if r == record_id}
        )

    def record_holdings(
        self, document_type: str, document_hash: str, *, except_application: str = "", except_record: str = ""
    ) -> list[Holding]:
        return [
            Holding(
                HoldingKind.RECORD,
                r.record_id,
                "",
                r.school_code,
                r.national_student_number,
                r.application_id,
            )
            for r in self.records.values()
            if (r.document_type, r.document_hash) == (document_type, document_hash)
            and self._live(r.record_id)
            and r.record_id != except_record
            and r.application_id != except_application
        ]

    def record_holdings_of_each(
        self, documents: Sequence[tuple[str, str]]
    ) -> dict[tuple[str, str], list[Holding]]:
        return {d: found for d in documents if (found := self.record_holdings(*d))}

    def records_by_ids(self, record_ids: list[str]) -> list[RecordRow]:
        return [copy.copy(self.records[i]) for i in record_ids if i in self.records]

    def no_document_twins(
        self, name: str, gender: int, birth_date: dt.date, county_code: str, record_id: str
    ) -> list[RecordRow]:
        return [
            copy.copy(r)
            for r in self.records.values()
            if (r.category, r.name, r.gender, r.birth_date, r.county_code)
            == ("no_document", name, gender, birth_date, county_code)
            and self._live(r.record_id)
            and r.record_id != record_id
        ]


class FakeDeliveries:
    def __init__(self) -> None:
        self.rows: list[tuple[str, Delivery]] = []
        self.cursors: dict[str, int] = {}

    def append(self, province_code: str, event_type: str, payload: bytes, at: dt.datetime) -> Delivery:
        sequence = 1 + max((d.sequence for p, d in self.rows if p == province_code), default=0)
        row = Delivery(sequence, str(uuid.uuid4()), event_type, payload)
        self.rows.append((province_code, row))
        return row

    def after(self, province_code: str, after_sequence: int, limit: int) -> list[Delivery]:
        return [d for p, d in self.rows if p == province_code and d.sequence > after_sequence][:limit]

    def cursor(self, province_code: str, *, for_update: bool = False) -> int:
        return self.cursors.get(province_code, 0)

    def move_cursor(self, province_code: str, after_sequence: int, at: dt.datetime) -> None:
        self.cursors[province_code] = after_sequence


class FakeRotationRows:
    """Over the other fakes' rows, as RotationStore is over their tables."""

    def __init__(
        self, national: FakeNationalHoldings, province: FakeProvinceIndex, problems: FakeProblems
    ) -> None:
        self._national, self._province, self._problems = national, province, problems

    def clear_numbers(self, after: tuple[str, str], limit: int) -> list[NumberRow]:
        clear = sorted(
            (n for n in self._national.numbers.values() if n.national_student_number),
            key=lambda n: (n.owner_id, n.kind),
        )
        return [copy.copy(n) for n in clear if (n.owner_id, n.kind) > after][:limit]

    def rekey_numbers(self, pairs: list[tuple[str, str]], at: dt.datetime) -> None:
        for old, new in pairs:
            self._national.rekey_number(old, new, at)

    def no_document_groups(self) -> dict[str, tuple[str, str, int, dt.date, str]]:
        found: dict[str, tuple[str, str, int, dt.date, str]] = {}
        for g in sorted(self._problems.groups.values(), key=lambda g: g.group_id):
            if g.kind is not ProblemKind.NO_DOCUMENT_DUPLICATE or g.reporting_province:
                continue
            for s in sorted(g.students, key=lambda s: s.record_id):
                if s.status is not StudentStatus.CORRECTED and s.birth_date is not None and s.county_code:
                    found.setdefault(g.group_id, (g.match_key, s.name, s.gender, s.birth_date, s.county_code))
        return found

    def set_group_key(self, group_id: str, match_key: str, at: dt.datetime) -> None:
        group = self._problems.groups[group_id]
        group.match_key, group.update_time = match_key, at

    def rekey_groups(self, kind: str, old_key: str, new_key: str, at: dt.datetime) -> int:
        changed = [
            g
            for g in self._problems.groups.values()
            if (g.kind.value, g.match_key) == (kind, old_key) and not g.reporting_province
        ]
        for g in changed:
            g.match_key, g.update_time = new_key, at
        return len(changed)

    def purge(self, since: dt.datetime, at: dt.datetime) -> dict[str, int]:
        counts = {}
        for table, rows in (
            ("province_applications", self._province.applications.values()),
            ("province_records", self._province.records.values()),
            ("national_records", self._national.records.values()),
        ):
            stale = [r for r in rows if r.update_time < since and r.document_hash]
            for r in stale:
                r.document_hash = ""
            counts[table] = len(stale)
        fresh = {r.record_id for r in self._national.records.values() if r.update_time >= since}
        purged = 0
        for r in self._national.reservations.values():
            if (
                r.state in HOLDING_STATES
                and r.update_time < since
                and not (r.state == "committed" and r.record_id in fresh)
            ):
                r.state, r.release_reason, r.document_hash, r.update_time = "released", "KEY_ROTATED", "", at
                purged += 1
            elif (
                r.state not in HOLDING_STATES
                and r.document_hash
                and (r.update_time < since or r.release_reason == "REHASHED")
            ):
                r.document_hash = ""
                purged += 1
        counts["national_reservations"] = purged
        keyed = [
            g
            for g in self._problems.groups.values()
            if g.kind.value in ("shared_document", "no_document_duplicate")
            and not g.reporting_province
            and g.match_key
            and g.update_time is not None
            and g.update_time < since
        ]
        for g in keyed:
            g.match_key = ""
        counts["problem_groups"] = len(keyed)
        forgotten = [
            h
            for h, n in self._national.numbers.items()
            if not n.national_student_number and (n.update_time or n.create_time) < since
        ]
        for h in forgotten:
            del self._national.numbers[h]
        counts["student_numbers"] = len(forgotten)
        return counts


class FakeHoldingsWriter:
    """Upserts the loaded holdings by record id when the load finishes (the SQL writer's COPY)."""

    def __init__(self, national: FakeNationalHoldings, at: dt.datetime) -> None:
        self._national, self._at = national, at
        self.batches: list[HoldingColumnsBatch] = []
        self.aborted: BaseException | None = None

    def add(self, columns: HoldingColumnsBatch) -> None:
        self.batches.append(columns)

    def abort(self, failure: BaseException) -> None:
        self.aborted, self.batches = failure, []

    def finish(self) -> int:
        written = 0
        for record_ids, types, hashes, provinces, schools, numbers_ in self.batches:
            for row in zip(record_ids, types, hashes, provinces, schools, numbers_):
                record_id, document_type, document_hash, province, school, number = row
                self._national.upsert_record(
                    dict(
                        record_id=record_id,
                        document_type=document_type,
                        document_hash=document_hash,
                        application_id="",
                        province_code=province,
                        school_code=school,
                        national_student_number=number,
                        update_time=self._at,
                    )
                )
                written += 1
        return written


class FakeDataKeys:
    """Seals by tagging with the tier's key name (enough to tell whose seal a value carries)."""

    def __init__(self, name: str = "key-a") -> None:
        self.name = name

    def encrypt(self, plaintext: str, purpose: str) -> str:
        return f"{self.name}:{purpose}:{plaintext}"

    def decrypt(self, value: str, purpose: str) -> str:
        prefix = f"{self.name}:{purpose}:"
        assert value.startswith(prefix), "sealed with another key"
        return value.removeprefix(prefix)


_STATE = ("national", "province", "problems", "deliveries")


class FakeDedupUoW(FakeUnitOfWork):
    def __init__(
        self,
        tree: OrgTree,
        *,
        scope: str = "province",
        hash_key: str = "test-hash-key",
        data_keys: FakeDataKeys | None = None,
    ) -> None:
        super().__init__("dedup")
        self.tree, self.scope, self.hash_key = tree, scope, hash_key
        self.data_keys = data_keys or FakeDataKeys()
        self.national = FakeNationalHoldings()
        self.problems = FakeProblems()
        self.province = FakeProvinceIndex(self.problems)
        self.deliveries = FakeDeliveries()
        self.rotation = FakeRotationRows(self.national, self.province, self.problems)
        self.claimed: list[tuple[str, str, str]] = []  # inbox claims written
        self.reads_ended = 0
        self.reads_outside = 0
        self._claim: tuple[str, str, str] | None = None
        self._claims: tuple[list[str], str, str] | None = None
        self._saved = self._state()

    def _state(self) -> dict[str, dict[str, Any]]:
        # the repositories' rows (not their links to each other: names starting with _)
        return {
            name: {k: copy.deepcopy(v) for k, v in vars(getattr(self, name)).items() if not k.startswith("_")}
            for name in _STATE
        }

    def _restore(self) -> None:
        for name, state in self._saved.items():
            vars(getattr(self, name)).update(copy.deepcopy(state))

    def claim_event(self, event_id: str, consumer: str, event_type: str) -> None:
        self._claim = (event_id, consumer, event_type)

    def claim_events(self, event_ids: list[str], consumer: str, event_type: str) -> set[str]:
        """Deferred, as the SQL unit of work's: the new ones read now, claimed by claim_now."""
        new = [e for e in event_ids if (e, consumer) not in self._claimed]
        self._claims = (new, consumer, event_type) if new else None
        return set(new)

    def claim_now(self) -> None:
        if self._claim is not None:
            claim, self._claim = self._claim, None
            super().claim_event(*claim)
            self.claimed.append(claim)
        if self._claims is not None:
            (ids, consumer, event_type), self._claims = self._claims, None
            super().claim_events(ids, consumer, event_type)
            self.claimed += [(i, consumer, event_type) for i in ids]

    def publish_many(self, events: Iterable[Any]) -> int:
        listed = list(events)
        for event, aggregate_id, *_ in listed:
            self.publish(event, aggregate_id=aggregate_id)
        return len(listed)

    def claim_delivery(self, event_id: str, event_type: str) -> bool:
        try:
            super().claim_event(event_id, "dedup.national-deliveries", event_type)
        except AlreadyHandled:
            return False
        return True

    def read_outside_transaction(self) -> None:
        self.reads_outside += 1

    def end_reads(self) -> None:
        self.reads_ended += 1
        self._restore()  # a rollback: a write before it would be lost, as in SQL
        self._pending = []

    def holdings_writer(self, at: dt.datetime) -> FakeHoldingsWriter:
        return FakeHoldingsWriter(self.national, at)

    def commit(self) -> None:
        self.claim_now()
        super().commit()
        self._saved = self._state()

    def rollback(self) -> None:
        super().rollback()
        self._restore()

    def events(self, name: str | None = None) -> list[Any]:
        """The committed events (of one type, by message name), oldest first."""
        return [e for e, _ in self.published if name is None or e.DESCRIPTOR.name == name]
