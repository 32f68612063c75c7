"""Record snapshots in batches (issue 16 step 3): `apply_snapshots` decides each item as
`apply_snapshot` one by one would, in the caller's transaction."""

from __future__ import annotations

import pytest
from sped_fakes import FakeSpecialEdUoW
from test_sped_use_cases import student

from xueji_common.errors import ConcurrentModification
from xueji_special_ed.service_layer import projection


def one_by_one(students, setup=()):
    uow = FakeSpecialEdUoW()
    for s in setup:
        projection.apply_snapshot(uow, s)
    return [projection.apply_snapshot(uow, s) for s in students], uow.repo.students


def as_batch(students, setup=()):
    uow = FakeSpecialEdUoW()
    for s in setup:
        projection.apply_snapshot(uow, s)
    commits = uow.commits
    outcomes = projection.apply_snapshots(uow, students)
    assert uow.commits == commits  # the consumer commits
    return outcomes, uow.repo.students


def test_a_stale_item_of_a_batch_changes_nothing():
    stored = student(version=3, name="新名字")
    outcomes, rows = as_batch([student(version=2, name="旧名字")], setup=[stored])
    assert (outcomes, rows) == ([False], {"r1": stored})


def test_a_duplicate_item_of_a_batch_is_stale_after_the_first():
    items = [student(), student(name="重复")]
    assert as_batch(items) == one_by_one(items) == ([True, False], {"r1": student()})


def test_a_mixed_batch_ends_as_one_by_one_would():
    setup = [student("r0", version=5)]
    items = [
        student("r1"),
        student("r0", version=4, name="过期"),  # stale
        student("r1", version=2, name="新"),  # newer, same batch
        student("r0", version=6, name="更新"),  # newer than stored
        student("r2", disability="none"),
        student("r1", version=2, name="重复"),  # duplicate
    ]
    batch = as_batch(items, setup)
    assert batch == one_by_one(items, setup)
    assert batch[0] == [True, False, True, True, True, False]
    assert (batch[1]["r0"].name, batch[1]["r1"].name) == ("更新", "新")


def test_a_version_moved_since_it_was_read_is_a_concurrent_change():
    uow = FakeSpecialEdUoW()
    projection.apply_snapshot(uow, student())
    uow.repo.versions = lambda ids: {"r1": 0}
    with pytest.raises(ConcurrentModification):
        projection.apply_snapshots(uow, [student(version=2)])
