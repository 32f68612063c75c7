"""The intake batches (service_layer/intake.py::open_cases, gates_completed) on the in-memory unit of
work: each item gets its own outcome (stale, duplicate and early items change nothing or wait, and
raise nothing), nothing is committed by the batch, and a batch ends where the same events handled one
by one end (the single path is the reference)."""

from __future__ import annotations

import copy
import datetime as dt

from review_fakes import FakeReviewUoW

from xueji_review.domain.model import CaseEventType, CaseState, GateStatus
from xueji_review.service_layer import intake
from xueji_review.service_layer.intake import GateResult, Submission

SCHOOL = "1330102001"
START = dt.datetime(2026, 9, 1, tzinfo=dt.UTC)


def submission(case_id: str, revision: int = 1, category: str = "hmt_foreign", name: str = "") -> Submission:
    return Submission(
        case_id,
        revision,
        START + dt.timedelta(minutes=revision),
        identity=dict(
            school_code=SCHOOL,
            county_code=SCHOOL[1:7],
            kind="non_primary_freshman",
            category=category,
            name=name or f"学生{case_id}",
            gender=1,
            birth_date=None,
            document_type="1",
            document_masked="330***********1234",
        ),
    )


def state(uow: FakeReviewUoW):
    """What the batch and the single path must agree on (times of gate steps aside: now())."""
    cases = {
        i: (c.revision, c.name, c.state, c.gate, c.gate_reason, c.version) for i, c in uow.cases.rows.items()
    }
    history = [(e.application_id, e.revision, e.type, e.opinion) for e in uow.history.entries]
    return cases, sorted(history, key=lambda e: e[0]), dict(uow.gate_results.parked)


def test_a_stale_submission_in_a_batch_changes_nothing_and_raises_nothing():
    uow = FakeReviewUoW()
    intake.open_case(uow, application_id="a", revision=2, submitted_at=START, **submission("a").identity)
    before = copy.deepcopy(state(uow))
    intake.open_cases(uow, [submission("a", revision=1, name="旧"), submission("a", revision=2, name="重投")])
    assert state(uow) == before


def test_a_duplicate_submission_in_a_batch_opens_one_case_with_one_step():
    uow = FakeReviewUoW()
    intake.open_cases(uow, [submission("a"), submission("a")])
    assert list(uow.cases.rows) == ["a"] and uow.cases.rows["a"].version == 1
    assert [e.type for e in uow.history.entries] == [CaseEventType.SUBMITTED]
    assert uow.commits == 0  # the consumer commits the batch


def test_a_duplicate_or_stale_gate_result_in_a_batch_changes_nothing():
    uow = FakeReviewUoW()
    intake.open_cases(uow, [submission("a", revision=1), submission("a", revision=2)])
    intake.gates_completed(
        uow,
        [GateResult("a", 1, False, "旧结果"), GateResult("a", 2, True), GateResult("a", 2, False, "重复")],
    )
    case = uow.cases.rows["a"]
    assert (case.gate, case.gate_reason, case.version) == (GateStatus.PASSED, "", 3)
    assert [e.type for e in uow.history.entries][-1] is CaseEventType.DEDUP_PASSED
    assert not uow.gate_results.parked and uow.commits == 0


def test_early_results_wait_for_their_revision_and_are_taken_with_older_ones():
    uow = FakeReviewUoW()
    intake.gates_completed(
        uow, [GateResult("a", 1, True), GateResult("a", 2, False, "证件号不存在"), GateResult("a", 2, True)]
    )
    assert uow.gate_results.parked == {("a", 1): (True, ""), ("a", 2): (False, "证件号不存在")}
    intake.open_cases(uow, [submission("a", revision=1), submission("a", revision=2)])
    case = uow.cases.rows["a"]
    assert (case.revision, case.gate, case.state) == (2, GateStatus.FAILED, CaseState.DEDUP_FAILED)
    assert not uow.gate_results.parked
    assert [e.type for e in uow.history.entries] == [
        CaseEventType.SUBMITTED,
        CaseEventType.DEDUP_PASSED,
        CaseEventType.SUBMITTED,
        CaseEventType.DEDUP_FAILED,
    ]


def test_a_mixed_batch_ends_where_the_same_events_one_by_one_end():
    results = [
        GateResult("early", 1, True),  # before its submission
        GateResult("next", 2, False, "身份信息不一致"),  # for a revision not here yet
        GateResult("open", 1, True),
        GateResult("open", 1, False, "重复"),  # a second result of the same revision
        GateResult("old", 0, True),  # an older revision
    ]
    submissions = [
        submission("early"),
        submission("next", revision=2),  # a correction: restarts the case, takes its parked result
        submission("next", revision=1),  # stale
        submission("new", category="no_document"),
        submission("new", category="no_document"),  # duplicate
    ]
    before = [submission("open"), submission("next"), submission("old")]
    batched, single = FakeReviewUoW(), FakeReviewUoW()
    for uow in (batched, single):
        intake.open_cases(uow, before)
    intake.gates_completed(batched, results)
    intake.open_cases(batched, submissions)
    for r in results:
        intake.gate_completed(
            single, application_id=r.application_id, revision=r.revision, passed=r.passed, reason=r.reason
        )
    for s in submissions:
        intake.open_case(
            single,
            application_id=s.application_id,
            revision=s.revision,
            submitted_at=s.submitted_at,
            **s.identity,
        )
    assert state(batched) == state(single)
    assert batched.cases.rows["next"].state is CaseState.DEDUP_FAILED
    assert batched.cases.rows["early"].gate is GateStatus.PASSED
    assert batched.serialized.count("next") == 3  # the single path's lock, taken once per batch
