"""问题学籍处理: listing groups in a jurisdiction, one group with its history, and resolving them.

Resolving opens the unit of work itself. A correction is authenticated again before anything is
written (register + national index, read only), so a register that is down refuses the step
(UNAVAILABLE, try again) instead of leaving it half done.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

from xueji.v1 import events_pb2
from xueji_common.auth import Principal, Role
from xueji_common.authz import authorize
from xueji_common.db.engine import now
from xueji_common.documents import mask_document_number
from xueji_common.errors import (
    ConcurrentModification,
    FieldViolation,
    InvalidArgument,
    NotFound,
    PermissionDenied,
    Unavailable,
)
from xueji_common.holders import describe_school
from xueji_common.orgunits import OrgTree
from xueji_common.vocabulary import PROVINCES
from xueji_dedup.adapters import events
from xueji_dedup.domain import checks
from xueji_dedup.domain.checks import CheckResult, HoldingKind
from xueji_dedup.domain.problems import (
    GroupStatus,
    ProblemGroup,
    ProblemKind,
    ProblemStudent,
    Resolution,
    StudentStatus,
    may_resolve,
)
from xueji_dedup.service_layer import national_problems
from xueji_dedup.service_layer.ports import NationalProblems, Peers, PeerUnavailable
from xueji_dedup.service_layer.unit_of_work import DedupUoW, GroupFound

_T = TypeVar("_T")

PROOF_TYPES = {"image/jpeg", "image/png", "application/pdf"}
PROOF_MAX_BYTES = 10 * 1024 * 1024


@dataclass(frozen=True)
class CorrectedIdentity:
    name: str
    gender: int
    birth_date: dt.date | None
    document_type: str
    document_number: str  # clear, validated; never stored
    document_hash: str


@dataclass(frozen=True)
class RecordResolution:
    record_id: str
    resolution: Resolution
    corrected: CorrectedIdentity | None = None


@dataclass(frozen=True)
class ProofFile:
    file_name: str
    content_type: str
    content: bytes


@dataclass(frozen=True)
class ListQuery:
    org_unit_code: str
    kinds: tuple[ProblemKind, ...] = ()
    statuses: tuple[GroupStatus, ...] = ()
    resolver_level: int = 0
    name: str = ""
    national_student_number: str = ""
    province_code: str = ""  # 所在省份: groups with a student of a school in this province
    offset: int = 0
    limit: int = 50


# Who may read problem groups, and who may resolve them (xueji_common.authz.authorize checks it).
READERS = (Role.SCHOOL_REGISTRAR, Role.DEPARTMENT_REGISTRAR, Role.SYSTEM)
RESOLVERS = (Role.SCHOOL_REGISTRAR, Role.DEPARTMENT_REGISTRAR)


def list_groups(
    uow: DedupUoW,
    q: ListQuery,
    *,
    principal: Principal,
    tree: OrgTree,
    national: NationalProblems | None = None,
) -> tuple[list[ProblemGroup], int]:
    """The groups in the caller's area: this tier's, then (a province whose national tier is another
    process: `national`, read only) the cross-province groups held at the national tier, as one list.
    With `province_code`, only the groups with a student of a school in that province (the ministry
    narrows the nation's cross-province groups to one province's)."""
    authorize(principal, READERS, tree=tree, unit=q.org_unit_code)
    if q.province_code and q.province_code not in PROVINCES:
        raise InvalidArgument(FieldViolation("province_code", "所在省份代码无效"))
    unit = tree.get(q.org_unit_code)
    with uow:
        groups, total = uow.problems.list(
            unit_level=int(unit.level),
            unit_code=unit.code,
            kinds=q.kinds,
            statuses=q.statuses,
            resolver_level=q.resolver_level,
            name=q.name,
            national_student_number=q.national_student_number,
            province_code=q.province_code,
            offset=q.offset,
            limit=q.limit,
        )
    if national is None or q.resolver_level not in (0, 1):
        return groups, total
    room = q.limit - len(groups)
    held, held_total = _forwarded(lambda: national.list(q, unit.code, max(0, q.offset - total), max(room, 1)))
    return groups + held[:room], total + held_total


def _forwarded(read: Callable[[], _T]) -> _T:
    try:
        return read()
    except PeerUnavailable:
        raise Unavailable("全国查重服务暂时无法访问，请稍后再试") from None


def _check_reach(group: ProblemGroup | None, principal: Principal, tree: OrgTree) -> ProblemGroup:
    """NOT_FOUND for no such group; PERMISSION_DENIED for one outside the caller's area (the rule of
    every call: what is out of reach is refused as such)."""
    if group is None:
        raise NotFound("问题学籍组不存在")
    if not _visible(group, principal, tree):
        raise PermissionDenied("该组问题学籍不在本单位管辖范围内")
    return group


def get_group(
    uow: DedupUoW,
    group_id: str,
    *,
    principal: Principal,
    tree: OrgTree,
    national: NationalProblems | None = None,
) -> GroupFound:
    """The group, its audit actions and its proof files (in the caller's area); a group this tier does
    not hold is asked of the national tier (`national`, when it is another process), read only."""
    authorize(principal, READERS)
    with uow:
        group = uow.problems.get(group_id)
        if group is not None or national is None:
            group = _check_reach(group, principal, tree)
            return group, uow.problems.actions(group_id), uow.problems.proofs(group_id)
    found = _forwarded(lambda: national.get(group_id))
    _check_reach(found[0] if found else None, principal, tree)
    assert found is not None  # else refused above
    return found


def _visible(group: ProblemGroup, principal: Principal, tree: OrgTree) -> bool:
    if principal.role is Role.SYSTEM:
        return True
    return any(
        s.school_code in tree and tree.may_act_on(principal.org_unit, s.school_code) for s in group.students
    ) or tree.may_act_on(principal.org_unit, group.resolver_unit_code)


def check_request(resolutions: list[RecordResolution], opinion: str, proofs: list[ProofFile]) -> None:
    problems = []
    if not resolutions:
        problems.append(FieldViolation("resolutions", "请选择要处理的学籍"))
    if not opinion.strip():
        problems.append(FieldViolation("opinion", "处理意见不能为空"))
    for i, r in enumerate(resolutions):
        if r.resolution is Resolution.CORRECT and r.corrected is None:
            problems.append(
                FieldViolation(f"resolutions[{i}].corrected_identity", "修正须填写修正后的关键信息")
            )
    if any(r.resolution is not Resolution.DELETE for r in resolutions) and not proofs:
        problems.append(FieldViolation("proof_files", "佐证或修正须上传佐证材料"))
    for i, f in enumerate(proofs):
        if f.content_type not in PROOF_TYPES:
            problems.append(
                FieldViolation(f"proof_files[{i}].content_type", "佐证材料须为 JPEG、PNG 或 PDF 文件")
            )
        if len(f.content) > PROOF_MAX_BYTES:
            problems.append(FieldViolation(f"proof_files[{i}].content", "佐证材料不能超过 10 MB"))
    if problems:
        raise InvalidArgument(problems)


def resolve_group(
    uow: DedupUoW,
    group_id: str,
    resolutions: list[RecordResolution],
    opinion: str,
    proofs: list[ProofFile],
    expected_version: int,
    *,
    principal: Principal,
    tree: OrgTree,
    peers: Peers,
) -> ProblemGroup:
    authorize(principal, RESOLVERS)
    check_request(resolutions, opinion, proofs)
    with uow:
        group = _check_reach(uow.problems.get(group_id), principal, tree)
        if not may_resolve(tree, principal.role.value, principal.org_unit, group):
            raise PermissionDenied(f"该组问题学籍由 {group.resolver_unit_code} 处理，当前单位无权处理")
        if expected_version and expected_version != group.version:
            raise ConcurrentModification("该组问题学籍已被他人处理，请刷新后重试")
        try:
            group.check_can_handle({r.record_id: r.resolution for r in resolutions})
        except ValueError as exc:
            index = next(i for i, r in enumerate(resolutions) if r.record_id == str(exc))
            raise InvalidArgument(
                FieldViolation(f"resolutions[{index}].record_id", "该学籍不在本组问题学籍中")
            ) from None
        revisions = {
            r.record_id: uow.province.application(_student(group, r.record_id).application_id)
            for r in resolutions
        }
    outcomes = {
        r.record_id: _reauthenticate(group, r, peers, tree)
        for r in resolutions
        if r.resolution is Resolution.CORRECT
    }

    at = now()
    unit_name = tree.get(principal.org_unit).name if principal.org_unit in tree else ""
    stamp: dict[str, object] = dict(
        org_unit_code=principal.org_unit,
        org_unit_name=unit_name,
        user_id=principal.user_id,
        role=principal.role.value,
        role_proto=principal.role.proto,
        time=at,
        opinion=opinion,
    )
    with uow:
        expected = group.version
        for r in resolutions:
            student = _student(group, r.record_id)
            _record_action(uow, group, r, stamp)
            if r.resolution is Resolution.CORROBORATE:
                group.handled(r.record_id, StudentStatus.CORROBORATED)
            elif r.resolution is Resolution.DELETE:
                group.handled(r.record_id, StudentStatus.DELETED)
            else:
                result = outcomes[r.record_id]
                if not result.passed:
                    group.handled(r.record_id, StudentStatus.CORRECTION_FAILED, result.reason)
                    continue
                group.handled(r.record_id, StudentStatus.CORRECTED, "")
                app = revisions[r.record_id]
                if app is not None:
                    uow.publish(
                        events.dedup_completed(app.application_id, app.revision, app.category, result),
                        aggregate_id=app.application_id,
                    )
            _announce(
                uow,
                group,
                events.problem_resolved(group, r.record_id, r.resolution, stamp, r.corrected, uow.data_keys),
                student.record_id,
            )
        for f in proofs:
            uow.problems.add_proof(
                dict(
                    file_id=str(uuid.uuid4()),
                    group_id=group.group_id,
                    action_time=at,
                    file_name=f.file_name,
                    content_type=f.content_type,
                    size_bytes=len(f.content),
                    content=f.content,
                )
            )
        group.update_time = at
        uow.problems.save(group, expected)
        uow.commit()
    return group


def _announce(uow: DedupUoW, group: ProblemGroup, event: events_pb2.ProblemResolved, record_id: str) -> None:
    """A group held by the national tier (its one home for cross-province groups) tells every province
    holding a member through their deliveries, and a record deleted there gives up its holding at
    once (the same transaction); a province tier's group goes out on its own bus."""
    if uow.scope != "national":
        uow.publish(event, aggregate_id=record_id)
        return
    national_problems.announce(uow, group, event)
    if event.resolution == events_pb2.PROBLEM_RESOLUTION_DELETE:
        uow.national.remove_record(record_id)
        uow.national.release_committed(record_id, "DELETED", now())


def _record_action(uow: DedupUoW, group: ProblemGroup, r: RecordResolution, stamp: dict[str, object]) -> None:
    c = r.corrected
    uow.problems.add_action(
        dict(
            group_id=group.group_id,
            record_id=r.record_id,
            resolution=r.resolution.value,
            org_unit_code=stamp["org_unit_code"],
            org_unit_name=stamp["org_unit_name"],
            user_id=stamp["user_id"],
            role=stamp["role"],
            time=stamp["time"],
            opinion=stamp["opinion"],
            corrected_name=c.name if c else "",
            corrected_gender=c.gender if c else 0,
            corrected_birth_date=c.birth_date if c else None,
            corrected_document_type=c.document_type if c else "",
            corrected_document_masked=mask_document_number(c.document_number) if c else "",
        )
    )


def _student(group: ProblemGroup, record_id: str) -> ProblemStudent:
    """A student of the group (check_can_handle refused any other first)."""
    student = group.student(record_id)
    assert student is not None
    return student


def _reauthenticate(group: ProblemGroup, r: RecordResolution, peers: Peers, tree: OrgTree) -> CheckResult:
    """Dedup and authentication of the corrected key data, as at submission (read only)."""
    c, student = r.corrected, _student(group, r.record_id)
    assert c is not None  # check_request: a correction names its corrected identity
    masked = mask_document_number(c.document_number)
    try:
        if c.document_type == "1":
            refusal = peers.register.verify(c.name, c.gender, c.birth_date, c.document_number)
            if refusal:
                return checks.register_refusal(refusal, masked)
        if c.document_type == "Z":
            return checks.PASSED
        holdings = [
            h
            for h in peers.national.check(c.document_type, c.document_hash, student.application_id)
            if not (h.kind is HoldingKind.RECORD and h.holder_id == r.record_id)
        ]
    except PeerUnavailable:
        raise Unavailable("基础数据库或全国查重服务暂时无法访问，请稍后再试") from None
    h = checks.first_holding(holdings)
    if h is not None:
        found = tree.province_of(h.school_code) if h.school_code in tree else None
        province = h.province_code or (found.code if found else "")
        return checks.held(h, describe_school(tree, h.school_code, province), masked)
    return checks.PASSED
