"""StudentRecordCreated in batches (issue 16 step 3) on PostgreSQL and SQLite: a batch through the
batch handler leaves the read model as its events one by one through the single handler do, with a
number of statements that does not grow with the batch."""

from __future__ import annotations

import logging

import pytest
from nq_support import deliver, snapshot
from sqlalchemy import select

from xueji.v1 import events_pb2
from xueji_common.messaging.envelope import new_envelope
from xueji_common.testing.bus import batch_body, consumer_of
from xueji_common.testing.statements import statements_sent
from xueji_national_query.adapters.tables import national_records, record_problems
from xueji_national_query.spec import SPEC


@pytest.fixture
def fresh_runtime(fresh_runtime_of):
    """fresh_runtime() → national-query on a fresh, migrated database of each kind (conftest.py)."""
    return lambda: fresh_runtime_of(SPEC)


def number(i: int) -> str:
    return f"330102201506{i:05d}X"


def created(record_id: str, i: int, version: int = 1, **kw) -> events_pb2.EventEnvelope:
    snap = snapshot(record_id=record_id, number=number(i), version=version, **kw)
    event = events_pb2.StudentRecordCreated(record=snap)
    return new_envelope(event, producer="registration", aggregate_id=record_id)


def consumer(runtime):
    return consumer_of(runtime, "StudentRecordCreated")


def state(runtime):
    with runtime.session_factory() as s:
        query = select(national_records).order_by(national_records.c.record_id)
        records = [dict(r._mapping) for r in s.execute(query)]
        problems = sorted(tuple(r) for r in s.execute(select(record_problems)))
    return records, problems


def setup(runtime, handled_before) -> None:
    """The same history in every database: a stored record, a loaded-like one holding a number the
    batch brings under another id, an open problem group, an event handled already."""
    deliver(runtime, events_pb2.ProblemRaised(problem_group_id="g1", record_ids=["r2"]), producer="dedup")
    assert consumer(runtime)(created("r0", 0, version=3).SerializeToString()) == "handled"
    assert consumer(runtime)(created("old", 9).SerializeToString()) == "handled"
    assert consumer(runtime)(handled_before.SerializeToString()) == "handled"


def test_a_batch_ends_as_its_events_one_by_one(fresh_runtime, caplog):
    handled_before = created("r7", 7)
    events = [
        created("r1", 1),
        created("r0", 0, version=2, name="过期"),  # stale: r0 is at version 3
        created("r2", 2),  # in an open problem group
        handled_before,  # a redelivery: handled already
        created("r5", 9),  # takes the number "old" holds: replaces it
        created("r1", 1, version=1, name="重复"),  # same version again: stale
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
    records, problems = state(batched)
    assert (records, problems) == state(single)
    assert [r["record_id"] for r in records] == ["r0", "r1", "r2", "r3", "r5", "r7"]
    by_id = {r["record_id"]: r for r in records}
    assert (by_id["r0"]["name"], by_id["r0"]["version"], by_id["r1"]["name"]) == ("更新", 4, "张三")
    assert by_id["r2"]["problem"] and not by_id["r1"]["problem"]
    assert by_id["r5"]["national_student_number"] == "G" + number(9)


def statements_of_a_batch(runtime, first: int, n: int) -> int:
    with statements_sent(runtime.engine) as counted:
        body = batch_body([created(f"r{i}", i) for i in range(first, first + n)])
        assert consumer(runtime)(body) == "handled"
    return len(counted)


def test_a_batch_costs_the_same_statements_for_5_records_as_for_50(fresh_runtime):
    runtime = fresh_runtime()
    setup(runtime, created("r7", 7))
    assert statements_of_a_batch(runtime, 100, 5) == statements_of_a_batch(runtime, 200, 50)
    assert len(state(runtime)[0]) == 3 + 55
