"""全国学籍查询 (chapter 16): what may be asked, what is shown, what the audit keeps.

Input: a name and a document number, or a name and a national student number. The name must match
exactly: a right number with a wrong name finds nothing, and the answer says only that (it must not
tell that the number exists).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import NamedTuple

from xueji_common.auth import Role
from xueji_common.documents import (
    DocumentError,
    DocumentType,
    mask_document_number,
    normalize_document_number,
    validate_document,
)
from xueji_common.errors import FieldViolation, InvalidArgument, NotFound
from xueji_common.masking import lookup_document_number
from xueji_common.student_numbers import is_student_number
from xueji_national_query.domain.doc_hash import hasher

BY_DOCUMENT = "document"
BY_STUDENT_NUMBER = "student_number"
NOT_FOUND_MESSAGE = "未查询到符合条件的学籍信息"

_CANONICAL_FORMS = (DocumentType.HK, DocumentType.MACAO, DocumentType.TAIWAN)
_ALL_CODES = tuple(t.value for t in DocumentType)
_PLAIN_CODES = tuple(t.value for t in DocumentType if t not in _CANONICAL_FORMS)
# The canonical forms rewrite only short numbers: identity cards of Hong Kong (A123456(3)) and Macao
# (1234567(8)), and the old Taiwan permit written 1234567890(A). Any of their other numbers, and any
# longer number, is kept as typed, so a longer number needs no validation to be hashed.
_LONGEST_REWRITTEN = len("1234567890(A)")

# Roles of people, who must solve a captcha for each lookup.
CAPTCHA_ROLES = (Role.SCHOOL_REGISTRAR, Role.SCHOOL_LEADER, Role.DEPARTMENT_REGISTRAR)


@dataclass(frozen=True)
class LookupQuery:
    name: str
    document_number: str = ""
    national_student_number: str = ""

    @property
    def kind(self) -> str:
        return BY_DOCUMENT if self.document_number else BY_STUDENT_NUMBER

    @classmethod
    def parse(cls, name: str, document_number: str = "", national_student_number: str = "") -> LookupQuery:
        problems = []
        name = name.strip()
        if not name:
            problems.append(FieldViolation("name", "请输入学生姓名"))
        number = normalize_document_number(document_number or "")
        student_number = normalize_document_number(national_student_number or "")
        if not number and not student_number:
            problems.append(FieldViolation("document_number", "请输入身份证件号或全国学籍号"))
        elif student_number and not number and not is_student_number(student_number):
            problems.append(FieldViolation("national_student_number", "全国学籍号格式不正确"))
        if problems:
            raise InvalidArgument(problems)
        return cls(name, number, "" if number else student_number)

    def document_hashes(self, key: str) -> list[str]:
        """The request names no document type: the number's hash under every type it may be.

        Only the HK, Macao and Taiwan identity cards have a canonical form other than the
        normalised text (A123456(3)); the other types hash the number as typed.
        """
        document_hash, number = hasher(key), self.document_number
        if len(number) > _LONGEST_REWRITTEN:  # e.g. every resident ID: hashed as typed under every type
            return sorted({document_hash(code, number) for code in _ALL_CODES})
        hashes = {document_hash(code, number) for code in _PLAIN_CODES}
        for doc_type in _CANONICAL_FORMS:
            try:
                canonical = validate_document(doc_type, number).number
            except DocumentError:
                canonical = number
            hashes.add(document_hash(doc_type.value, canonical))
        return sorted(hashes)

    def masked(self) -> tuple[str, str]:
        """(name, key) as the audit keeps them."""
        return mask_name(self.name), mask_document_number(
            self.document_number or self.national_student_number
        )


class AuditEntry(NamedTuple):
    """One lookup as the audit keeps it (the columns of the lookup_audit table, its id aside)."""

    asked_at: dt.datetime
    user_id: str
    role: str
    org_unit: str
    client_address: str
    query_kind: str  # BY_DOCUMENT or BY_STUDENT_NUMBER
    name_masked: str
    key_masked: str
    outcome: str  # found, not_found, invalid, rate_limited, captcha_refused
    result_count: int


def mask_name(name: str) -> str:
    return name[:1] + "*" * max(len(name) - 1, 1) if name else ""


def shown_document_number(query: LookupQuery, role: Role, masked: str) -> str:
    """The supplied number to the roles that may see it, masked otherwise: the rule is
    xueji_common.masking's. The read model keeps only keyed hashes and masked numbers, so "in clear"
    can only be the number the caller asked with."""
    return lookup_document_number(query.document_number if query.kind == BY_DOCUMENT else "", masked, role)


def nothing_found() -> NotFound:
    return NotFound(NOT_FOUND_MESSAGE)
