"""The read model from events in SQL, through the consumer: stored hashed and masked, idempotent, problem
flags of open groups (the use cases' rules: tests/unit/test_nq_use_cases.py)."""

from __future__ import annotations

from nq_support import created, deliver, snapshot

from xueji.v1 import events_pb2
from xueji_common.hashing import document_hash
from xueji_common.messaging.envelope import new_envelope

NUMBER = "33010220150601123X"


def record(runtime, record_id="r1"):
    with runtime.uow_factory() as uow:
        return uow.records.get(record_id)


def changed(runtime, number=NUMBER, **kw):
    snap = snapshot(number=number, **kw)
    return deliver(runtime, events_pb2.StudentRecordChanged(record=snap), aggregate_id=snap.record_id)


def test_a_created_record_is_stored_hashed_and_masked(runtime):
    assert created(runtime) == "handled"
    stored = record(runtime)
    assert stored.document_hash == document_hash(runtime.settings.hash_key, "1", NUMBER)
    assert stored.document_masked == "330***********123X"
    assert (stored.stage, stored.enrolment_status, stored.school_name) == (
        "primary",
        "enrolled",
        stored.school_name,
    )
    assert stored.school_name  # from the org-unit tree


def test_a_redelivered_event_changes_nothing(runtime):
    event = events_pb2.StudentRecordCreated(record=snapshot())
    envelope = new_envelope(event, producer="registration", aggregate_id="r1")
    assert deliver(runtime, event, envelope=envelope) == "handled"
    changed(runtime, version=2, name="张叁")
    assert deliver(runtime, event, envelope=envelope) == "duplicate"
    assert record(runtime).name == "张叁"


def test_a_record_in_two_open_groups_stays_flagged_until_both_close(runtime):
    created(runtime)
    for group in ("g1", "g2"):
        deliver(
            runtime, events_pb2.ProblemRaised(problem_group_id=group, record_ids=["r1"]), producer="dedup"
        )
    deliver(runtime, events_pb2.ProblemResolved(problem_group_id="g1"), producer="dedup")
    assert record(runtime).problem
    deliver(runtime, events_pb2.ProblemResolved(problem_group_id="g2", record_ids=["r1"]), producer="dedup")
    assert not record(runtime).problem
