"""Cases from other services' events: submissions, dedup results in any order, withdrawals."""

from __future__ import annotations

import pytest
from review_harness import SCHOOL
from sqlalchemy import func, select

from xueji.v1 import common_pb2, events_pb2, review_pb2
from xueji_common.auth import Role
from xueji_common.errors import ConcurrentModification
from xueji_review.domain.model import CaseState, GateStatus


def case(review, application_id):
    with review.rt.uow_factory() as uow:
        return uow.cases.get(application_id)


def test_a_submission_opens_a_case_with_what_review_shows(review):
    app = review.submit(category="hmt_foreign", kind="primary_freshman", name="王小明")
    got = review.reviews.GetCase(
        review_pb2.GetCaseRequest(case_id=app), metadata=review.as_(Role.SCHOOL_LEADER, SCHOOL)
    )
    assert (got.student.name, got.school_name, got.grade, got.class_name) == (
        "王小明",
        "杭州市上城区胜利小学",
        "11",
        "1班",
    )
    assert got.student.document.number.startswith("330***")
    assert got.authentication_status == common_pb2.AUTHENTICATION_STATUS_NOT_AUTHENTICATED
    assert not got.reviewable and "证件号查重" in got.blocked_reason
    assert (got.current_unit_code, got.current_unit_name) == (SCHOOL, "杭州市上城区胜利小学")
    assert list(got.required_levels) == [common_pb2.ORG_UNIT_LEVEL_COUNTY]


def test_a_dedup_result_opens_the_gate_and_is_recorded(review):
    app = review.submit(category="hmt_foreign")
    assert review.dedup(app) == "handled"
    assert case(review, app).gate is GateStatus.PASSED
    assert review.dedup(app) == "handled"  # a second result for the same revision changes nothing
    assert case(review, app).version == 2


def test_a_failed_gate_closes_the_case_with_the_reason(review):
    app = review.submit(category="hmt_foreign")
    review.dedup(app, passed=False, reason="该证件号已被其他学籍使用")
    closed = case(review, app)
    assert (closed.state, closed.gate_reason) == (CaseState.DEDUP_FAILED, "该证件号已被其他学籍使用")


def test_a_dedup_result_arriving_before_its_submission_waits_for_it(review):
    review.dedup("early-app", passed=True)
    review.submit(category="hmt_foreign", application_id="early-app")
    assert case(review, "early-app").gate is GateStatus.PASSED
    # A result for the next revision waits too; the stale revision-1 result changes nothing.
    review.dedup("early-app", passed=False, revision=2, reason="证件号不存在")
    assert case(review, "early-app").gate is GateStatus.PASSED
    review.submit(category="hmt_foreign", application_id="early-app", revision=2)
    assert (case(review, "early-app").gate, case(review, "early-app").state) == (
        GateStatus.FAILED,
        CaseState.DEDUP_FAILED,
    )


def test_a_redelivered_submission_changes_nothing(review):
    app = review.submit()
    snapshot = events_pb2.ApplicationSnapshot(
        application_id=app,
        school_code=SCHOOL,
        county_code="330102",
        kind=2,
        category=1,
        name="改名",
        document_type=1,
        revision=1,
    )
    assert (
        review.deliver(events_pb2.ApplicationSubmitted(application=snapshot), "registration", app)
        == "handled"
    )
    assert case(review, app).name != "改名"  # same revision: stale


def test_withdrawn_cases_leave_the_summary(review):
    app = review.submit(category="no_document")
    meta = review.as_(Role.SCHOOL_LEADER, SCHOOL)
    assert review.reviews.GetPendingSummary(review_pb2.GetPendingSummaryRequest(), metadata=meta).total == 1
    review.deliver(events_pb2.ApplicationWithdrawn(application_id=app), "registration", app)
    assert review.reviews.GetPendingSummary(review_pb2.GetPendingSummaryRequest(), metadata=meta).total == 0
    assert case(review, app).state is CaseState.WITHDRAWN


def test_two_writers_of_one_case_one_wins(review):
    app = review.submit()
    with review.rt.uow_factory() as first, review.rt.uow_factory() as second:
        case1, case2 = first.cases.get(app), second.cases.get(app)
        case1.withdraw()
        first.cases.save(case1, expected_version=1)
        first.commit()
        case2.withdraw()
        with pytest.raises(ConcurrentModification):
            second.cases.save(case2, expected_version=1)


def test_history_is_stored_per_step(review):
    app = review.submit()
    review.dedup(app)
    history = review.reviews.GetCaseHistory(
        review_pb2.GetCaseHistoryRequest(application_id=app),
        metadata=review.as_(Role.SCHOOL_REGISTRAR, SCHOOL),
    )
    assert [e.type for e in history.entries] == [
        review_pb2.CASE_EVENT_TYPE_SUBMITTED,
        review_pb2.CASE_EVENT_TYPE_DEDUP_PASSED,
    ]
    assert history.entries[0].stamp.user_id == "registrar"
    assert history.entries[0].level == common_pb2.ORG_UNIT_LEVEL_SCHOOL
    with review.rt.session_factory() as s:
        assert (
            s.execute(
                select(func.count()).select_from(review.rt.spec.metadata.tables["review_case_history"])
            ).scalar_one()
            == 2
        )


def test_a_submission_and_its_dedup_result_handled_at_once_by_two_workers_meet(review):
    """Two workers: the result must not be parked after the submission looked for it (lost gate)."""
    import threading

    def submit(barrier, app):
        barrier.wait()
        review.submit(category="hmt_foreign", application_id=app)

    def dedup(barrier, app):
        barrier.wait()
        review.dedup(app, passed=True)

    for i in range(15):
        app = f"race-{i}"
        barrier = threading.Barrier(2)
        threads = [threading.Thread(target=work, args=(barrier, app)) for work in (submit, dedup)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(30)
        assert case(review, app).gate is GateStatus.PASSED, app
