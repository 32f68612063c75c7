"""What the review use cases share: who the caller is in the chain, loading a case within the
caller's jurisdiction, and writing a change's history and bus events."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from xueji_common.auth import Principal, Role
from xueji_common.authz import require_jurisdiction
from xueji_common.errors import (
    ConcurrentModification,
    FieldViolation,
    InvalidArgument,
    NotFound,
    PreconditionFailed,
    PreconditionViolation,
)
from xueji_common.orgunits import OrgLevel, OrgTree
from xueji_review.adapters import events
from xueji_review.domain.model import Actor, CaseState, ReviewCase
from xueji_review.service_layer.unit_of_work import CaseQuery, ReviewUoW

SCHOOL_ROLES = (Role.SCHOOL_LEADER, Role.SCHOOL_REGISTRAR)
# Who may do what in review (the use cases check it with xueji_common.authz.authorize).
READERS = (Role.SCHOOL_LEADER, Role.SCHOOL_REGISTRAR, Role.DEPARTMENT_REGISTRAR, Role.SYSTEM)
REVIEWERS = (Role.SCHOOL_LEADER, Role.DEPARTMENT_REGISTRAR)


def actor_for(principal: Principal, tree: OrgTree) -> Actor:
    level = OrgLevel.SCHOOL if principal.role in SCHOOL_ROLES else tree.get(principal.org_unit).level
    return Actor(principal.org_unit, level, principal.user_id, principal.role.value)


def units_above(tree: OrgTree, school_code: str) -> dict[OrgLevel, str]:
    """The school's county, city and province codes: where a department approval sends a case next."""
    return {unit.level: unit.code for unit in tree.chain_above(school_code)}


def unit_namer(tree: OrgTree) -> Callable[[str], str]:
    def name(code: str) -> str:
        return tree.get(code).name if code and code in tree else ""

    return name


def load_case(
    uow: ReviewUoW, tree: OrgTree, principal: Principal, case_id: str, *, deciding: bool = False
) -> ReviewCase:
    """The case, when the caller's jurisdiction covers its school (PERMISSION_DENIED otherwise).

    A decision on a case not here yet answers with a retryable refusal (`not_ready`), not NOT_FOUND."""
    if not case_id:
        raise InvalidArgument(FieldViolation("case_id", "请指定审核记录"))
    case = uow.cases.get(case_id)
    if case is None:
        raise not_ready([case_id]) if deciding else NotFound("审核记录不存在")
    require_jurisdiction(tree, principal, case.school_code)
    return case


def not_ready(case_ids: list[str]) -> PreconditionFailed:
    """A case opens when review handles the submission's event, a moment after the registrar
    submitted (the outbox relay, then review's worker): a reviewer deciding at once, or from a list
    read elsewhere, is told to try again shortly. Review cannot tell a case on its way from an id
    that never existed (registration holds the applications), so the answer says both."""
    reason = "该学生的审核记录正在生成，请稍后再试（如仍不存在，请刷新列表）"
    return PreconditionFailed(reason, [PreconditionViolation("CASE_NOT_READY", i, reason) for i in case_ids])


def check_version(case: ReviewCase, expected_version: int) -> None:
    """0 means "the version read now" (a caller that did not read the case first)."""
    if expected_version and expected_version != case.version:
        raise ConcurrentModification(f"学生{case.name}的审核状态已被他人更新，请刷新后重试")


def record(uow: ReviewUoW, tree: OrgTree, cases: list[ReviewCase]) -> None:
    """Write the history entries of the changed cases and publish the events they cause."""
    name = unit_namer(tree)
    entries, messages = [], []
    for case in cases:
        for entry in case.events:
            entries.append(entry)
            message = events.bus_event(case, entry, name)
            if message is not None:
                messages.append((message, case.application_id, case.traceparent))
    uow.history.add_all(entries)
    uow.publish_many(messages)


def awaiting_query(
    actor: Actor, *, school_codes: tuple[str, ...] = (), category: str = "", kind: str = ""
) -> CaseQuery:
    """The cases waiting for this caller's decision: the school's 待审核, or a department's at its level."""
    if actor.level is OrgLevel.SCHOOL:
        return CaseQuery(
            (CaseState.AWAITING_SCHOOL_REVIEW,),
            school_codes or (actor.unit_code,),
            category=category,
            kind=kind,
        )
    return CaseQuery(
        (CaseState.AWAITING_DEPARTMENT_REVIEW,),
        school_codes,
        handling_unit=actor.unit_code,
        level=actor.level,
        category=category,
        kind=kind,
    )


def list_order(case: ReviewCase) -> tuple[dt.datetime | None, str]:
    return (case.submitted_at, case.application_id)
