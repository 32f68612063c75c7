"""Report (chapters 10, 11) and department review (chapters 12, 13): every level for every category,
rejection and resubmission, the history of each decision."""

from __future__ import annotations

import grpc
import pytest
from review_harness import CITY, COUNTY, OTHER_SCHOOL, PROVINCE, SCHOOL

from xueji.v1 import common_pb2, events_pb2, review_pb2
from xueji_common.auth import Role

NO_DOC = common_pb2.DOCUMENT_CATEGORY_NO_DOCUMENT


def to_county(review, *apps):
    """School approval, then report of the given cases."""
    leader = review.as_(Role.SCHOOL_LEADER, SCHOOL, "leader")
    for app in apps:
        review.reviews.ApproveCase(review_pb2.ApproveCaseRequest(case_id=app), metadata=leader)
    result = review.reports.ReportCases(
        review_pb2.ReportCasesRequest(
            school_code=SCHOOL, cases=[review_pb2.CaseVersion(case_id=a) for a in apps]
        ),
        metadata=review.as_(Role.SCHOOL_REGISTRAR, SCHOOL, "registrar"),
    )
    assert len(result.reported) == len(apps) and not result.refused


def test_the_report_list_counts_per_category_and_reports_to_the_county(review):
    leader = review.as_(Role.SCHOOL_LEADER, SCHOOL)
    registrar = review.as_(Role.SCHOOL_REGISTRAR, SCHOOL)
    apps = [
        review.submit("no_document"),
        review.submit("no_document"),
        review.submit("resident", "primary_freshman"),
    ]
    review.reviews.ApproveAll(review_pb2.ApproveAllRequest(school_codes=[SCHOOL]), metadata=leader)
    summary = review.reports.GetReportSummary(review_pb2.GetReportSummaryRequest(), metadata=registrar)
    assert summary.total == 3 and {c.category: c.count for c in summary.by_category}[NO_DOC] == 2
    listed = review.reports.ListReportableCases(
        review_pb2.ListReportableCasesRequest(category=NO_DOC), metadata=registrar
    )
    assert [c.case_id for c in listed.cases] == apps[:2]
    # One reported by selection, one refused (stale version), then all of a category, then the school.
    result = review.reports.ReportCases(
        review_pb2.ReportCasesRequest(
            school_code=SCHOOL,
            cases=[
                review_pb2.CaseVersion(case_id=apps[0], expected_version=listed.cases[0].version),
                review_pb2.CaseVersion(case_id=apps[1], expected_version=1),
            ],
        ),
        metadata=registrar,
    )
    assert [r.case_id for r in result.reported] == [apps[0]]
    assert [(r.case_id, r.reason_code) for r in result.refused] == [(apps[1], "VERSION_CONFLICT")]
    assert (
        len(
            review.reports.ReportAll(
                review_pb2.ReportAllRequest(category=NO_DOC), metadata=registrar
            ).reported
        )
        == 1
    )
    assert len(review.reports.ReportAll(review_pb2.ReportAllRequest(), metadata=registrar).reported) == 1
    reported = [
        e
        for e in review.published("ReviewProgressed")
        if e.stage == events_pb2.REVIEW_STAGE_AWAITING_COUNTY_REVIEW
    ]
    assert sorted(e.application_id for e in reported) == sorted(apps)
    assert {e.handling_unit_code for e in reported} == {COUNTY}
    county = review.reviews.GetPendingSummary(
        review_pb2.GetPendingSummaryRequest(), metadata=review.as_(Role.DEPARTMENT_REGISTRAR, COUNTY)
    )
    assert county.total == 3 and [(s.school_code, s.total) for s in county.schools] == [(SCHOOL, 3)]


@pytest.mark.parametrize("kind", ["primary_freshman", "non_primary_freshman"])
@pytest.mark.parametrize(
    "category, chain",
    [
        ("resident", [COUNTY]),
        ("hmt_foreign", [COUNTY]),
        ("no_document", [COUNTY, CITY, PROVINCE]),
    ],
)
def test_each_level_of_the_chain_for_each_category(review, kind, category, chain):
    app = review.submit(category, kind)
    if category != "no_document":
        review.dedup(app)
    to_county(review, app)
    stages = {
        CITY: events_pb2.REVIEW_STAGE_AWAITING_CITY_REVIEW,
        PROVINCE: events_pb2.REVIEW_STAGE_AWAITING_PROVINCE_REVIEW,
    }
    for i, unit in enumerate(chain):
        department = review.as_(Role.DEPARTMENT_REGISTRAR, unit, f"dept-{unit}")
        listed = review.reviews.ListPendingCases(
            review_pb2.ListPendingCasesRequest(school_code=SCHOOL), metadata=department
        )
        assert [c.case_id for c in listed.cases] == [app]
        case = review.reviews.ApproveCase(
            review_pb2.ApproveCaseRequest(case_id=app, opinion="同意"), metadata=department
        )
        if i + 1 < len(chain):
            assert (case.state, case.current_unit_code) == (
                review_pb2.REVIEW_CASE_STATE_AWAITING_DEPARTMENT_REVIEW,
                chain[i + 1],
            )
            assert review.published("ReviewProgressed")[-1].stage == stages[chain[i + 1]]
    assert case.state == review_pb2.REVIEW_CASE_STATE_APPROVED
    [approved] = review.published("RegistrationApproved")
    assert (approved.application_id, approved.approved_by.org_unit_code, approved.approved_by.user_id) == (
        app,
        chain[-1],
        f"dept-{chain[-1]}",
    )
    history = review.reviews.GetCaseHistory(
        review_pb2.GetCaseHistoryRequest(case_id=app), metadata=review.as_(Role.SCHOOL_REGISTRAR, SCHOOL)
    )
    decisions = [
        (e.type, e.stamp.org_unit_code)
        for e in history.entries
        if e.type in (review_pb2.CASE_EVENT_TYPE_APPROVED, review_pb2.CASE_EVENT_TYPE_REPORTED)
    ]
    assert decisions == [
        (review_pb2.CASE_EVENT_TYPE_APPROVED, SCHOOL),
        (review_pb2.CASE_EVENT_TYPE_REPORTED, SCHOOL),
        *[(review_pb2.CASE_EVENT_TYPE_APPROVED, unit) for unit in chain],
    ]


def test_a_department_rejection_returns_the_case_and_a_resubmission_starts_again(review):
    app = review.submit("no_document")
    to_county(review, app)
    review.reviews.ApproveCase(
        review_pb2.ApproveCaseRequest(case_id=app), metadata=review.as_(Role.DEPARTMENT_REGISTRAR, COUNTY)
    )
    city = review.as_(Role.DEPARTMENT_REGISTRAR, CITY, "city-user")
    case = review.reviews.RejectCase(
        review_pb2.RejectCaseRequest(case_id=app, opinion="证明材料不足"), metadata=city
    )
    assert (case.state, case.current_unit_code) == (review_pb2.REVIEW_CASE_STATE_RETURNED, SCHOOL)
    assert (case.last_decision.org_unit_name, case.last_decision.user_id, case.last_decision.opinion) == (
        "杭州市",
        "city-user",
        "证明材料不足",
    )
    [returned] = review.published("RegistrationReturned")
    assert (returned.rejected_by.org_unit_code, returned.rejected_by.role) == (
        CITY,
        Role.DEPARTMENT_REGISTRAR.proto,
    )
    review.submit("no_document", application_id=app, revision=2)
    again = review.reviews.GetCase(
        review_pb2.GetCaseRequest(case_id=app), metadata=review.as_(Role.SCHOOL_LEADER, SCHOOL)
    )
    assert (again.state, again.revision) == (review_pb2.REVIEW_CASE_STATE_AWAITING_SCHOOL_REVIEW, 2)
    to_county(review, app)
    history = review.reviews.GetCaseHistory(review_pb2.GetCaseHistoryRequest(case_id=app), metadata=city)
    rejected = [e for e in history.entries if e.type == review_pb2.CASE_EVENT_TYPE_REJECTED]
    assert [(e.revision, e.level, e.stamp.opinion) for e in rejected] == [
        (1, common_pb2.ORG_UNIT_LEVEL_CITY, "证明材料不足")
    ]
    assert [e.revision for e in history.entries].count(2) == 3  # submitted, approved, reported


def test_a_department_approves_all_of_selected_schools(review):
    mine = [review.submit("resident", "primary_freshman"), review.submit("no_document")]
    to_county(review, *mine)
    other = review.submit("no_document", school=OTHER_SCHOOL)
    review.reviews.ApproveCase(
        review_pb2.ApproveCaseRequest(case_id=other), metadata=review.as_(Role.SCHOOL_LEADER, OTHER_SCHOOL)
    )
    review.reports.ReportAll(
        review_pb2.ReportAllRequest(), metadata=review.as_(Role.SCHOOL_REGISTRAR, OTHER_SCHOOL)
    )
    county = review.as_(Role.DEPARTMENT_REGISTRAR, COUNTY)
    result = review.reviews.ApproveAll(
        review_pb2.ApproveAllRequest(school_codes=[SCHOOL, OTHER_SCHOOL]), metadata=county
    )
    assert len(result.approved) == 3 and not result.refused
    assert (
        len(review.published("RegistrationApproved")) == 1
    )  # the resident; the no-document go on to the city
    city = review.reviews.GetPendingSummary(
        review_pb2.GetPendingSummaryRequest(), metadata=review.as_(Role.DEPARTMENT_REGISTRAR, CITY)
    )
    assert {s.school_code: s.total for s in city.schools} == {SCHOOL: 1, OTHER_SCHOOL: 1}


def test_a_case_the_county_sent_to_the_city_is_no_longer_the_countys_to_decide(review):
    """A second county approval finds the county's own decision made first: ABORTED (reload), as
    for two at once; a unit that never had the case is refused (FAILED_PRECONDITION)."""
    app = review.submit("no_document")
    to_county(review, app)
    county = review.as_(Role.DEPARTMENT_REGISTRAR, COUNTY)
    review.reviews.ApproveCase(review_pb2.ApproveCaseRequest(case_id=app), metadata=county)
    with pytest.raises(grpc.RpcError) as err:
        review.reviews.ApproveCase(review_pb2.ApproveCaseRequest(case_id=app), metadata=county)
    assert err.value.code() == grpc.StatusCode.ABORTED and "已被他人更新" in err.value.details()
    with pytest.raises(grpc.RpcError) as err:
        review.reviews.ApproveCase(
            review_pb2.ApproveCaseRequest(case_id=app),
            metadata=review.as_(Role.DEPARTMENT_REGISTRAR, PROVINCE),
        )
    assert (
        err.value.code() == grpc.StatusCode.FAILED_PRECONDITION and "不在本单位待审核" in err.value.details()
    )
