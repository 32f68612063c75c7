"""Keeping the students current from record events (in order per record; stale snapshots ignored).

`apply_snapshot` is the single handler's use case (it commits); `apply_snapshots` the batch handler's,
in the consumer's transaction (docs/FLOWS.md#batches-on-the-bus). One is a batch of the other.
"""

from __future__ import annotations

from xueji_special_ed.domain.model import Student, plan_snapshots
from xueji_special_ed.service_layer.unit_of_work import SpecialEdUoW


def apply_snapshot(uow: SpecialEdUoW, student: Student) -> bool:
    [applied] = apply_snapshots(uow, [student])
    if applied:
        uow.commit()
    return applied


def apply_snapshots(uow: SpecialEdUoW, students: list[Student]) -> list[bool]:
    """Whether each snapshot applied, decided in order as one by one would, with one read of the
    stored versions and bulk writes; no commit. Raises ConcurrentModification when a stored version
    moved meanwhile (the consumer then goes one by one)."""
    plan = plan_snapshots(students, uow.repo.versions(sorted({s.record_id for s in students})))
    uow.repo.write_students(plan.updated, plan.inserted)
    return plan.applied
