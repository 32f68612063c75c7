"""Read use cases: waiting counts, lists, one case, its history."""

from __future__ import annotations

from collections import defaultdict

from xueji_common.auth import Principal, Role
from xueji_common.authz import authorize, require_jurisdiction
from xueji_common.errors import FieldViolation, InvalidArgument
from xueji_common.orgunits import OrgTree
from xueji_review.domain.model import CaseEvent, CaseEventType, CaseState, PendingSummary, ReviewCase
from xueji_review.domain.rules import school_review_block
from xueji_review.service_layer.common import (
    READERS,
    REVIEWERS,
    SCHOOL_ROLES,
    actor_for,
    awaiting_query,
    load_case,
)
from xueji_review.service_layer.unit_of_work import CaseQuery, ReviewUoW

_DECISIONS = (CaseEventType.APPROVED, CaseEventType.REJECTED, CaseEventType.REPORTED)


def _school_of_caller(principal: Principal, school_code: str) -> str:
    return school_code or (principal.org_unit if principal.role in SCHOOL_ROLES else "")


def review_query(
    tree: OrgTree,
    principal: Principal,
    *,
    school_code: str = "",
    category: str = "",
    kind: str = "",
    department_code: str = "",
) -> CaseQuery:
    """What "pending" means for this caller (school: 待学校审核; department: waiting at its unit),
    narrowed to a school, or for a department to the schools below `department_code`."""
    school_code = _school_of_caller(principal, school_code)
    if school_code:
        require_jurisdiction(tree, principal, school_code)
    if principal.role is Role.DEPARTMENT_REGISTRAR:
        schools: tuple[str, ...] = (school_code,) if school_code else ()
        if department_code and not school_code:
            require_jurisdiction(tree, principal, department_code)
            schools = tuple(u.code for u in tree.schools_in(department_code)) or ("",)
        return awaiting_query(actor_for(principal, tree), school_codes=schools, category=category, kind=kind)
    if not school_code:
        raise InvalidArgument(FieldViolation("school_code", "请指定学校标识码"))
    return CaseQuery((CaseState.AWAITING_SCHOOL_REVIEW,), (school_code,), category=category, kind=kind)


def report_query(
    tree: OrgTree, principal: Principal, *, school_code: str = "", category: str = "", kind: str = ""
) -> CaseQuery:
    school_code = _school_of_caller(principal, school_code)
    if not school_code:
        raise InvalidArgument(FieldViolation("school_code", "请指定学校标识码"))
    require_jurisdiction(tree, principal, school_code)
    return CaseQuery((CaseState.AWAITING_REPORT,), (school_code,), category=category, kind=kind)


def pending_summary(uow: ReviewUoW, tree: OrgTree, principal: Principal, **narrowing: str) -> PendingSummary:
    """待审核 counts for any reader (`narrowing`: review_query's keywords)."""
    authorize(principal, READERS)
    return summary(uow, review_query(tree, principal, **narrowing))


def pending_page(
    uow: ReviewUoW,
    tree: OrgTree,
    principal: Principal,
    *,
    school_code: str,
    category: str,
    kind: str,
    offset: int,
    limit: int,
) -> tuple[list[ReviewCase], int]:
    """The cases of one school waiting for the caller, for reviewers and the system role."""
    authorize(principal, (*REVIEWERS, Role.SYSTEM))
    if not school_code:
        raise InvalidArgument(FieldViolation("school_code", "请指定学校标识码"))
    return page(
        uow,
        review_query(tree, principal, school_code=school_code, category=category, kind=kind),
        offset,
        limit,
    )


def report_summary(uow: ReviewUoW, tree: OrgTree, principal: Principal, **narrowing: str) -> PendingSummary:
    """待上报 counts (`narrowing`: report_query's keywords)."""
    authorize(principal, READERS)
    return summary(uow, report_query(tree, principal, **narrowing))


def reportable_page(
    uow: ReviewUoW, tree: OrgTree, principal: Principal, *, offset: int, limit: int, **narrowing: str
) -> tuple[list[ReviewCase], int]:
    """The school's cases waiting to be reported, for the school's users and the system role."""
    authorize(principal, (*SCHOOL_ROLES, Role.SYSTEM))
    return page(uow, report_query(tree, principal, **narrowing), offset, limit)


def summary(uow: ReviewUoW, query: CaseQuery) -> PendingSummary:
    """Counts in total, per category and per school; `blocked`: school reviews a gate still holds."""
    by_category: dict[str, int] = defaultdict(int)
    by_school: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    blocked = 0
    with uow:
        rows = uow.cases.counts(query)
    for school, category, kind, gate, count in rows:
        by_category[category] += count
        by_school[school][category] += count
        if CaseState.AWAITING_SCHOOL_REVIEW in query.states and school_review_block(kind, category, gate):
            blocked += count
    return PendingSummary(
        sum(by_category.values()), dict(by_category), blocked, {s: dict(c) for s, c in by_school.items()}
    )


def page(uow: ReviewUoW, query: CaseQuery, offset: int, limit: int) -> tuple[list[ReviewCase], int]:
    with uow:
        return uow.cases.find(query, offset=offset, limit=limit), uow.cases.count(query)


def get_case(
    uow: ReviewUoW, *, tree: OrgTree, principal: Principal, case_id: str
) -> tuple[ReviewCase, list[CaseEvent]]:
    """A case and its history (oldest first), within the caller's jurisdiction."""
    authorize(principal, READERS)
    with uow:
        case = load_case(uow, tree, principal, case_id)
        return case, uow.history.for_application(case.application_id)


def last_decision(history: list[CaseEvent]) -> CaseEvent | None:
    decisions = [e for e in history if e.type in _DECISIONS]
    return decisions[-1] if decisions else None
