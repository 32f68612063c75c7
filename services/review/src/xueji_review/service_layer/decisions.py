"""Review decisions (审核, chapters 8, 9, 12, 13): one case, several selected in sequence, "approve all".

Called from gRPC: each opens its unit of work and commits once, so that a decision, its history
entry and its event are written together, and a batch is applied whole or not at all.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from xueji_common.auth import Principal, Role
from xueji_common.authz import authorize, require_jurisdiction
from xueji_common.db.engine import now
from xueji_common.errors import (
    ConcurrentModification,
    FieldViolation,
    InvalidArgument,
    PreconditionFailed,
    PreconditionViolation,
)
from xueji_common.orgunits import OrgLevel, OrgTree
from xueji_common.vocabulary import RegistrationKind
from xueji_review.domain.model import Actor, CaseEventType, ReviewCase
from xueji_review.service_layer.common import (
    REVIEWERS,
    actor_for,
    awaiting_query,
    check_version,
    list_order,
    load_case,
    not_ready,
    record,
    units_above,
)
from xueji_review.service_layer.unit_of_work import ReviewUoW


class Decision(enum.Enum):
    APPROVE = "approve"
    REJECT = "reject"


@dataclass(frozen=True)
class Refusal:
    case: ReviewCase
    reason_code: str  # NOT_REVIEWABLE...
    reason: str  # Chinese


@dataclass(frozen=True)
class SequenceStep:
    decided: ReviewCase
    next: ReviewCase | None
    remaining: int


def _reviewer(principal: Principal, tree: OrgTree) -> Actor:
    authorize(principal, REVIEWERS)
    return actor_for(principal, tree)


def _apply(case: ReviewCase, decision: Decision, actor: Actor, tree: OrgTree, opinion: str) -> None:
    if decision is Decision.APPROVE:
        above = units_above(tree, case.school_code) if actor.level is not OrgLevel.SCHOOL else {}
        case.approve(actor, now(), above, opinion.strip())
    else:
        case.reject(actor, now(), opinion)


def _apply_first(
    uow: ReviewUoW, case: ReviewCase, decision: Decision, actor: Actor, tree: OrgTree, opinion: str
) -> None:
    """`_apply`; a case no longer waiting because the caller's own unit decided it (another reviewer
    of the unit, at the same moment or just before) is ABORTED — someone decided it first — rather
    than a refusal (the contract's answer however the race was timed: version 0 reads the case
    after the winner committed, an explicit version before)."""
    try:
        _apply(case, decision, actor, tree, opinion)
    except PreconditionFailed as exc:
        if any(v.type == "NOT_PENDING_FOR_CALLER" for v in exc.violations) and _decided_by(uow, case, actor):
            raise ConcurrentModification(
                f"学生{case.name}的审核状态已被他人更新，请刷新后重试（当前：{case.state.label_zh}）"
            ) from None
        raise


def _decided_by(uow: ReviewUoW, case: ReviewCase, actor: Actor) -> bool:
    decided = (CaseEventType.APPROVED, CaseEventType.REJECTED)
    return any(
        e.revision == case.revision
        and e.type in decided
        and e.level == actor.level
        and e.unit_code == actor.unit_code
        for e in uow.history.for_application(case.application_id)
    )


def decide(
    uow: ReviewUoW,
    *,
    tree: OrgTree,
    principal: Principal,
    case_id: str,
    decision: Decision,
    opinion: str = "",
    expected_version: int = 0,
) -> ReviewCase:
    """审核通过 / 审核不通过 of one case. ABORTED when someone decided it first."""
    actor = _reviewer(principal, tree)
    with uow:
        case = load_case(uow, tree, principal, case_id, deciding=True)
        check_version(case, expected_version)
        expected = case.version
        _apply_first(uow, case, decision, actor, tree, opinion)
        uow.cases.save(case, expected)
        record(uow, tree, [case])
        uow.commit()
    return case


def decide_in_sequence(
    uow: ReviewUoW,
    *,
    tree: OrgTree,
    principal: Principal,
    selected_ids: list[str],
    case_id: str,
    decision: Decision | None,
    opinion: str = "",
    expected_version: int = 0,
) -> SequenceStep:
    """Several selected (说明 1): decide `case_id`, then answer the next one still waiting for the
    caller, in list order. Cases that cannot be reviewed yet are skipped when choosing the next.

    Chapter 9: in a non-freshman school review, any selected student still 未查重认证 refuses the
    whole call before anything is decided, naming every such student.
    """
    actor = _reviewer(principal, tree)
    if decision is None:
        raise InvalidArgument(FieldViolation("decision", "请选择审核通过或审核不通过"))
    if not selected_ids:
        raise InvalidArgument(FieldViolation("selected_case_ids", "请选择要审核的学生"))
    if case_id not in selected_ids:
        raise InvalidArgument(FieldViolation("case_id", "当前审核的学生不在所选学生中"))
    with uow:
        found = uow.cases.get_many(list(dict.fromkeys(selected_ids)))
        missing = [i for i in selected_ids if i not in found]
        if missing:
            raise not_ready(missing)
        for school in {c.school_code for c in found.values()}:
            require_jurisdiction(tree, principal, school)
        ordered = sorted(found.values(), key=list_order)
        waiting = [c for c in ordered if c.awaits(actor.unit_code, actor.level)]
        if actor.level is OrgLevel.SCHOOL:
            _refuse_unauthenticated_non_freshmen(waiting)
        case = found[case_id]
        check_version(case, expected_version)
        expected = case.version
        _apply_first(uow, case, decision, actor, tree, opinion)
        uow.cases.save(case, expected)
        record(uow, tree, [case])
        uow.commit()
    rest = [c for c in waiting if c.application_id != case_id and c.review_block is None]
    return SequenceStep(case, rest[0] if rest else None, max(len(rest) - 1, 0))


def _refuse_unauthenticated_non_freshmen(waiting: list[ReviewCase]) -> None:
    blocked = [c for c in waiting if c.kind == RegistrationKind.NON_PRIMARY_FRESHMAN and c.review_block]
    if blocked:
        names = "、".join(c.name for c in blocked)
        raise PreconditionFailed(
            f"以下学生未完成学籍查重认证，不能审核：{names}",
            [
                PreconditionViolation("NOT_REVIEWABLE", c.application_id, f"{c.name}：{c.review_block}")
                for c in blocked
            ],
        )


def approve_all(
    uow: ReviewUoW,
    *,
    tree: OrgTree,
    principal: Principal,
    school_codes: list[str],
    category: str = "",
    kind: str = "",
    opinion: str = "",
) -> tuple[list[ReviewCase], list[Refusal]]:
    """全部审核: approve every case waiting for the caller in one category of a school, a whole school,
    or (departments) all selected schools. Those that cannot be approved yet stay and are reported
    with the reason. One transaction: all the approvals are kept, or none."""
    actor = _reviewer(principal, tree)
    # No school chosen: a school leader means their own school; a department must choose.
    schools = tuple(dict.fromkeys(school_codes)) or (
        (principal.org_unit,) if principal.role is Role.SCHOOL_LEADER else ()
    )
    if not schools:
        raise InvalidArgument(FieldViolation("school_codes", "请选择学校"))
    if category and len(schools) > 1:
        raise InvalidArgument(FieldViolation("category", "按证件类别全部审核时只能选择一所学校"))
    for school in schools:
        require_jurisdiction(tree, principal, school)
    query = awaiting_query(actor, school_codes=schools, category=category, kind=kind)
    approved: list[ReviewCase] = []
    refused: list[Refusal] = []
    changes: list[tuple[ReviewCase, int]] = []
    at = now()
    above_by_school: dict[str, dict[OrgLevel, str]] = {}
    with uow:
        for case in uow.cases.find(query, lock=True):
            block = case.review_block
            if block:
                refused.append(Refusal(case, "NOT_REVIEWABLE", block))
                continue
            if actor.level is not OrgLevel.SCHOOL and case.school_code not in above_by_school:
                above_by_school[case.school_code] = units_above(tree, case.school_code)
            expected = case.version
            case.approve(actor, at, above_by_school.get(case.school_code, {}), opinion.strip())
            changes.append((case, expected))
            approved.append(case)
        uow.cases.save_all(changes)
        record(uow, tree, approved)
        uow.commit()
    return approved, refused
