"""Matrix entries of review: Reviews and Reports (security_rpcs has the rules).

A reviewer decides the case waiting for it: a school leader the one at the school review, a county
registrar the one at the county review ("county_<purpose>" in security_world). Roles as the rpc
comments of review.proto say, except that the service lets the system role read every list and
summary too (GetPendingSummary, ListPendingCases, GetReportSummary, ListReportableCases): the
matrix states what the service enforces."""

from __future__ import annotations

from tests.e2e.security_rpcs_registration import system
from tests.e2e.security_table import ALL, DR, SL, SR, SYS, Rpc

from xueji.v1 import review_pb2 as rv


def case_version(site, purpose: str) -> int:
    return site.actor.reviews.GetCase(
        rv.GetCaseRequest(case_id=site.app(purpose)), metadata=system(site), timeout=10
    ).version


def _decided(caller, purpose: str) -> str:
    return f"county_{purpose}" if caller.role is DR else purpose


def _pending_summary(w, c, u):
    """A department registrar names a department's area in department_code; anything else goes in
    school_code (a school caller naming its county is refused for jurisdiction, not for the field)."""
    if c.role is DR and len(u) == 6:
        return rv.GetPendingSummaryRequest(department_code=u)
    return rv.GetPendingSummaryRequest(school_code=u)


def _approve(w, c, u):
    site, purpose = w.site(u), _decided(c, "approve")
    return rv.ApproveCaseRequest(case_id=site.app(purpose), expected_version=case_version(site, purpose))


def _reject(w, c, u):
    site, purpose = w.site(u), _decided(c, "reject")
    return rv.RejectCaseRequest(
        case_id=site.app(purpose), opinion="材料不全", expected_version=case_version(site, purpose)
    )


def _review(w, c, u):
    site, purpose = w.site(u), _decided(c, "review")
    return rv.ReviewCasesRequest(
        selected_case_ids=[site.app(purpose)],
        case_id=site.app(purpose),
        decision=rv.REVIEW_DECISION_APPROVE,
        expected_version=case_version(site, purpose),
    )


def _report(w, c, u):
    site = w.site(u)
    return rv.ReportCasesRequest(
        school_code=u,
        cases=[rv.CaseVersion(case_id=site.app("report"), expected_version=case_version(site, "report"))],
    )


REVIEWS = [
    Rpc("Reviews", "GetPendingSummary", ALL, "unit", _pending_summary, "review"),
    Rpc(
        "Reviews",
        "ListPendingCases",
        (SL, DR, SYS),
        "school_code",
        lambda w, c, u: rv.ListPendingCasesRequest(school_code=u),
        "review",
    ),
    Rpc(
        "Reviews",
        "GetCase",
        ALL,
        "school",
        lambda w, c, u: rv.GetCaseRequest(case_id=w.site(u).app("main")),
        "review",
    ),
    Rpc("Reviews", "ApproveCase", (SL, DR), "school", _approve, "review"),
    Rpc("Reviews", "RejectCase", (SL, DR), "school", _reject, "review"),
    Rpc("Reviews", "ReviewCases", (SL, DR), "school", _review, "review"),
    Rpc(
        "Reviews",
        "ApproveAll",
        (SL, DR),
        "school_code",
        lambda w, c, u: rv.ApproveAllRequest(school_codes=[u]),
        "review",
        last=True,
    ),
    Rpc(
        "Reviews",
        "GetCaseHistory",
        ALL,
        "school",
        lambda w, c, u: rv.GetCaseHistoryRequest(case_id=w.site(u).app("main")),
        "review",
    ),
    Rpc(
        "Reports",
        "GetReportSummary",
        ALL,
        "school_code",
        lambda w, c, u: rv.GetReportSummaryRequest(school_code=u),
        "review",
    ),
    Rpc(
        "Reports",
        "ListReportableCases",
        (SR, SL, SYS),
        "school_code",
        lambda w, c, u: rv.ListReportableCasesRequest(school_code=u),
        "review",
    ),
    Rpc("Reports", "ReportCases", (SR,), "school_code", _report, "review"),
    Rpc(
        "Reports",
        "ReportAll",
        (SR,),
        "school_code",
        lambda w, c, u: rv.ReportAllRequest(school_code=u),
        "review",
        last=True,
    ),
]
