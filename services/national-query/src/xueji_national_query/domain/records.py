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
