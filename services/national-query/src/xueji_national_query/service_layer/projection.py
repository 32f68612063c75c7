"""Keeping the read model current from events: record snapshots and problem groups.

Event handlers receive an open unit of work from the consumer (its inbox makes them idempotent) and
commit it themselves; the batch use case (`apply_snapshots`) leaves the commit to the consumer
(docs/FLOWS.md#batches-on-the-bus).
"""

from __future__ import annotations

from dataclasses import replace

from xueji_common.errors import ConcurrentModification
from xueji_national_query.domain.records import (
    NationalRecord,
    NumbersContended,
    plan_snapshots,
    problem_flag,
)
from xueji_national_query.service_layer.unit_of_work import NationalQueryUoW


def apply_snapshot(uow: NationalQueryUoW, record: NationalRecord) -> bool:
    """A record was created or changed. Returns False for a stale snapshot (changes nothing)."""
    [applied] = apply_snapshots(uow, [record])
    if applied:
        uow.commit()
    return applied


def apply_snapshots(uow: NationalQueryUoW, records: list[NationalRecord]) -> list[bool]:
    """Records created or changed, in order, in the caller's transaction (no commit): whether each
    applied, as `apply_snapshot` one by one would decide (domain.records.plan_snapshots), with a
    constant number of statements. Raises ConcurrentModification when a stored version moved or when
    two of the batch's records contend for one number: the consumer then goes one by one."""
    numbers = sorted({r.national_student_number for r in records})
    heads = uow.records.heads(sorted({r.record_id for r in records}), numbers)
    try:
        plan = plan_snapshots(records, heads)
    except NumbersContended:
        raise ConcurrentModification("同一批学籍中有记录争用同一全国学籍号") from None
    written = [r for r, _ in plan.updated] + plan.inserted
    groups = uow.records.open_group_counts([r.record_id for r in written]) if written else {}

    def flagged(r: NationalRecord) -> NationalRecord:
        return replace(r, problem=problem_flag(r.problem, groups.get(r.record_id, 0)))

    uow.records.write(
        plan.deleted,
        [(flagged(r), version) for r, version in plan.updated],
        [flagged(r) for r in plan.inserted],
    )
    return plan.applied


def problem_raised(uow: NationalQueryUoW, group_id: str, record_ids: list[str]) -> None:
    if record_ids:
        uow.records.open_group(group_id, list(record_ids))
    uow.commit()


def problem_resolved(uow: NationalQueryUoW, group_id: str, record_ids: list[str]) -> None:
    uow.records.close_group(group_id, list(record_ids))
    uow.commit()
