"""Problem records (问题学籍): groups of records, who resolves them, and how they are handled.

No framework imports. A group is owned by the smallest unit above every school in it: one school →
the school; schools of one county, city or province → that department; several provinces → the
ministry (the national tier). Handling: corroborate (proof, record kept), correct (key data fixed,
authenticated again), delete (the duplicate is cancelled; at least one record stays).
"""

from __future__ import annotations

import datetime as dt
import enum
from dataclasses import dataclass, field
from typing import TypedDict

from xueji_common.errors import PreconditionFailed
from xueji_common.hashing import document_hash
from xueji_common.orgunits import OrgTree


class ProblemKind(str, enum.Enum):
    AUTHENTICATION_FAILED = "authentication_failed"  # 证件号错误/不存在/与姓名不符
    SHARED_DOCUMENT = "shared_document"  # 一人多籍
    NO_DOCUMENT_DUPLICATE = "no_document_duplicate"  # 无证件学生姓名性别出生日期相同


class GroupStatus(str, enum.Enum):
    PENDING = "pending"
    IN_PROGRESS = "in_progress"
    RESOLVED = "resolved"


class StudentStatus(str, enum.Enum):
    PENDING = "pending"
    CORROBORATED = "corroborated"
    REAUTHENTICATING = "reauthenticating"
    CORRECTED = "corrected"
    CORRECTION_FAILED = "correction_failed"
    DELETED = "deleted"
    MERGED = "merged"  # its failed authentication closed: the record is in the national group of its document


class Resolution(str, enum.Enum):
    CORROBORATE = "corroborate"
    CORRECT = "correct"
    DELETE = "delete"
    MERGED = "merged"  # never chosen by a registrar: see ProblemGroup.merge_into
    REFRESHED = "refreshed"  # an audit step of the system: see ProblemGroup.refresh_from


OPEN = (StudentStatus.PENDING, StudentStatus.CORRECTION_FAILED)  # still to handle

# A record's key data as a group keeps it, which follows the record when it changes (refresh_student),
# with the words an audit step names them by.
KEY_DATA = {
    "national_student_number": "全国学籍号",
    "temporary_number": "学籍号类型",
    "name": "姓名",
    "gender": "性别",
    "birth_date": "出生日期",
    "document_type": "证件类型",
    "document_masked": "证件号",
}


class RuleRefused(PreconditionFailed):
    """FAILED_PRECONDITION with a machine code (google.rpc.PreconditionFailure type)."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


@dataclass
class ProblemStudent:
    record_id: str
    application_id: str
    national_student_number: str  # masked
    temporary_number: bool
    name: str
    gender: int
    birth_date: dt.date | None
    document_type: str
    document_masked: str
    school_code: str
    county_code: str
    city_code: str
    province_code: str
    status: StudentStatus = StudentStatus.PENDING
    reason: str = ""
    record_version: int = 0  # the record's version this copy is of (0: not known)


@dataclass
class ProblemGroup:
    group_id: str
    kind: ProblemKind
    match_key: str
    resolver_level: int  # OrgLevel number: 1 ministry ... 5 school
    resolver_unit_code: str
    students: list[ProblemStudent] = field(default_factory=list)
    status: GroupStatus = GroupStatus.PENDING
    version: int = 1
    create_time: dt.datetime | None = None
    update_time: dt.datetime | None = None
    reporting_province: str = ""  # national tier: the province tier that reported (and resolves) it

    @property
    def cross_province(self) -> bool:
        """Resolved by the ministry: its records are in several provinces (reported to the nation)."""
        return self.resolver_level == 1

    def student(self, record_id: str) -> ProblemStudent | None:
        return next((s for s in self.students if s.record_id == record_id), None)

    def add(self, student: ProblemStudent) -> bool:
        """A record joins the group (idempotent); a resolved group opens again."""
        if self.student(student.record_id) is not None:
            return False
        self.students.append(student)
        self.status = GroupStatus.IN_PROGRESS if self._handled_any() else GroupStatus.PENDING
        return True

    def refresh_student(self, record_id: str, **identity: object) -> bool:
        """The record's identity or number changed: the group's copy follows. True when anything differed,
        so that a change that does not touch the group (a problem flag, a class) leaves its version alone
        and a resolver holding that version is not refused for nothing."""
        student = self.student(record_id)
        if student is None:
            return False
        changed = {k: v for k, v in identity.items() if getattr(student, k) != v}
        for key, value in changed.items():
            setattr(student, key, value)
        return bool(changed)

    def refresh_from(self, current: ProblemStudent) -> list[str]:
        """The record changed in its province: the group's copy takes its key data (KEY_DATA; not its
        status, reason or school here) and its record version. The names of the fields that differed,
        in KEY_DATA's order. A copy of an older version than the one held changes nothing: two
        refreshes of one record can cross on the way, and the newer must stand."""
        student = self.student(current.record_id)
        if student is None or 0 < current.record_version < student.record_version:
            return []
        changed = [k for k in KEY_DATA if getattr(student, k) != getattr(current, k)]
        self.refresh_student(current.record_id, **{k: getattr(current, k) for k in changed})
        student.record_version = max(student.record_version, current.record_version)
        return changed

    def check_can_handle(self, resolutions: dict[str, Resolution]) -> None:
        """The rules of one handling step (raises RuleRefused or ValueError naming the record)."""
        if self.status is GroupStatus.RESOLVED:
            raise RuleRefused("GROUP_RESOLVED", "该组问题学籍已处理完毕")
        for record_id in resolutions:
            student = self.student(record_id)
            if student is None:
                raise ValueError(record_id)
            if student.status not in OPEN:
                raise RuleRefused(
                    "RECORD_ALREADY_HANDLED", f"学籍 {student.national_student_number} 已处理，不能重复处理"
                )
        remaining = [
            s
            for s in self.students
            if s.status is not StudentStatus.DELETED and resolutions.get(s.record_id) is not Resolution.DELETE
        ]
        if not remaining:
            raise RuleRefused("WOULD_DELETE_ALL", "不能删除该组的全部学籍，至少保留一条")

    def handled(self, record_id: str, status: StudentStatus, reason: str | None = None) -> None:
        student = self.student(record_id)
        if student is None:
            raise ValueError(record_id)  # not in the group (check_can_handle refuses it first)
        student.status = status
        if reason is not None:
            student.reason = reason
        self._refresh_status()

    def merge_into(self, record_id: str) -> bool:
        """The record joined the national tier's cross-province group of its document: its place in
        this group (its failed authentication, or this province's group of the same document) closes
        as merged, so that a record is in one open group per document. True when it was still open."""
        student = self.student(record_id)
        if student is None or student.status not in OPEN:
            return False
        self.handled(record_id, StudentStatus.MERGED)
        return True

    def _handled_any(self) -> bool:
        return any(s.status not in OPEN for s in self.students)

    def _refresh_status(self) -> None:
        if all(s.status not in OPEN for s in self.students):
            self.status = GroupStatus.RESOLVED
        elif self._handled_any():
            self.status = GroupStatus.IN_PROGRESS
        else:
            self.status = GroupStatus.PENDING


def no_document_key(hash_key: str, name: str, gender: int, birth_date: dt.date, county_code: str) -> str:
    """The match key of a no-document group: a keyed hash of what its records share."""
    return document_hash(hash_key, "NODOC", f"{name}|{gender}|{birth_date:%Y%m%d}|{county_code}")


def resolver_for(tree: OrgTree, school_codes: list[str], province_codes: list[str]) -> tuple[int, str]:
    """(level, unit code) of the smallest unit above every school; the ministry across provinces
    or when a school is not in this tree (another province's)."""
    schools = sorted(set(school_codes))
    if len(set(province_codes)) > 1 or any(code not in tree for code in schools):
        return 1, tree.root.code
    if len(schools) == 1:
        return 5, schools[0]
    chains = [[s, *(u.code for u in tree.ancestors(s))] for s in schools]
    common = [code for code in chains[0] if all(code in chain for chain in chains[1:])]
    unit = tree.get(common[0])
    return int(unit.level), unit.code


class SchoolChain(TypedDict):
    school_code: str
    county_code: str
    city_code: str
    province_code: str


def school_chain(tree: OrgTree, school_code: str, province_code: str) -> SchoolChain:
    """The codes above a school, for jurisdiction filters (empty outside the tree but the province)."""
    if school_code not in tree:
        return SchoolChain(school_code=school_code, county_code="", city_code="", province_code=province_code)
    codes = {int(u.level): u.code for u in tree.ancestors(school_code)}
    return SchoolChain(
        school_code=school_code,
        county_code=codes.get(4, ""),
        city_code=codes.get(3, ""),
        province_code=codes.get(2, province_code),
    )


def may_resolve(tree: OrgTree, principal_role: str, principal_unit: str, group: ProblemGroup) -> bool:
    """The resolver unit's registrar: the school registrar for a school's group, else a department
    registrar at the resolver unit or above it."""
    if group.resolver_level == 5 and principal_role == "school_registrar":
        return principal_unit == group.resolver_unit_code
    if principal_role == "department_registrar":
        return tree.may_act_on(principal_unit, group.resolver_unit_code)
    return False
