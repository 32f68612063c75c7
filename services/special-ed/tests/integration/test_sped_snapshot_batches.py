"""StudentRecordCreated in batches (issue 16 step 3) on PostgreSQL and SQLite: a batch through the
batch handler leaves the students as its events one by one through the single handler do, with a
number of statements that does not grow with the batch."""

from __future__ import annotations

import logging

import pytest
from sqlalchemy import select

from xueji.v1 import common_pb2, events_pb2
from xueji_common.config import Settings
from xueji_common.documents import mask_document_number
from xueji_common.hashing import document_hash
from xueji_common.messaging.envelope import new_envelope
from xueji_common.testing.bus import batch_body, consumer_of
from xueji_common.testing.numbers import sealed
from xueji_common.testing.statements import statements_sent
from xueji_special_ed.adapters.tables import students
from xueji_special_ed.spec import SPEC


@pytest.fixture
def fresh_runtime(fresh_runtime_of):
    """fresh_runtime() → special-ed on a fresh, migrated database, PostgreSQL then SQLite (conftest.py)."""
    return lambda: fresh_runtime_of(SPEC)


def created(record_id: str, i: int, version: int = 1, name: str = "张三", disability: str = "视力残疾"):
    number = f"330102201506{i:05d}X"
    snap = events_pb2.StudentRecordSnapshot(
        record_id=record_id,
        **sealed("G" + number),
        school_code="1330102001",
        name=name,
        gender=1,
        birth_date=common_pb2.Date(year=2015, month=6, day=1),
        document_type=common_pb2.DOCUMENT_TYPE_RESIDENT_ID,
        disability_type=disability,
        version=version,
        enrolment_status=events_pb2.ENROLMENT_STATUS_ENROLLED,
        document_number_masked=mask_document_number(number),
        document_hash=document_hash(Settings().hash_key, "1", number),
    )
    event = events_pb2.StudentRecordCreated(record=snap)
    return new_envelope(event, producer="registration", aggregate_id=record_id)


def consumer(runtime):
    return consumer_of(runtime, "StudentRecordCreated")


def state(runtime):
    with runtime.session_factory() as s:
        return [dict(r._mapping) for r in s.execute(select(students).order_by(students.c.record_id))]


def setup(runtime, handled_before) -> None:
    assert consumer(runtime)(created("r0", 0, version=3).SerializeToString()) == "handled"
    assert consumer(runtime)(handled_before.SerializeToString()) == "handled"


def test_a_batch_ends_as_its_events_one_by_one(fresh_runtime, caplog):
    handled_before = created("r7", 7)
    events = [
        created("r1", 1),
        created("r0", 0, version=2, name="过期"),  # stale: r0 is at version 3
        created("r2", 2, disability="无残疾"),
        handled_before,  # a redelivery: handled already
        created("r1", 1, name="重复"),  # same version again: stale
        created("r3", 3, version=2),
        created("r0", 0, version=4, name="更新"),  # newer than stored
    ]
    caplog.set_level(logging.INFO, logger="xueji_common.messaging.consumer")
    batched, single = fresh_runtime(), fresh_runtime()
    for runtime in (batched, single):
        setup(runtime, handled_before)
    assert consumer(batched)(batch_body(events)) == "handled"
    assert "event batch handled" in caplog.text  # set-based, not the consumer's fallback one by one
    outcomes = [consumer(single)(e.SerializeToString()) for e in events]
    assert outcomes.count("duplicate") == 1
    rows = state(batched)
    assert rows == state(single)
    assert [r["record_id"] for r in rows] == ["r0", "r1", "r2", "r3", "r7"]
    assert (rows[0]["name"], rows[0]["version"], rows[1]["name"]) == ("更新", 4, "张三")
    assert rows[1]["national_student_number"] == "G33010220150600001X"


def statements_of_a_batch(runtime, first: int, n: int) -> int:
    with statements_sent(runtime.engine) as counted:
        assert (
            consumer(runtime)(batch_body([created(f"r{i}", i) for i in range(first, first + n)])) == "handled"
        )
    return len(counted)


def test_a_batch_costs_the_same_statements_for_5_records_as_for_50(fresh_runtime):
    runtime = fresh_runtime()
    setup(runtime, created("r7", 7))
    assert statements_of_a_batch(runtime, 100, 5) == statements_of_a_batch(runtime, 200, 50)
    assert len(state(runtime)) == 2 + 55
