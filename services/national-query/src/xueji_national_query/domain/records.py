"""A student record as the national read model holds it, and the rules that keep it current.

The model is fed from two sides: record events of the registration services (each snapshot carries a
per-record version; a snapshot that is not newer than the stored one is stale and changes nothing)
and bulk loads of existing national records (no versions: the later change time wins).

The problem flag (是否问题学籍) has two sources: the snapshot's own flag and the open problem groups
that dedup announces (ProblemRaised / ProblemResolved). Events of the two producers are not ordered
with each other, so the open groups are kept per record and the flag is their union.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass


@dataclass(frozen=True)
class NationalRecord:
    record_id: str
    national_student_number: str
    name: str
    gender: int  # 1 男, 2 女
    birth_date: dt.date
    document_type: str  # JY/T 1001 code: "1", "6"..."A", "Z"
    document_hash: str  # keyed hash of (type, number); "" without a number
    document_masked: str
    province_code: str
    school_code: str
    school_name: str
    stage: str  # vocabulary.Stage value
    enrolment_status: str  # vocabulary.EnrolmentStatus value
    problem: bool
    version: int
    changed_at: dt.datetime


def snapshot_applies(incoming_version: int, stored_version: int | None) -> bool:
    """Record events are applied in order per record: only a newer version changes the record."""
    return stored_version is None or incoming_version > stored_version


def loaded_row_applies(
    incoming_changed_at: dt.datetime,
    stored_changed_at: dt.datetime | None,
    incoming_hash: str = "",
    stored_hash: str = "",
) -> bool:
    """A bulk-loaded row replaces a stored record when it was changed later, or at the same time with
    another document hash: the same file loaded again after the hashing key was rotated (OPERATIONS §8)."""
    if stored_changed_at is None or incoming_changed_at > stored_changed_at:
        return True
    return incoming_changed_at == stored_changed_at and incoming_hash != stored_hash


def problem_flag(snapshot_flag: bool, open_groups: int) -> bool:
    return snapshot_flag or open_groups > 0


@dataclass(frozen=True)
class StoredHead:
    """What a batch of snapshots needs of a stored record: its version and its number."""

    record_id: str
    version: int
    national_student_number: str


@dataclass(frozen=True)
class SnapshotPlan:
    """A batch of snapshots decided as one by one would: which applied, and the writes that leave
    the table as their puts would (deletes first, then updates, then inserts)."""

    applied: list[bool]
    deleted: list[str]  # ids of rows outside the batch holding an applied snapshot's number
    updated: list[tuple[NationalRecord, int]]  # (record, the stored version it replaces)
    inserted: list[NationalRecord]


class NumbersContended(Exception):
    """Two record ids of one batch hold or take the same national student number: one by one, each
    put would replace the other in turn, which bulk writes cannot order (the caller falls back)."""


def plan_snapshots(records: list[NationalRecord], heads: list[StoredHead]) -> SnapshotPlan:
    """`heads`: the stored rows of the batch's ids and those holding the batch's numbers."""
    ids = {r.record_id for r in records}
    owner: dict[str, str] = {}
    held = [(h.national_student_number, h.record_id) for h in heads if h.record_id in ids]
    for number, record_id in held + [(r.national_student_number, r.record_id) for r in records]:
        if owner.setdefault(number, record_id) != record_id:
            raise NumbersContended(number)
    stored = {h.record_id: h for h in heads}
    outside = {h.national_student_number: h.record_id for h in heads if h.record_id not in ids}
    versions = {h.record_id: h.version for h in heads if h.record_id in ids}
    applied: list[bool] = []
    deleted: list[str] = []
    final: dict[str, NationalRecord] = {}
    for record in records:
        applies = snapshot_applies(record.version, versions.get(record.record_id))
        applied.append(applies)
        if applies:
            versions[record.record_id] = record.version
            final[record.record_id] = record
            if record.national_student_number in outside:
                deleted.append(outside.pop(record.national_student_number))
    return SnapshotPlan(
        applied,
        sorted(deleted),
        [(r, stored[r.record_id].version) for r in final.values() if r.record_id in stored],
        [r for r in final.values() if r.record_id not in stored],
    )
