"""Special-education information (特教学生信息, chapter 15) and the students it is kept for.

No framework imports. The rules of the manual's 说明 (15.1): proof 残疾证 or 医院残疾证明 → degree
required; 残疾证 → certificate number required; 有明显残疾症状 → description required. Added from the
code tables: 随班就读 consistent with the disability type, and a 20-character certificate number
(the second-generation 残疾人证: resident ID + type digit + grade digit) starting with the student's
own resident ID number.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

from xueji_common.documents import DocumentType
from xueji_common.errors import FieldViolation, InvalidArgument
from xueji_special_ed.domain.codes import (
    INCLUSIVE_FITS,
    Degree,
    DisabilityType,
    InclusiveEducation,
    ProofType,
)

EDITABLE = (
    "disability_type",
    "proof_type",
    "degree",
    "certificate_number",
    "symptom_description",
    "inclusive_education",
)
_CERTIFICATE = re.compile(r"[0-9A-Z]{1,30}")
_CARD_NUMBER = re.compile(r"[0-9]{17}[0-9X][0-9]{2}")


@dataclass(frozen=True)
class Student:
    """What special education knows of a student record (from the record events)."""

    record_id: str
    national_student_number: str
    name: str
    gender: int
    birth_date: dt.date | None
    school_code: str
    disability_type: str  # a DisabilityType value, "" when the record has none
    inclusive_education: str
    document_type: str  # JY/T 1001 code
    document_hash: str  # keyed hash of the student's document (never the number)
    enrolled: bool
    version: int
    grade: str = ""  # 年级
    class_name: str = ""  # 班级

    @property
    def disabled(self) -> bool:
        return self.disability_type not in ("", DisabilityType.NONE.value)


def snapshot_applies(incoming_version: int, stored_version: int | None) -> bool:
    """Record events are applied in order per record: only a newer version changes the student."""
    return stored_version is None or incoming_version > stored_version


@dataclass(frozen=True)
class SnapshotPlan:
    """A batch of snapshots decided as one by one would: which applied, and the last applied student
    of each record, to update (with the stored version it replaces) or insert."""

    applied: list[bool]
    updated: list[tuple[Student, int]]
    inserted: list[Student]


def plan_snapshots(students: list[Student], stored: dict[str, int]) -> SnapshotPlan:
    """`stored`: the stored version of each of the batch's records that has one."""
    versions = dict(stored)
    applied: list[bool] = []
    final: dict[str, Student] = {}
    for student in students:
        applies = snapshot_applies(student.version, versions.get(student.record_id))
        applied.append(applies)
        if applies:
            versions[student.record_id] = student.version
            final[student.record_id] = student
    return SnapshotPlan(
        applied,
        [(s, stored[s.record_id]) for s in final.values() if s.record_id in stored],
        [s for s in final.values() if s.record_id not in stored],
    )


@dataclass(frozen=True)
class Stamp:
    org_unit: str
    user_id: str
    role: str
    time: dt.datetime


@dataclass(frozen=True)
class SpecialEdInfo:
    record_id: str
    disability_type: DisabilityType | None
    proof_type: ProofType | None
    degree: Degree | None = None
    certificate_number: str = ""
    symptom_description: str = ""
    inclusive_education: InclusiveEducation | None = None
    version: int = 1
    updated: Stamp | None = None
    created_at: dt.datetime | None = None

    def changed(self, changes: dict[str, Any], stamp: Stamp) -> SpecialEdInfo:
        """`changes`: new values of EDITABLE fields."""
        return replace(self, **changes, version=self.version + 1, updated=stamp)


def check(
    info: SpecialEdInfo, student: Student, same_document: Callable[[str, str], bool], prefix: str = "info."
) -> None:
    """Raises InvalidArgument with one violation per broken rule, naming the field.

    `same_document(type, number)` tells whether a number is the student's document (by its hash).
    """
    problems: list[FieldViolation] = []

    def bad(name: str, message: str) -> None:
        problems.append(FieldViolation(prefix + name, message))

    if info.disability_type in (None, DisabilityType.NONE):
        bad("disability_type", "请选择残疾类型")
    if info.proof_type is None:
        bad("proof_type", "请选择残疾证明类型")
    if info.proof_type in (ProofType.CERTIFICATE, ProofType.HOSPITAL_PROOF) and info.degree is None:
        bad("degree", "残疾证明类型为残疾证或医院残疾证明时，残疾程度必选")
    number = info.certificate_number
    if info.proof_type is ProofType.CERTIFICATE and not number:
        bad("certificate_number", "残疾证明类型为残疾证时，残疾证书号必填")
    elif number and not _CERTIFICATE.fullmatch(number):
        bad("certificate_number", "残疾证书号应为不超过30位的数字或字母")
    elif (
        _CARD_NUMBER.fullmatch(number)
        and student.document_type == DocumentType.RESIDENT_ID.value
        and not same_document(DocumentType.RESIDENT_ID.value, number[:18])
    ):
        bad("certificate_number", "残疾证书号前18位应与学生的居民身份证号一致")
    if info.proof_type is ProofType.OBVIOUS_SYMPTOMS and not info.symptom_description.strip():
        bad("symptom_description", "残疾证明类型为有明显残疾症状时，残疾描述必填")
    if len(info.symptom_description) > 500:
        bad("symptom_description", "残疾描述不能超过500个字")
    inclusive = info.inclusive_education
    if inclusive is None:
        bad("inclusive_education", "请选择随班就读情况")
    elif (
        inclusive is not InclusiveEducation.NONE
        and info.disability_type not in (None, DisabilityType.NONE)
        and info.disability_type not in INCLUSIVE_FITS[inclusive]
    ):
        bad(
            "inclusive_education",
            f"随班就读与残疾类型不一致：{inclusive.label_zh}不适用于{info.disability_type.label_zh}",
        )
    if problems:
        raise InvalidArgument(problems)


def mask_certificate(number: str) -> str:
    """List views: the certificate number starts with a resident ID number, so it is masked."""
    from xueji_common.documents import mask_document_number

    return mask_document_number(number)
