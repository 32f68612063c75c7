"""Keeping the read model current from events: record snapshots and problem groups.

Event handlers receive an open unit of work from the consumer (its inbox makes them idempotent) and
commit it themselves.
"""

from __future__ import annotations

from dataclasses import replace

from xueji_national_query.domain.records import NationalRecord, problem_flag, snapshot_applies
from xueji_national_query.service_layer.unit_of_work import NationalQueryUoW


def apply_snapshot(uow: NationalQueryUoW, record: NationalRecord) -> bool:
    """A record was created or changed. Returns False for a stale snapshot (changes nothing)."""
    stored = uow.records.version_of(record.record_id)
    if not snapshot_applies(record.version, stored):
        return False
    record = replace(record, problem=problem_flag(record.problem, uow.records.open_groups(record.record_id)))
    uow.records.put(record, exists=stored is not None)
    uow.commit()
    return True


def problem_raised(uow: NationalQueryUoW, group_id: str, record_ids: list[str]) -> None:
    if record_ids:
        uow.records.open_group(group_id, list(record_ids))
    uow.commit()


def problem_resolved(uow: NationalQueryUoW, group_id: str, record_ids: list[str]) -> None:
    uow.records.close_group(group_id, list(record_ids))
    uow.commit()
