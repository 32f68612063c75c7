"""Report (上报, chapters 10, 11): the school registrar sends school-approved students to the
supervising county. Selected ones, all of a category, or all of the school; one transaction."""

from __future__ import annotations

from xueji_common.auth import Principal, Role
from xueji_common.authz import authorize, require_jurisdiction
from xueji_common.db.engine import now
from xueji_common.errors import FieldViolation, InvalidArgument, PreconditionFailed
from xueji_common.orgunits import OrgTree
from xueji_review.domain.model import Actor, CaseState, ReviewCase
from xueji_review.service_layer.common import actor_for, record
from xueji_review.service_layer.decisions import Refusal
from xueji_review.service_layer.unit_of_work import CaseQuery, ReviewUoW


def _registrar_of(principal: Principal, tree: OrgTree, school_code: str) -> Actor:
    authorize(principal, (Role.SCHOOL_REGISTRAR,))
    if not school_code:
        raise InvalidArgument(FieldViolation("school_code", "请指定学校标识码"))
    require_jurisdiction(tree, principal, school_code)
    return actor_for(principal, tree)


def report_cases(
    uow: ReviewUoW, *, tree: OrgTree, principal: Principal, school_code: str, selection: list[tuple[str, int]]
) -> tuple[list[ReviewCase], list[Refusal]]:
    """上报 the selected (case id, expected version) pairs. A case no longer waiting to be reported,
    or changed since it was read, is refused with the reason; the others are reported together."""
    actor = _registrar_of(principal, tree, school_code)
    if not selection:
        raise InvalidArgument(FieldViolation("cases", "请选择要上报的学生"))
    blank = [
        FieldViolation(f"cases[{i}].case_id", "请指定审核记录")
        for i, (case_id, _) in enumerate(selection)
        if not case_id
    ]
    if blank:
        raise InvalidArgument(blank[0])
    reported: list[ReviewCase] = []
    refused: list[Refusal] = []
    changes = []
    at = now()
    with uow:
        found = uow.cases.get_many([case_id for case_id, _ in selection], lock=True)
        strangers = [
            f"cases[{i}]"
            for i, (case_id, _) in enumerate(selection)
            if case_id in found and found[case_id].school_code != school_code
        ]
        if strangers:
            raise InvalidArgument([FieldViolation(f, "该学生不属于本学校") for f in strangers])
        for case_id, expected_version in dict(selection).items():
            case = found.get(case_id)
            if case is None:
                raise InvalidArgument(FieldViolation("cases", f"审核记录 {case_id} 不存在"))
            if expected_version and expected_version != case.version:
                refused.append(
                    Refusal(case, "VERSION_CONFLICT", "该学生的审核状态已被他人更新，请刷新后重试")
                )
                continue
            expected = case.version
            try:
                case.report(actor, at)
            except PreconditionFailed as exc:
                refused.append(Refusal(case, "STATE_CHANGED", exc.message))
                continue
            changes.append((case, expected))
            reported.append(case)
        uow.cases.save_all(changes)
        record(uow, tree, reported)
        uow.commit()
    return reported, refused


def report_all(
    uow: ReviewUoW,
    *,
    tree: OrgTree,
    principal: Principal,
    school_code: str,
    category: str = "",
    kind: str = "",
) -> list[ReviewCase]:
    """全部上报: every case of the school (or of one category) waiting to be reported."""
    actor = _registrar_of(principal, tree, school_code)
    query = CaseQuery((CaseState.AWAITING_REPORT,), (school_code,), category=category, kind=kind)
    at = now()
    with uow:
        cases = uow.cases.find(query, lock=True)
        changes = []
        for case in cases:
            expected = case.version
            case.report(actor, at)
            changes.append((case, expected))
        uow.cases.save_all(changes)
        record(uow, tree, cases)
        uow.commit()
    return cases
