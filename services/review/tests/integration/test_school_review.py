"""School review (chapters 8, 9) over gRPC: counts, lists, decisions, sequence, approve all, gates."""

from __future__ import annotations

import grpc
import pytest
from review_harness import OTHER_SCHOOL, SCHOOL

from xueji.v1 import common_pb2, events_pb2, review_pb2
from xueji_common.auth import Role
from xueji_common.grpcserver.errors import field_violations, precondition_violations

RESIDENT, HMT, NO_DOC = (
    common_pb2.DOCUMENT_CATEGORY_RESIDENT,
    common_pb2.DOCUMENT_CATEGORY_HMT_FOREIGN,
    common_pb2.DOCUMENT_CATEGORY_NO_DOCUMENT,
)
APPROVE, REJECT = review_pb2.REVIEW_DECISION_APPROVE, review_pb2.REVIEW_DECISION_REJECT


@pytest.fixture
def leader(review):
    return review.as_(Role.SCHOOL_LEADER, SCHOOL, "leader-1")


def counts(summary):
    return {c.category: c.count for c in summary.by_category}


def test_the_summary_counts_waiting_students_in_total_and_per_category(review, leader):
    (
        review.submit("resident"),
        review.submit("resident"),
        review.submit("hmt_foreign"),
        review.submit("no_document"),
    )
    review.submit("resident", school=OTHER_SCHOOL)
    summary = review.reviews.GetPendingSummary(review_pb2.GetPendingSummaryRequest(), metadata=leader)
    assert (summary.total, counts(summary), summary.blocked) == (4, {RESIDENT: 2, HMT: 1, NO_DOC: 1}, 3)
    only = review.reviews.GetPendingSummary(
        review_pb2.GetPendingSummaryRequest(category=HMT), metadata=leader
    )
    assert only.total == 1
    freshmen = review.reviews.GetPendingSummary(
        review_pb2.GetPendingSummaryRequest(kind=common_pb2.REGISTRATION_KIND_PRIMARY_FRESHMAN),
        metadata=leader,
    )
    assert freshmen.total == 0


def test_the_list_of_a_category_is_paged_in_submission_order(review, leader):
    ids = [review.submit("no_document") for _ in range(5)]
    review.submit("resident")
    seen, token, first_token = [], "", ""
    while True:
        page = review.reviews.ListPendingCases(
            review_pb2.ListPendingCasesRequest(
                school_code=SCHOOL, category=NO_DOC, page_size=2, page_token=token
            ),
            metadata=leader,
        )
        assert page.total_size == 5
        seen += [c.case_id for c in page.cases]
        token = page.next_page_token
        first_token = first_token or token
        if not token:
            break
    assert seen == ids
    for bad in ("???", first_token):  # garbled; made for another category
        with pytest.raises(grpc.RpcError) as err:
            review.reviews.ListPendingCases(
                review_pb2.ListPendingCasesRequest(
                    school_code=SCHOOL, category=RESIDENT, page_size=2, page_token=bad
                ),
                metadata=leader,
            )
        assert err.value.code() == grpc.StatusCode.INVALID_ARGUMENT
        assert dict(field_violations(err.value)) == {
            "page_token": "分页标记无效或与本次查询条件不符，请从第一页重新查询"
        }


def test_approve_sends_the_student_to_the_report_list_and_tells_registration(review, leader):
    app = review.submit("no_document")
    case = review.reviews.ApproveCase(
        review_pb2.ApproveCaseRequest(case_id=app, expected_version=1), metadata=leader
    )
    assert case.state == review_pb2.REVIEW_CASE_STATE_AWAITING_REPORT
    assert (case.last_decision.user_id, case.last_decision.org_unit_code) == ("leader-1", SCHOOL)
    [progressed] = review.published("ReviewProgressed")
    assert (progressed.application_id, progressed.stage) == (app, events_pb2.REVIEW_STAGE_AWAITING_REPORT)


def test_reject_needs_an_opinion_and_returns_the_student(review, leader):
    app = review.submit("no_document")
    with pytest.raises(grpc.RpcError) as err:
        review.reviews.RejectCase(review_pb2.RejectCaseRequest(case_id=app), metadata=leader)
    assert dict(field_violations(err.value)) == {"opinion": "审核不通过时必须填写审核意见"}
    assert review.published() == []
    case = review.reviews.RejectCase(
        review_pb2.RejectCaseRequest(case_id=app, opinion="照片不清晰"), metadata=leader
    )
    assert case.state == review_pb2.REVIEW_CASE_STATE_RETURNED
    [returned] = review.published("RegistrationReturned")
    assert (returned.rejected_by.opinion, returned.rejected_by.org_unit_name) == (
        "照片不清晰",
        "杭州市上城区胜利小学",
    )


@pytest.mark.parametrize(
    "kind, category, gate_needed",
    [
        ("primary_freshman", "resident", False),
        ("primary_freshman", "hmt_foreign", True),
        ("primary_freshman", "no_document", False),
        ("non_primary_freshman", "resident", True),
        ("non_primary_freshman", "hmt_foreign", True),
        ("non_primary_freshman", "no_document", False),
    ],
)
def test_each_gate_over_grpc(review, leader, kind, category, gate_needed):
    app = review.submit(category, kind)
    if gate_needed:
        with pytest.raises(grpc.RpcError) as err:
            review.reviews.ApproveCase(review_pb2.ApproveCaseRequest(case_id=app), metadata=leader)
        assert err.value.code() == grpc.StatusCode.FAILED_PRECONDITION and "不能审核" in err.value.details()
        assert precondition_violations(err.value)[0][:2] == ("NOT_REVIEWABLE", app)
        review.dedup(app)
    review.reviews.ApproveCase(review_pb2.ApproveCaseRequest(case_id=app), metadata=leader)


def test_several_selected_are_reviewed_one_after_another(review, leader):
    a, b, c = review.submit("no_document"), review.submit("no_document"), review.submit("no_document")
    selected = [a, b, c]
    step = review.reviews.ReviewCases(
        review_pb2.ReviewCasesRequest(selected_case_ids=selected, case_id=a, decision=APPROVE),
        metadata=leader,
    )
    assert (step.decided.case_id, step.next.case_id, step.remaining) == (a, b, 1)
    step = review.reviews.ReviewCases(
        review_pb2.ReviewCasesRequest(
            selected_case_ids=selected,
            case_id=b,
            decision=REJECT,
            opinion="信息有误",
            expected_version=step.next.version,
        ),
        metadata=leader,
    )
    assert (step.next.case_id, step.remaining) == (c, 0)
    step = review.reviews.ReviewCases(
        review_pb2.ReviewCasesRequest(selected_case_ids=selected, case_id=c, decision=APPROVE),
        metadata=leader,
    )
    assert not step.HasField("next")
    with pytest.raises(grpc.RpcError) as err:
        review.reviews.ReviewCases(
            review_pb2.ReviewCasesRequest(selected_case_ids=[a], case_id=b, decision=APPROVE), metadata=leader
        )
    assert "case_id" in dict(field_violations(err.value))


def test_a_non_freshman_selection_with_unauthenticated_students_is_refused_naming_them(review, leader):
    ok = review.submit("no_document", name="甲")
    blocked = [review.submit("resident", name="乙"), review.submit("resident", name="丙")]
    with pytest.raises(grpc.RpcError) as err:
        review.reviews.ReviewCases(
            review_pb2.ReviewCasesRequest(selected_case_ids=[ok, *blocked], case_id=ok, decision=APPROVE),
            metadata=leader,
        )
    assert err.value.code() == grpc.StatusCode.FAILED_PRECONDITION
    assert err.value.details() == "以下学生未完成学籍查重认证，不能审核：乙、丙"
    assert [v[1] for v in precondition_violations(err.value)] == blocked
    assert review.published() == []  # nothing decided


def test_approve_all_approves_the_eligible_and_reports_the_others(review, leader):
    eligible = [review.submit("no_document"), review.submit("resident", "primary_freshman")]
    waiting = review.submit("hmt_foreign", name="李雷")
    review.submit("no_document", school=OTHER_SCHOOL)
    result = review.reviews.ApproveAll(review_pb2.ApproveAllRequest(school_codes=[SCHOOL]), metadata=leader)
    assert sorted(r.case_id for r in result.approved) == sorted(eligible)
    [refused] = result.refused
    assert (refused.case_id, refused.student_name, refused.reason_code) == (waiting, "李雷", "NOT_REVIEWABLE")
    assert "证件号查重" in refused.reason
    assert len(review.published("ReviewProgressed")) == 2
    summary = review.reviews.GetPendingSummary(review_pb2.GetPendingSummaryRequest(), metadata=leader)
    assert (summary.total, summary.blocked) == (1, 1)


def test_approve_all_of_one_category(review, leader):
    review.submit("no_document"), review.submit("resident", "primary_freshman")
    result = review.reviews.ApproveAll(
        review_pb2.ApproveAllRequest(school_codes=[SCHOOL], category=NO_DOC), metadata=leader
    )
    assert len(result.approved) == 1 and not result.refused
    with pytest.raises(grpc.RpcError) as err:
        review.reviews.ApproveAll(
            review_pb2.ApproveAllRequest(school_codes=[SCHOOL, OTHER_SCHOOL], category=NO_DOC),
            metadata=review.as_(Role.DEPARTMENT_REGISTRAR, "330102"),
        )
    assert "category" in dict(field_violations(err.value))


def test_a_school_with_nothing_waiting_shows_zero_per_category(review, leader):
    summary = review.reviews.GetPendingSummary(review_pb2.GetPendingSummaryRequest(), metadata=leader)
    assert (summary.total, counts(summary)) == (0, {RESIDENT: 0, HMT: 0, NO_DOC: 0})
    from google.protobuf import json_format

    printed = json_format.MessageToDict(summary, always_print_fields_with_no_presence=True)  # as `xueji call`
    assert printed["total"] == "0" and [c["count"] for c in printed["byCategory"]] == ["0", "0", "0"]


def test_approving_right_after_the_submission_is_a_retryable_refusal_not_not_found(review, leader):
    import uuid

    on_its_way = str(uuid.uuid4())  # submitted, its event not handled by review yet
    for call in (
        lambda: review.reviews.ApproveCase(
            review_pb2.ApproveCaseRequest(case_id=on_its_way), metadata=leader
        ),
        lambda: review.reviews.ReviewCases(
            review_pb2.ReviewCasesRequest(
                selected_case_ids=[on_its_way], case_id=on_its_way, decision=APPROVE
            ),
            metadata=leader,
        ),
    ):
        with pytest.raises(grpc.RpcError) as err:
            call()
        assert err.value.code() == grpc.StatusCode.FAILED_PRECONDITION
        assert "审核记录正在生成，请稍后再试" in err.value.details()
        assert [v[0] for v in precondition_violations(err.value)] == ["CASE_NOT_READY"]
    review.submit("no_document", application_id=on_its_way)  # the event arrives: the same call goes through
    assert review.reviews.ApproveCase(
        review_pb2.ApproveCaseRequest(case_id=on_its_way), metadata=leader
    ).case_id
