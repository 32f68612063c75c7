"""The read model from events: idempotent, in order per record, problem flags from both producers."""

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


def test_a_stale_snapshot_is_ignored(runtime):
    created(runtime)
    changed(runtime, version=3, name="新名字", national_student_number="L330102201506011234")
    changed(runtime, version=2, name="旧名字")
    stored = record(runtime)
    assert (stored.name, stored.version, stored.national_student_number) == (
        "新名字",
        3,
        "L330102201506011234",
    )


def test_problem_groups_flag_the_record_until_resolved(runtime):
    created(runtime)
    created(
        runtime, number="33010220150601123X", record_id="r2", national_student_number="L330102201506010001"
    )
    deliver(
        runtime, events_pb2.ProblemRaised(problem_group_id="g1", record_ids=["r1", "r2"]), producer="dedup"
    )
    assert record(runtime, "r1").problem and record(runtime, "r2").problem
    changed(runtime, version=2)  # a later snapshot keeps the open group's flag
    assert record(runtime, "r1").problem
    deliver(
        runtime, events_pb2.ProblemResolved(problem_group_id="g1", record_ids=["r1", "r2"]), producer="dedup"
    )
    assert not record(runtime, "r1").problem and not record(runtime, "r2").problem


def test_a_problem_raised_before_the_record_arrives_still_counts(runtime):
    deliver(runtime, events_pb2.ProblemRaised(problem_group_id="g1", record_ids=["r1"]), producer="dedup")
    created(runtime)
    assert record(runtime).problem


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
