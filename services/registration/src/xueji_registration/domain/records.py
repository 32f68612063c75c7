"""Student records (学籍) and their national student numbers (全国学籍号).

A record is generated when the last review level approves an application (docs/FLOWS.md step 6). Its
number: `G` + the resident ID number when authentication passed (formal); otherwise `L` + the
school's division code + birth date + 4 random digits (temporary). The national dedup tier draws
and reserves the number so that it is unique across provinces; this module decides which kind is
due and checks that what comes back has the promised layout.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass
from typing import Any

from xueji_common.documents import DocumentCategory
from xueji_common.student_numbers import NumberKind as NumberKind  # re-exported
from xueji_common.student_numbers import has_layout
from xueji_common.vocabulary import RegistrationKind
from xueji_registration.domain.identity import Identity
from xueji_registration.domain.model import Application, AuthenticationStatus


def number_kind_due(app: Application) -> NumberKind | None:
    """The number an approved application's record gets now; None while authentication still runs."""
    if app.category is not DocumentCategory.RESIDENT:
        return NumberKind.TEMPORARY
    if app.authentication is AuthenticationStatus.PASSED:
        return NumberKind.FORMAL
    if app.authentication is AuthenticationStatus.FAILED:
        return NumberKind.TEMPORARY
    return None  # a freshman resident approved before authentication ended: wait for the result


def number_has_layout(number: str, kind: NumberKind, *, identity: Identity, division_code: str) -> bool:
    """The layout check of xueji_common.student_numbers, for this student's identity."""
    return has_layout(
        number,
        kind,
        resident_id=identity.document.number,
        division_code=division_code,
        birth_date=identity.birth_date,
    )


def stage_of(grade: str, school_stage: str) -> str:
    """就读学段 from the grade code (1x primary, 2x junior, 3x senior, 4x special), else the school's."""
    by_grade = {"1": "primary", "2": "junior", "3": "senior", "4": "special"}
    return by_grade.get(grade[:1], school_stage if school_stage in by_grade.values() else "primary")


@dataclass
class StudentRecord:
    record_id: str
    national_student_number: str
    number_kind: NumberKind
    application_id: str
    school_code: str
    province_code: str
    kind: RegistrationKind
    category: DocumentCategory
    stage: str  # primary | junior | senior | special
    identity: Identity
    document_hash: str
    form: dict[str, Any]
    created_at: dt.datetime
    updated_at: dt.datetime
    enrolment_status: str = "enrolled"
    problem_record: bool = False  # 问题学籍
    problem_group_id: str = ""
    cancelled: bool = False  # deleted as a duplicate; still visible to its school and county
    version: int = 1

    @classmethod
    def generate(
        cls,
        app: Application,
        *,
        record_id: str,
        number: str,
        kind: NumberKind,
        province_code: str,
        school_stage: str,
        now: dt.datetime,
    ) -> StudentRecord:
        # A failed authentication makes a problem record from the start (docs/DOMAIN.md#problem-records).
        failed = (
            app.category is DocumentCategory.RESIDENT and app.authentication is AuthenticationStatus.FAILED
        )
        return cls(
            record_id=record_id,
            national_student_number=number,
            number_kind=kind,
            application_id=app.application_id,
            school_code=app.school_code,
            province_code=province_code,
            kind=app.kind,
            category=app.category,
            stage=stage_of(app.form.get("grade", ""), school_stage),
            identity=app.identity,
            document_hash=app.document_hash,
            form=app.form,
            created_at=now,
            updated_at=now,
            problem_record=failed,
        )

    @property
    def temporary(self) -> bool:
        return self.number_kind is NumberKind.TEMPORARY

    def _changed(self, now: dt.datetime) -> None:
        self.version += 1
        self.updated_at = now

    def formal_number(self, number: str, now: dt.datetime) -> None:
        """Authentication passed after a correction: the G number replaces the L number."""
        self.national_student_number, self.number_kind = number, NumberKind.FORMAL
        self.problem_record, self.problem_group_id = False, ""
        self._changed(now)

    def problem_raised(self, group_id: str, now: dt.datetime) -> None:
        self.problem_record, self.problem_group_id = True, group_id
        self._changed(now)

    def corrected(self, identity: Identity, document_hash: str, now: dt.datetime) -> None:
        """Key data corrected through problem resolution (the department approved it)."""
        self.identity, self.document_hash = identity, document_hash
        self._changed(now)

    def corroborated(self, now: dt.datetime) -> None:
        self.problem_record, self.problem_group_id = False, ""
        self._changed(now)

    def cancel(self, now: dt.datetime) -> None:
        self.cancelled, self.enrolment_status = True, "left"
        self._changed(now)


def new_record_id(application_id: str) -> str:
    """Stable per application: a retried approval reserves the number for the same owner."""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"xueji:record:{application_id}"))
