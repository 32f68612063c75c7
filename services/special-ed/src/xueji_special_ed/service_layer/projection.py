"""Keeping the students current from record events (in order per record; stale snapshots ignored)."""

from __future__ import annotations

from xueji_special_ed.domain.model import Student
from xueji_special_ed.service_layer.unit_of_work import SpecialEdUoW


def apply_snapshot(uow: SpecialEdUoW, student: Student) -> bool:
    stored = uow.repo.student(student.record_id)
    if stored is not None and student.version <= stored.version:
        return False
    uow.repo.put_student(student, exists=stored is not None)
    uow.commit()
    return True
