"""Every jurisdiction refusal, and two reviewers deciding at once (optimistic versioning)."""

from __future__ import annotations

import threading

import grpc
import pytest
from review_harness import CITY, COUNTY, NINGBO_SCHOOL, OTHER_COUNTY_SCHOOL, OTHER_SCHOOL, PROVINCE, SCHOOL

from xueji.v1 import review_pb2
from xueji_common.auth import Role


def denied(call, *args, **kwargs) -> str:
    with pytest.raises(grpc.RpcError) as err:
        call(*args, **kwargs)
    assert err.value.code() == grpc.StatusCode.PERMISSION_DENIED, err.value.details()
    return err.value.details()


def at_level(review, app, levels):
    """Move a no-document case up to the department after the given ones."""
    review.reviews.ApproveCase(
        review_pb2.ApproveCaseRequest(case_id=app), metadata=review.as_(Role.SCHOOL_LEADER, SCHOOL)
    )
    review.reports.ReportAll(
        review_pb2.ReportAllRequest(), metadata=review.as_(Role.SCHOOL_REGISTRAR, SCHOOL)
    )
    for unit in levels:
        review.reviews.ApproveCase(
            review_pb2.ApproveCaseRequest(case_id=app), metadata=review.as_(Role.DEPARTMENT_REGISTRAR, unit)
        )


def test_a_school_leader_reviews_only_their_school(review):
    app = review.submit("no_document")
    other = review.as_(Role.SCHOOL_LEADER, OTHER_SCHOOL)
    assert "超出本单位管辖范围" in denied(
        review.reviews.ApproveCase, review_pb2.ApproveCaseRequest(case_id=app), metadata=other
    )
    denied(review.reviews.RejectCase, review_pb2.RejectCaseRequest(case_id=app, opinion="x"), metadata=other)
    denied(
        review.reviews.ReviewCases,
        review_pb2.ReviewCasesRequest(
            selected_case_ids=[app], case_id=app, decision=review_pb2.REVIEW_DECISION_APPROVE
        ),
        metadata=other,
    )
    denied(review.reviews.ApproveAll, review_pb2.ApproveAllRequest(school_codes=[SCHOOL]), metadata=other)
    denied(
        review.reviews.GetPendingSummary,
        review_pb2.GetPendingSummaryRequest(school_code=SCHOOL),
        metadata=other,
    )
    denied(
        review.reviews.ListPendingCases,
        review_pb2.ListPendingCasesRequest(school_code=SCHOOL),
        metadata=other,
    )
    denied(review.reviews.GetCase, review_pb2.GetCaseRequest(case_id=app), metadata=other)
    denied(review.reviews.GetCaseHistory, review_pb2.GetCaseHistoryRequest(case_id=app), metadata=other)


def test_only_reviewers_decide_and_only_the_schools_registrar_reports(review):
    app = review.submit("no_document")
    registrar = review.as_(Role.SCHOOL_REGISTRAR, SCHOOL)
    assert "无权执行此操作" in denied(
        review.reviews.ApproveCase, review_pb2.ApproveCaseRequest(case_id=app), metadata=registrar
    )
    denied(review.reviews.ApproveAll, review_pb2.ApproveAllRequest(school_codes=[SCHOOL]), metadata=registrar)
    review.reviews.ApproveCase(
        review_pb2.ApproveCaseRequest(case_id=app), metadata=review.as_(Role.SCHOOL_LEADER, SCHOOL)
    )
    report = review_pb2.ReportCasesRequest(school_code=SCHOOL, cases=[review_pb2.CaseVersion(case_id=app)])
    denied(review.reports.ReportCases, report, metadata=review.as_(Role.SCHOOL_LEADER, SCHOOL))
    denied(review.reports.ReportCases, report, metadata=review.as_(Role.DEPARTMENT_REGISTRAR, COUNTY))
    denied(review.reports.ReportCases, report, metadata=review.as_(Role.SCHOOL_REGISTRAR, OTHER_SCHOOL))
    denied(
        review.reports.ReportAll,
        review_pb2.ReportAllRequest(school_code=SCHOOL),
        metadata=review.as_(Role.SCHOOL_REGISTRAR, OTHER_SCHOOL),
    )
    denied(
        review.reports.ListReportableCases,
        review_pb2.ListReportableCasesRequest(school_code=SCHOOL),
        metadata=review.as_(Role.SCHOOL_REGISTRAR, OTHER_SCHOOL),
    )


def test_a_county_registrar_reviews_only_schools_of_their_county(review):
    app = review.submit("no_document")
    at_level(review, app, [])
    other_county = review.as_(Role.DEPARTMENT_REGISTRAR, "330105")
    denied(review.reviews.ApproveCase, review_pb2.ApproveCaseRequest(case_id=app), metadata=other_county)
    denied(
        review.reviews.ApproveAll, review_pb2.ApproveAllRequest(school_codes=[SCHOOL]), metadata=other_county
    )
    denied(
        review.reviews.ListPendingCases,
        review_pb2.ListPendingCasesRequest(school_code=SCHOOL),
        metadata=other_county,
    )
    summary = review.reviews.GetPendingSummary(review_pb2.GetPendingSummaryRequest(), metadata=other_county)
    assert summary.total == 0 and not summary.schools
    review.submit("no_document", school=OTHER_COUNTY_SCHOOL)
    denied(
        review.reviews.ApproveAll,
        review_pb2.ApproveAllRequest(school_codes=[OTHER_COUNTY_SCHOOL]),
        metadata=review.as_(Role.DEPARTMENT_REGISTRAR, COUNTY),
    )


def test_a_city_registrar_reviews_only_cases_that_reached_the_city_in_their_city(review):
    app = review.submit("no_document")
    at_level(review, app, [])
    city = review.as_(Role.DEPARTMENT_REGISTRAR, CITY)
    with pytest.raises(grpc.RpcError) as err:  # still at the county: not the city's to decide yet
        review.reviews.ApproveCase(review_pb2.ApproveCaseRequest(case_id=app), metadata=city)
    assert err.value.code() == grpc.StatusCode.FAILED_PRECONDITION
    assert review.reviews.GetPendingSummary(review_pb2.GetPendingSummaryRequest(), metadata=city).total == 0
    review.reviews.ApproveCase(
        review_pb2.ApproveCaseRequest(case_id=app), metadata=review.as_(Role.DEPARTMENT_REGISTRAR, COUNTY)
    )
    ningbo = review.as_(Role.DEPARTMENT_REGISTRAR, "330200")
    denied(review.reviews.ApproveCase, review_pb2.ApproveCaseRequest(case_id=app), metadata=ningbo)
    denied(
        review.reviews.ListPendingCases,
        review_pb2.ListPendingCasesRequest(school_code=SCHOOL),
        metadata=ningbo,
    )
    assert review.reviews.GetPendingSummary(review_pb2.GetPendingSummaryRequest(), metadata=city).total == 1
    review.submit("no_document", school=NINGBO_SCHOOL)
    denied(
        review.reviews.ApproveAll, review_pb2.ApproveAllRequest(school_codes=[NINGBO_SCHOOL]), metadata=city
    )


def test_a_province_registrar_reviews_only_cases_at_province_level_in_their_province(review):
    app = review.submit("no_document")
    at_level(review, app, [COUNTY, CITY])
    denied(
        review.reviews.ApproveCase,
        review_pb2.ApproveCaseRequest(case_id=app),
        metadata=review.as_(Role.DEPARTMENT_REGISTRAR, "320000"),
    )
    case = review.reviews.ApproveCase(
        review_pb2.ApproveCaseRequest(case_id=app), metadata=review.as_(Role.DEPARTMENT_REGISTRAR, PROVINCE)
    )
    assert case.state == review_pb2.REVIEW_CASE_STATE_APPROVED


def race(*calls):
    """Run the calls at the same moment; their outcomes (response or status code), in call order."""
    barrier = threading.Barrier(len(calls))
    outcomes = [None] * len(calls)

    def run(i, call):
        barrier.wait()
        try:
            outcomes[i] = call()
        except grpc.RpcError as exc:
            outcomes[i] = (exc.code(), exc.details())

    threads = [threading.Thread(target=run, args=(i, c)) for i, c in enumerate(calls)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return outcomes


@pytest.mark.parametrize("attempt", range(3))
def test_two_reviewers_deciding_one_case_at_once_one_wins(review, attempt):
    app = review.submit("no_document")
    first = review.as_(Role.SCHOOL_LEADER, SCHOOL, "leader-a")
    second = review.as_(Role.SCHOOL_LEADER, SCHOOL, "leader-b")
    outcomes = race(
        lambda: review.reviews.ApproveCase(
            review_pb2.ApproveCaseRequest(case_id=app, expected_version=1), metadata=first
        ),
        lambda: review.reviews.RejectCase(
            review_pb2.RejectCaseRequest(case_id=app, opinion="不符", expected_version=1), metadata=second
        ),
    )
    failures = [o for o in outcomes if isinstance(o, tuple)]
    assert len(failures) == 1, outcomes
    code, message = failures[0]
    assert code == grpc.StatusCode.ABORTED and "已被他人更新，请刷新后重试" in message
    assert len(review.published()) == 1  # one decision, one event


def test_approve_all_racing_a_single_decision_never_applies_both(review):
    apps = [review.submit("no_document") for _ in range(30)]
    leader = review.as_(Role.SCHOOL_LEADER, SCHOOL)
    batch, single = race(
        lambda: review.reviews.ApproveAll(
            review_pb2.ApproveAllRequest(school_codes=[SCHOOL]), metadata=leader
        ),
        lambda: review.reviews.RejectCase(
            review_pb2.RejectCaseRequest(case_id=apps[-1], opinion="不符", expected_version=1),
            metadata=leader,
        ),
    )
    approved = {r.case_id for r in batch.approved}
    assert (apps[-1] in approved) == isinstance(single, tuple)
    assert len(approved) == 30 - (0 if isinstance(single, tuple) else 1)
    assert len(review.published()) == 30  # each case decided exactly once


def test_a_county_approval_after_another_at_version_0_is_aborted_not_a_refusal(review):
    app = review.submit("resident")
    review.dedup(app)
    at_level(review, app, [])
    county = review.as_(Role.DEPARTMENT_REGISTRAR, COUNTY, "county-a")
    review.reviews.ApproveCase(review_pb2.ApproveCaseRequest(case_id=app), metadata=county)
    with pytest.raises(grpc.RpcError) as err:
        review.reviews.ApproveCase(
            review_pb2.ApproveCaseRequest(case_id=app),
            metadata=review.as_(Role.DEPARTMENT_REGISTRAR, COUNTY, "county-b"),
        )
    assert err.value.code() == grpc.StatusCode.ABORTED and "已被他人更新，请刷新后重试" in err.value.details()


@pytest.mark.parametrize("attempt", range(3))
def test_two_county_approvals_at_version_0_at_once_one_wins_the_other_is_aborted(review, attempt):
    app = review.submit("no_document")
    at_level(review, app, [])
    calls = [
        lambda user=user: review.reviews.ApproveCase(
            review_pb2.ApproveCaseRequest(case_id=app),
            metadata=review.as_(Role.DEPARTMENT_REGISTRAR, COUNTY, user),
        )
        for user in ("county-a", "county-b")
    ]
    failures = [o for o in race(*calls) if isinstance(o, tuple)]
    assert [code for code, _ in failures] == [grpc.StatusCode.ABORTED], failures
