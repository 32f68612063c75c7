"""The special-ed unit of work as the use cases see it: the students known from record events and
their special-education information, in one transaction.

`SpecialEdUoW` is what the use cases see (a protocol: the SQL one is adapters/unit_of_work.py, the
in-memory one tests/unit/sped_fakes.py); `SpecialEdRepo` is the one repository on it.
"""

from __future__ import annotations

from typing import Protocol

from xueji_common.db.uow import UnitOfWork
from xueji_special_ed.domain.model import SpecialEdInfo, Student


class SpecialEdRepo(Protocol):
    def student(self, record_id: str) -> Student | None: ...
    def versions(self, record_ids: list[str]) -> dict[str, int]:
        """The stored version of each of these students that is stored, rows locked in id order."""

    def write_students(self, updated: list[tuple[Student, int]], inserted: list[Student]) -> None:
        """Updates (each guarded by the stored version given with it: one that moved raises
        ConcurrentModification), then inserts, in bulk."""

    def info(self, record_id: str) -> SpecialEdInfo | None: ...
    def add_info(self, info: SpecialEdInfo) -> None: ...
    def save_info(self, info: SpecialEdInfo, expected_version: int) -> None:
        """Raises ConcurrentModification when the stored version is no longer `expected_version`."""

    def with_info(
        self, school_codes: list[str], name_prefix: str, disability_type: str | None, offset: int, limit: int
    ) -> tuple[list[tuple[SpecialEdInfo, Student]], int]:
        """The schools' students with information, by name then record id; and how many in all."""

    def candidates(
        self, school_code: str, name_prefix: str, offset: int, limit: int
    ) -> tuple[list[Student], int]:
        """The school's enrolled disabled students without information yet, by name; and how many."""


class SpecialEdUoW(UnitOfWork, Protocol):
    # Read-only members (properties), so that a fake's own repository class fulfils them.
    @property
    def repo(self) -> SpecialEdRepo: ...
    @property
    def hash_key(self) -> str:
        """The key of document hashes (a certificate number is checked against the record's)."""
