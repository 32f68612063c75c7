"""Validating the national student form (学生基本信息) beyond the five identity fields.

The form travels and is stored as the protobuf JSON mapping of `xueji.v1.StudentRecordForm`
(camelCase keys, enum names, optional yes/no answers present only when given) — what manual entry,
import and supplementary entry all produce. The identity block (姓名, 性别, 出生日期, 身份证件) is
checked by `model.check_identity` and kept out of the stored form. Every problem is a field
violation naming the request field (`student.postal_code`, `student.family_members[1].phone`).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from typing import Any

from xueji_common.documents import DocumentCategory, DocumentError, DocumentType, validate_document
from xueji_common.errors import FieldViolation
from xueji_registration.domain import codes

Text = Callable[[str], str]  # a form's text value by key, stripped ("" when absent)
Bad = Callable[[str, str], None]  # records a problem of a form key

IDENTITY_KEYS = ("name", "gender", "birthDate", "document")
MAX_FAMILY_MEMBERS = 10
MAX_TEXT = 200

_PHONE = re.compile(r"\+?[0-9][0-9\- ]{5,18}[0-9]")
_POSTAL = re.compile(r"[0-9]{6}")
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
_YEAR_MONTH = re.compile(r"([0-9]{4})(0[1-9]|1[0-2])")
_HOMEPAGE = re.compile(r"https?://\S+")

# Required (★) text fields and their labels.
_REQUIRED_TEXT = {
    "birthplaceCode": "出生地",
    "nativePlaceCode": "籍贯",
    "ethnicityCode": "民族",
    "nationalityCode": "国籍/地区",
    "overseasChineseCode": "港澳台侨外",
    "householdRegistrationCode": "户口所在地",
    "householdTypeCode": "户口性质",
    "grade": "年级",
    "className": "班级",
    "admissionYearMonth": "入学年月",
    "currentAddress": "现住址",
    "mailingAddress": "通信地址",
    "homeAddress": "家庭地址",
    "phone": "联系电话",
    "postalCode": "邮政编码",
}
_REQUIRED_ENUM = {
    "healthStatus": ("健康状况", codes.HEALTH_STATUS),
    "admissionMethod": ("入学方式", codes.ADMISSION_METHOD),
    "attendanceMode": ("就读方式", codes.ATTENDANCE_MODE),
}
_REQUIRED_YES_NO = {"onlyChild": "是否独生子女", "preschoolEducated": "是否受过学前教育"}
# Optional coded fields: key → (label, table).
_OPTIONAL_CODES = {
    "politicalStatusCode": ("政治面貌", codes.POLITICAL_STATUS),
    "studentSourceCode": ("学生来源", codes.STUDENT_SOURCE),
    "commuteModeCode": ("上下学交通方式", codes.COMMUTE_MODE),
    "leftBehind": ("是否留守儿童", codes.LEFT_BEHIND),
    "disabilityType": ("残疾人类型", codes.DISABILITY),
    "inclusiveEducation": ("随班就读", frozenset(codes.INCLUSIVE_FOR)),
}
_CODED = {
    "ethnicityCode": codes.ETHNICITY,
    "nationalityCode": codes.NATIONALITY,
    "overseasChineseCode": codes.OVERSEAS_CHINESE,
    "householdTypeCode": codes.HOUSEHOLD_TYPE,
    "grade": codes.GRADE,
}
_DIVISIONS = ("birthplaceCode", "nativePlaceCode", "householdRegistrationCode")


def snake(key: str) -> str:
    return re.sub(r"([A-Z])", lambda m: "_" + m[1].lower(), key)


def without_identity(form: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in form.items() if k not in IDENTITY_KEYS}


def check_form(
    form: dict[str, Any],
    *,
    category: DocumentCategory,
    birth_date: dt.date | None,
    today: dt.date | None = None,
    prefix: str = "student",
) -> list[FieldViolation]:
    """Every problem of the form (identity block excepted), in field order."""
    today = today or dt.date.today()
    problems: list[FieldViolation] = []

    def bad(key: str, text: str) -> None:
        problems.append(FieldViolation(f"{prefix}.{snake(key)}", text))

    # Every text value stripped once (most are looked at several times below).
    texts: dict[str, str] = {}
    too_long = []
    for key, value in form.items():
        if isinstance(value, str):
            texts[key] = value.strip()
            if len(value) > MAX_TEXT:
                too_long.append(key)

    def text(key: str) -> str:
        return texts.get(key, "")

    for key, label in _REQUIRED_TEXT.items():
        if not texts.get(key):
            bad(key, f"{label}不能为空")
    for key in too_long:
        bad(key, f"不能超过{MAX_TEXT}个字符")
    for key in _DIVISIONS:
        if (value := texts.get(key)) and not codes.is_division_code(value):
            bad(key, f"{_REQUIRED_TEXT[key]}应为6位行政区划代码")
    for key, table in _CODED.items():
        if (value := texts.get(key)) and value not in table:
            bad(key, f"{_REQUIRED_TEXT[key]}代码“{value}”不在代码表中")
    for key, (label, table) in _REQUIRED_ENUM.items():
        if (value := form.get(key)) not in table:
            bad(key, f"{label}不能为空" if not value else f"{label}无效")
    for key, label in _REQUIRED_YES_NO.items():
        if not isinstance(form.get(key), bool):
            bad(key, f"请选择{label}")
    for key, (label, table) in _OPTIONAL_CODES.items():
        if (value := texts.get(key)) and value not in table:
            bad(key, f"{label}代码“{value}”不在代码表中")
    _check_contact(form, text, bad)
    _check_dates(form, text, bad, birth_date, today)
    _check_overseas(text, bad, category)
    _check_disability(form, bad)
    distance = form.get("commuteDistanceKm")
    if distance is not None and not (isinstance(distance, (int, float)) and 0 <= distance <= 500):
        bad("commuteDistanceKm", "上下学距离应为0至500公里")
    problems += check_family(
        form.get("familyMembers", []), category=category, prefix=f"{prefix}.family_members"
    )
    return problems


def _check_contact(form: dict[str, Any], text: Text, bad: Bad) -> None:
    if text("phone") and not _PHONE.fullmatch(text("phone")):
        bad("phone", "联系电话格式不正确")
    if text("postalCode") and not _POSTAL.fullmatch(text("postalCode")):
        bad("postalCode", "邮政编码应为6位数字")
    if text("email") and not _EMAIL.fullmatch(text("email")):
        bad("email", "电子信箱格式不正确")
    if text("homepage") and not _HOMEPAGE.fullmatch(text("homepage")):
        bad("homepage", "主页地址应以 http:// 或 https:// 开头")


def _date(value: object) -> dt.date | str | None:
    """A stored Date as a date; None when absent; "bad" when impossible."""
    if not value:
        return None
    if not isinstance(value, dict):
        return "bad"
    try:
        return dt.date(int(value.get("year", 0)), int(value.get("month", 0)), int(value.get("day", 0)))
    except (TypeError, ValueError):
        return "bad"


def _check_dates(
    form: dict[str, Any], text: Text, bad: Bad, birth_date: dt.date | None, today: dt.date
) -> None:
    ym = text("admissionYearMonth")
    if ym:
        match = _YEAR_MONTH.fullmatch(ym)
        if not match:
            bad("admissionYearMonth", "入学年月格式应为YYYYMM，如201909")
        elif (int(match[1]), int(match[2])) > (today.year, today.month):
            bad("admissionYearMonth", "入学年月不能晚于当前月份")
        elif birth_date and int(match[1]) < birth_date.year:
            bad("admissionYearMonth", "入学年月不能早于出生日期")
    valid_from, valid_until = _date(form.get("documentValidFrom")), _date(form.get("documentValidUntil"))
    for key, value in (("documentValidFrom", valid_from), ("documentValidUntil", valid_until)):
        if value == "bad":
            bad(key, "身份证件有效期不是有效日期")
    if isinstance(valid_from, dt.date) and valid_from > today:
        bad("documentValidFrom", "身份证件有效期起始日期不能晚于今天")
    if isinstance(valid_from, dt.date) and isinstance(valid_until, dt.date) and valid_until <= valid_from:
        bad("documentValidUntil", "身份证件有效期截止日期应晚于起始日期")


def _check_overseas(text: Text, bad: Bad, category: DocumentCategory) -> None:
    """Resident ID holders are Chinese citizens; HMT/foreign students are neither CHN nor 00."""
    nationality, overseas = text("nationalityCode"), text("overseasChineseCode")
    if category is DocumentCategory.RESIDENT and nationality and nationality != codes.CHINA:
        bad("nationalityCode", "持居民身份证的学生国籍/地区应为中国（CHN）")
    if category is DocumentCategory.HMT_FOREIGN:
        if nationality == codes.CHINA:
            bad("nationalityCode", "港澳台和外籍学生的国籍/地区不能为中国（CHN）")
        if overseas == codes.NOT_OVERSEAS:
            bad("overseasChineseCode", "港澳台和外籍学生的港澳台侨外不能为“00 否”")


def _check_disability(form: dict[str, Any], bad: Bad) -> None:
    disability = form.get("disabilityType") or codes.DISABILITY_NONE
    inclusive = form.get("inclusiveEducation")
    if inclusive in codes.INCLUSIVE_FOR and disability not in codes.INCLUSIVE_FOR[inclusive]:
        bad("inclusiveEducation", "随班就读类型与残疾人类型不一致")


def check_family(
    members: list[dict[str, Any]], *, category: DocumentCategory, prefix: str
) -> list[FieldViolation]:
    """家庭成员: each member valid; no-document students need one holding a resident ID card."""
    problems: list[FieldViolation] = []
    if len(members) > MAX_FAMILY_MEMBERS:
        problems.append(FieldViolation(prefix, f"家庭成员不能超过{MAX_FAMILY_MEMBERS}人"))
    resident_holders = 0
    for i, member in enumerate(members):
        at = f"{prefix}[{i}]"
        if not (member.get("name") or "").strip():
            problems.append(FieldViolation(f"{at}.name", "家庭成员姓名不能为空"))
        relationship = member.get("relationshipCode", "")
        if not relationship:
            problems.append(FieldViolation(f"{at}.relationship_code", "家庭成员关系不能为空"))
        elif relationship not in codes.RELATIONSHIP:
            problems.append(
                FieldViolation(f"{at}.relationship_code", f"关系代码“{relationship}”不在代码表中")
            )
        if member.get("ethnicityCode") and member["ethnicityCode"] not in codes.ETHNICITY:
            problems.append(FieldViolation(f"{at}.ethnicity_code", "民族代码不在代码表中"))
        region = member.get("householdRegistrationCode")
        if region and not codes.is_division_code(region):
            problems.append(
                FieldViolation(f"{at}.household_registration_code", "户口所在地应为6位行政区划代码")
            )
        if member.get("phone") and not _PHONE.fullmatch(member["phone"].strip()):
            problems.append(FieldViolation(f"{at}.phone", "联系电话格式不正确"))
        document = member.get("document") or {}
        if document.get("type") or document.get("number"):
            doc_type = codes.DOCUMENT_TYPE_BY_NAME.get(document.get("type", ""))
            if doc_type is None:
                problems.append(FieldViolation(f"{at}.document.type", "身份证件类型不能为空"))
                continue
            try:
                valid = validate_document(doc_type, document.get("number", ""))
            except DocumentError as exc:
                problems.append(
                    FieldViolation(f"{at}.document.{exc.field.removeprefix('document_')}", exc.message)
                )
                continue
            resident_holders += valid.type is DocumentType.RESIDENT_ID
    if category is DocumentCategory.NO_DOCUMENT:
        if not members:
            problems.append(FieldViolation(prefix, "无证件学生必须录入家庭成员信息"))
        elif not resident_holders:
            problems.append(FieldViolation(prefix, "家庭成员中至少有1人的身份证件类型是居民身份证"))
    return problems


_GENDER_BY_NAME = {"GENDER_MALE": 1, "GENDER_FEMALE": 2}


def identity_fields(form: dict[str, Any]) -> tuple[str, int | None, dt.date | None, str | None, str]:
    """(name, gender number, birth date, document type code, number) of a form's identity block.

    An impossible birth date reads as None here; the caller reports the field.
    """
    birth = _date(form.get("birthDate"))
    document = form.get("document") or {}
    return (
        form.get("name", ""),
        _GENDER_BY_NAME.get(form.get("gender", "")),
        birth if isinstance(birth, dt.date) else None,
        codes.DOCUMENT_TYPE_BY_NAME.get(document.get("type", "")),
        document.get("number", ""),
    )


def identity_block(
    name: str, gender: int, birth_date: dt.date, document_type: str, number: str
) -> dict[str, Any]:
    """The identity block in the form's own shape (to merge a stored form back into a whole one)."""
    type_name = {code: name_ for name_, code in codes.DOCUMENT_TYPE_BY_NAME.items()}[document_type]
    return {
        "name": name,
        "gender": {1: "GENDER_MALE", 2: "GENDER_FEMALE"}[int(gender)],
        "birthDate": {"year": birth_date.year, "month": birth_date.month, "day": birth_date.day},
        "document": {"type": type_name, "number": number},
    }
