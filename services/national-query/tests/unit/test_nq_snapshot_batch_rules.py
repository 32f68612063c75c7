"""Record snapshots in batches (issue 16 step 3): `apply_snapshots` decides each item as
`apply_snapshot` one by one would, in the caller's transaction."""

from __future__ import annotations

from dataclasses import replace

import pytest
from nq_fakes import FakeNationalQueryUoW
from test_nq_use_cases import KEY, record

from xueji_common.errors import ConcurrentModification
from xueji_national_query.service_layer import projection


def one_by_one(records, setup=()):
    uow = FakeNationalQueryUoW(KEY)
    for r in setup:
        uow.records.put(r, exists=False)
    outcomes = [projection.apply_snapshot(uow, r) for r in records]
    return outcomes, uow.records.rows


def as_batch(records, setup=()):
    uow = FakeNationalQueryUoW(KEY)
    for r in setup:
        uow.records.put(r, exists=False)
    outcomes = projection.apply_snapshots(uow, records)
    assert uow.commits == 0  # the consumer commits
    return outcomes, uow.records.rows


def test_a_stale_item_of_a_batch_changes_nothing():
    stored = record(version=3, name="新名字")
    outcomes, rows = as_batch([record(version=2, name="旧名字")], setup=[stored])
    assert outcomes == [False]
    assert rows["r1"] == stored


def test_a_duplicate_item_of_a_batch_is_stale_after_the_first():
    items = [record(version=1), record(version=1, name="重复")]
    assert as_batch(items) == one_by_one(items) == ([True, False], {"r1": record(version=1)})


def test_a_mixed_batch_ends_as_one_by_one_would():
    loaded = record("loaded-1", version=0, national_student_number="G9")
    setup = [record("r0", version=5, national_student_number="G0"), loaded]
    items = [
        record("r1", national_student_number="G1"),
        record("r0", version=4, national_student_number="G0", name="过期"),  # stale
        record("r2", national_student_number="G9"),  # replaces the loaded record of its number
        record("r1", version=2, national_student_number="G1", name="新"),  # newer, same batch
        record("r0", version=6, national_student_number="G0", name="更新"),  # newer than stored
        record("r1", version=2, national_student_number="G1", name="重复"),  # duplicate
    ]
    batch = as_batch(items, setup)
    assert batch == one_by_one(items, setup)
    assert batch[0] == [True, False, True, True, True, False]
    assert sorted(batch[1]) == ["r0", "r1", "r2"]


def test_open_problem_groups_flag_the_records_of_a_batch():
    uow = FakeNationalQueryUoW(KEY)
    uow.records.open_group("g1", ["r2"])
    projection.apply_snapshots(uow, [record("r1"), record("r2", national_student_number="G2")])
    assert (uow.records.get("r1").problem, uow.records.get("r2").problem) == (False, True)


def test_records_of_a_batch_contending_for_one_number_go_one_by_one():
    uow = FakeNationalQueryUoW(KEY)
    with pytest.raises(ConcurrentModification):
        projection.apply_snapshots(uow, [record("r1"), record("r2")])  # the same number
    assert uow.records.rows == {}


def test_a_version_moved_since_it_was_read_is_a_concurrent_change():
    uow = FakeNationalQueryUoW(KEY)
    uow.records.put(record(version=1), exists=False)
    heads = uow.records.heads
    uow.records.heads = lambda ids, numbers: [replace(h, version=0) for h in heads(ids, numbers)]
    with pytest.raises(ConcurrentModification):
        projection.apply_snapshots(uow, [record(version=2)])
