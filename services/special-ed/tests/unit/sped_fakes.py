"""The special-ed unit of work in memory (service_layer/unit_of_work.py::SpecialEdUoW).

Named sped_fakes, not fakes: every service's tests/unit is on sys.path in one pytest run, so a
second module called `fakes` would be shadowed by the first one imported."""

from __future__ import annotations

from xueji_common.errors import ConcurrentModification
from xueji_common.testing.fake_uow import FakeUnitOfWork
from xueji_special_ed.domain.codes import DisabilityType
from xueji_special_ed.domain.model import SpecialEdInfo, Student

HASH_KEY = "test-hash-key"


def _by_name(students):
    return sorted(students, key=lambda s: (s.name, s.record_id))


class FakeSpecialEdRepo:
    def __init__(self) -> None:
        self.students: dict[str, Student] = {}
        self.infos: dict[str, SpecialEdInfo] = {}

    def student(self, record_id: str) -> Student | None:
        return self.students.get(record_id)

    def versions(self, record_ids: list[str]) -> dict[str, int]:
        return {r: self.students[r].version for r in record_ids if r in self.students}

    def write_students(self, updated: list[tuple[Student, int]], inserted: list[Student]) -> None:
        for student, version in updated:
            if self.students[student.record_id].version != version:
                raise ConcurrentModification("学生记录已被并发修改")
            self.students[student.record_id] = student
        for student in inserted:
            assert student.record_id not in self.students  # the primary key
            self.students[student.record_id] = student

    def info(self, record_id: str) -> SpecialEdInfo | None:
        return self.infos.get(record_id)

    def add_info(self, info: SpecialEdInfo) -> None:
        assert info.record_id not in self.infos  # the primary key
        self.infos[info.record_id] = info

    def save_info(self, info: SpecialEdInfo, expected_version: int) -> None:
        if self.infos[info.record_id].version != expected_version:
            raise ConcurrentModification("该学生的特教信息已被他人修改，请刷新后重试")
        self.infos[info.record_id] = info

    def with_info(self, school_codes, name_prefix, disability_type, offset, limit):
        found = [
            s
            for s in _by_name(self.students.values())
            if s.record_id in self.infos
            and s.school_code in school_codes
            and s.name.startswith(name_prefix)
            and (
                not disability_type
                or self.infos[s.record_id].disability_type == DisabilityType(disability_type)
            )
        ]
        return [(self.infos[s.record_id], s) for s in found[offset : offset + limit]], len(found)

    def candidates(self, school_code, name_prefix, offset, limit):
        found = [
            s
            for s in _by_name(self.students.values())
            if s.school_code == school_code
            and s.enrolled
            and s.disability_type not in ("", DisabilityType.NONE.value)
            and s.record_id not in self.infos
            and s.name.startswith(name_prefix)
        ]
        return found[offset : offset + limit], len(found)


class FakeSpecialEdUoW(FakeUnitOfWork):
    def __init__(self) -> None:
        super().__init__("special-ed")
        self.repo = FakeSpecialEdRepo()
        self.hash_key = HASH_KEY
