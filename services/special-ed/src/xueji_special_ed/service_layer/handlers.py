"""Special-education use cases. Each takes plain values and a unit of work; none knows about gRPC.

Who may do what (chapter 15): the school registrar keeps the information of the school's students;
department registrars read it within their area. Every use case checks role and jurisdiction itself
(xueji_common.authz).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import Any

from xueji_common.auth import Principal, Role
from xueji_common.authz import authorize
from xueji_common.db.engine import now
from xueji_common.errors import (
    AlreadyExists,
    ConcurrentModification,
    NotFound,
    PreconditionFailed,
)
from xueji_common.hashing import document_hash
from xueji_common.orgunits import OrgTree
from xueji_common.paging import Page
from xueji_special_ed.domain.codes import DisabilityType
from xueji_special_ed.domain.model import EDITABLE, SpecialEdInfo, Stamp, Student, check
from xueji_special_ed.service_layer.unit_of_work import SpecialEdUoW

READERS = (Role.SCHOOL_REGISTRAR, Role.DEPARTMENT_REGISTRAR)
KEEPERS = (Role.SCHOOL_REGISTRAR,)


def _may_see(tree: OrgTree, principal: Principal, school_code: str) -> None:
    authorize(
        principal,
        tree=tree,
        unit=school_code,
        out_of_area=f"无权访问学校 {school_code} 的学生（超出本单位管辖范围）",
    )


def _student_of(uow: SpecialEdUoW, record_id: str) -> Student:
    student = uow.repo.student(record_id)
    if student is None:
        raise NotFound("未找到该学生的学籍")
    return student


def _stamp(principal: Principal) -> Stamp:
    return Stamp(principal.org_unit, principal.user_id, principal.role.value, now())


def _same_document(uow: SpecialEdUoW, student: Student) -> Callable[[str, str], bool]:
    return lambda doc_type, number: document_hash(uow.hash_key, doc_type, number) == student.document_hash


def list_infos(
    uow: SpecialEdUoW,
    principal: Principal,
    tree: OrgTree,
    unit_code: str,
    name_prefix: str,
    disability_type: str | None,
    page: Page,
) -> tuple[list[tuple[SpecialEdInfo, Student]], int]:
    unit_code = unit_code or principal.org_unit
    authorize(principal, READERS, tree=tree, unit=unit_code)  # an unknown unit is outside every area
    unit = tree.get(unit_code)
    schools = [unit_code] if unit.is_school else [u.code for u in tree.schools_in(unit_code)]
    with uow:
        return uow.repo.with_info(schools, name_prefix.strip(), disability_type, page.offset, page.size)


def list_candidates(
    uow: SpecialEdUoW, principal: Principal, tree: OrgTree, school_code: str, name_prefix: str, page: Page
) -> tuple[list[Student], int]:
    authorize(principal, KEEPERS)
    school_code = school_code or principal.org_unit
    _may_see(tree, principal, school_code)
    with uow:
        return uow.repo.candidates(school_code, name_prefix.strip(), page.offset, page.size)


def get_info(
    uow: SpecialEdUoW, principal: Principal, tree: OrgTree, record_id: str
) -> tuple[SpecialEdInfo, Student]:
    authorize(principal, READERS)
    with uow:
        student = _student_of(uow, record_id)
        _may_see(tree, principal, student.school_code)
        info = uow.repo.info(record_id)
        if info is None:
            raise NotFound("该学生还没有特教信息")
        return info, student


def create_info(
    uow: SpecialEdUoW, principal: Principal, tree: OrgTree, info: SpecialEdInfo
) -> tuple[SpecialEdInfo, Student]:
    """新增特教学生信息 (15.1): for a disabled student of the caller's school that has none yet."""
    authorize(principal, KEEPERS)
    with uow:
        student = _student_of(uow, info.record_id)
        _may_see(tree, principal, student.school_code)
        if not student.disabled:
            raise PreconditionFailed("NOT_DISABLED: 该学生学籍中的残疾人类型为无残疾，不能添加特教信息")
        if not student.enrolled:
            raise PreconditionFailed("NOT_ENROLLED_AT_SCHOOL: 该学生已不在本校就读")
        if uow.repo.info(info.record_id) is not None:
            raise AlreadyExists("该学生已有特教信息，请使用信息维护")
        if info.disability_type is None:  # defaults to the record's 残疾人类型
            info = replace(info, disability_type=DisabilityType(student.disability_type))
        stamp = _stamp(principal)
        info = replace(info, version=1, updated=stamp, created_at=stamp.time)
        check(info, student, _same_document(uow, student))
        uow.repo.add_info(info)
        uow.commit()
        return info, student


def update_info(
    uow: SpecialEdUoW,
    principal: Principal,
    tree: OrgTree,
    record_id: str,
    changes: dict[str, Any],
    expected_version: int,
) -> tuple[SpecialEdInfo, Student]:
    """维护特教学生信息 (15.2): the same rules on the result; the version must be the one read."""
    authorize(principal, KEEPERS)
    unknown = set(changes) - set(EDITABLE)
    if unknown:
        raise ValueError(f"not editable: {sorted(unknown)}")
    with uow:
        student = _student_of(uow, record_id)
        _may_see(tree, principal, student.school_code)
        info = uow.repo.info(record_id)
        if info is None:
            raise NotFound("该学生还没有特教信息，请先添加")
        if expected_version and expected_version != info.version:
            raise ConcurrentModification("该学生的特教信息已被他人修改，请刷新后重试")
        updated = info.changed(changes, _stamp(principal))
        check(updated, student, _same_document(uow, student))
        uow.repo.save_info(updated, info.version)
        uow.commit()
        return updated, student
