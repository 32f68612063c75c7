"""The five key fields of a student (姓名, 性别, 出生日期, 身份证件类型, 身份证件号) and their rules."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from xueji_common.documents import DocumentError, DocumentType, Gender, ValidDocument
from xueji_common.errors import FieldViolation, InvalidArgument


@dataclass(frozen=True)
class Identity:
    """The five key fields (姓名, 性别, 出生日期, 身份证件类型, 身份证件号)."""

    name: str
    gender: Gender
    birth_date: dt.date
    document: ValidDocument

    def key(self) -> tuple[str, Gender, dt.date, DocumentType, str]:
        return self.name, self.gender, self.birth_date, self.document.type, self.document.number


def check_identity(
    name: str,
    gender: Gender | None,
    birth_date: dt.date | None,
    document: ValidDocument | DocumentError,
    *,
    prefix: str = "student",
) -> Identity:
    """Validate the identity block; every problem becomes a field violation naming its field.

    For a resident ID card gender and birth date come from the number: a different value given by
    the registrar is refused rather than silently replaced.
    """
    problems = identity_problems(name, gender, birth_date, document, prefix=prefix)
    valid = document if isinstance(document, ValidDocument) else None
    sex = gender or (valid.gender if valid else None)
    born = birth_date or (valid.birth_date if valid else None)
    if problems or valid is None or sex is None or born is None:  # what is missing is among the problems
        raise InvalidArgument(problems)
    return Identity(name.strip(), sex, born, valid)


def identity_problems(
    name: str | None,
    gender: Gender | None,
    birth_date: dt.date | None,
    document: ValidDocument | DocumentError,
    *,
    prefix: str = "student",
    derived_from_number: bool = False,
) -> list[FieldViolation]:
    """Every problem of the identity block. `derived_from_number`: a resident ID card, whose bad number
    is the one problem to report (gender and birth date would come from it)."""
    problems: list[FieldViolation] = []
    name = (name or "").strip()
    if not name:
        problems.append(FieldViolation(f"{prefix}.name", "姓名不能为空"))
    elif len(name) > 50:
        problems.append(FieldViolation(f"{prefix}.name", "姓名不能超过50个字"))
    if isinstance(document, DocumentError):
        problems.append(
            FieldViolation(f"{prefix}.document.{document.field.removeprefix('document_')}", document.message)
        )
    else:
        if document.gender is not None:
            if gender is not None and gender != document.gender:
                problems.append(FieldViolation(f"{prefix}.gender", "性别与身份证件号不符"))
            gender = document.gender
        if document.birth_date is not None:
            if birth_date is not None and birth_date != document.birth_date:
                problems.append(FieldViolation(f"{prefix}.birth_date", "出生日期与身份证件号不符"))
            birth_date = document.birth_date
    if isinstance(document, DocumentError) and derived_from_number:
        return problems
    if gender is None:
        problems.append(FieldViolation(f"{prefix}.gender", "性别不能为空"))
    if birth_date is None:
        problems.append(FieldViolation(f"{prefix}.birth_date", "出生日期不能为空"))
    elif birth_date > dt.date.today():
        problems.append(FieldViolation(f"{prefix}.birth_date", "出生日期不能晚于今天"))
    return problems
