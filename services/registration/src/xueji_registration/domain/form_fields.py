"""`check_form`'s rules one field at a time, so that an import can check a column's distinct values
once instead of every form whole.

A form of a resident or HMT/foreign student draws no problem from `check_form` exactly when every
top-level key passes `field_passes` (None: the key is absent), `relations_hold` holds and every
family member passes `member_passes` (each field `member_field_passes`, then `member_holds`);
tests/unit/test_form_fields.py holds this against `check_form` itself. These answer yes or no
only: the reasons, and their order, are `check_form`'s alone.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from xueji_common.documents import DocumentCategory, DocumentError, validate_document
from xueji_registration.domain import codes
from xueji_registration.domain.form import (
    _CODED,
    _DIVISIONS,
    _EMAIL,
    _HOMEPAGE,
    _OPTIONAL_CODES,
    _PHONE,
    _POSTAL,
    _REQUIRED_ENUM,
    _REQUIRED_TEXT,
    _REQUIRED_YES_NO,
    _YEAR_MONTH,
    MAX_FAMILY_MEMBERS,
    MAX_TEXT,
    _date,
)

_CONTACT = {"phone": _PHONE, "postalCode": _POSTAL, "email": _EMAIL, "homepage": _HOMEPAGE}
IMPORTED = (DocumentCategory.RESIDENT, DocumentCategory.HMT_FOREIGN)  # the categories these cover


def required_keys() -> frozenset[str]:
    """The keys a form must hold (an absent one is a problem)."""
    return frozenset(
        k
        for k in (*_REQUIRED_TEXT, *_REQUIRED_ENUM, *_REQUIRED_YES_NO)
        if not field_passes(k, None, category=DocumentCategory.RESIDENT, today=dt.date.today())
    )


def field_passes(key: str, value: object, *, category: DocumentCategory, today: dt.date) -> bool:
    """Whether `value` under top-level `key` draws no problem from the rules of that key alone."""
    if category not in IMPORTED:
        raise ValueError("only resident and HMT/foreign forms are checked field by field")
    text = value.strip() if isinstance(value, str) else ""
    if isinstance(value, str) and len(value) > MAX_TEXT:
        return False
    if key in _REQUIRED_TEXT and not text:
        return False
    if text and key in _DIVISIONS and not codes.is_division_code(text):
        return False
    if text and key in _CODED and text not in _CODED[key]:
        return False
    if key in _REQUIRED_ENUM and value not in _REQUIRED_ENUM[key][1]:
        return False
    if key in _REQUIRED_YES_NO and not isinstance(value, bool):
        return False
    if text and key in _OPTIONAL_CODES and text not in _OPTIONAL_CODES[key][1]:
        return False
    if text and key in _CONTACT and not _CONTACT[key].fullmatch(text):
        return False
    if key == "admissionYearMonth" and text:
        match = _YEAR_MONTH.fullmatch(text)
        if not match or (int(match[1]), int(match[2])) > (today.year, today.month):
            return False
    if key in ("documentValidFrom", "documentValidUntil"):
        day = _date(value)
        if day == "bad" or (key == "documentValidFrom" and isinstance(day, dt.date) and day > today):
            return False
    if key == "nationalityCode" and text:  # resident students are Chinese, HMT/foreign students are not
        if category is DocumentCategory.RESIDENT and text != codes.CHINA:
            return False
        if category is DocumentCategory.HMT_FOREIGN and text == codes.CHINA:
            return False
    hmt = category is DocumentCategory.HMT_FOREIGN
    if key == "overseasChineseCode" and hmt and text == codes.NOT_OVERSEAS:
        return False
    if (
        key == "commuteDistanceKm"
        and value is not None
        and not (isinstance(value, (int, float)) and 0 <= value <= 500)
    ):
        return False
    return True


def relations_hold(form: dict[str, Any], birth_date: dt.date | None) -> bool:
    """The rules relating fields: 入学年月 not before the birth year, the validity period's end after
    its start, 随班就读 consistent with 残疾人类型."""
    year_month = form.get("admissionYearMonth")
    if birth_date and isinstance(year_month, str):
        match = _YEAR_MONTH.fullmatch(year_month.strip())
        if match and int(match[1]) < birth_date.year:
            return False
    valid_from, valid_until = form.get("documentValidFrom"), form.get("documentValidUntil")
    if valid_from and valid_until:
        start, end = _date(valid_from), _date(valid_until)
        if isinstance(start, dt.date) and isinstance(end, dt.date) and end <= start:
            return False
    inclusive = form.get("inclusiveEducation")
    if inclusive in codes.INCLUSIVE_FOR:
        return (form.get("disabilityType") or codes.DISABILITY_NONE) in codes.INCLUSIVE_FOR[inclusive]
    return True


def family_passes(members: list[dict[str, Any]]) -> bool:
    return len(members) <= MAX_FAMILY_MEMBERS and all(member_passes(m) for m in members)


def member_passes(member: dict[str, Any], today: dt.date | None = None) -> bool:
    """One family member (家庭成员) draws no problem: each field, name and relationship given, the
    document valid (`today`: the day birth dates may not be after, by default the current one)."""
    return all(member_field_passes(k, v) for k, v in member.items()) and member_holds(member, today)


def member_field_passes(key: str, value: object) -> bool:
    """A family member's field on its own (present: `value` not None)."""
    if not value:
        return True
    if key == "relationshipCode":
        return value in codes.RELATIONSHIP
    if key == "ethnicityCode":
        return value in codes.ETHNICITY
    if key == "householdRegistrationCode":
        return codes.is_division_code(value)
    if key == "phone":
        return isinstance(value, str) and bool(_PHONE.fullmatch(value.strip()))
    return True


def member_holds(member: dict[str, Any], today: dt.date | None = None) -> bool:
    """A family member's rules beyond single fields: name and relationship given, the document valid."""
    if not (member.get("name") or "").strip() or not member.get("relationshipCode", ""):
        return False
    document = member.get("document") or {}
    if document.get("type") or document.get("number"):
        doc_type = codes.DOCUMENT_TYPE_BY_NAME.get(document.get("type", ""))
        if doc_type is None:
            return False
        try:
            validate_document(doc_type, document.get("number", ""), today=today)
        except DocumentError:
            return False
    return True
