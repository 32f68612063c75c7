"""validate_document and the per-type rules (docs/DOMAIN.md#identity-documents)."""

from __future__ import annotations

import datetime as dt
import functools
import re
from typing import Any

from .model import NUMBER, DocumentError, DocumentType, Gender, ValidDocument, category_of
from .text import check_character, normalize_document_number, resident_id_check_digit


def validate_document(
    doc_type: DocumentType | str, number: str | None, *, today: dt.date | None = None
) -> ValidDocument:
    """Validate ``number`` for ``doc_type`` (a DocumentType, a code or a Chinese label).

    ``today`` bounds birth dates (default: the local date). Raises :class:`DocumentError` for any
    bad type or number (``TypeError`` only if ``number`` is neither str nor None).
    """
    doc_type = DocumentType.coerce(doc_type)
    today = today or dt.date.today()
    if isinstance(today, dt.datetime):
        today = today.date()
    if number is None:
        number = ""
    if not isinstance(number, str):
        raise TypeError("number must be a str or None")
    text = normalize_document_number(number)
    if doc_type is DocumentType.OTHER:  # 其他: the number may be blank
        if len(text) > 30:
            raise DocumentError(NUMBER, "TOO_LONG", "身份证件号不能超过30个字符")
        if not text.isprintable():
            raise DocumentError(NUMBER, "FORMAT", "身份证件号含有无效字符")
        return _doc(doc_type, text, "other" if text else "none")
    if not text:
        raise DocumentError(NUMBER, "REQUIRED", "身份证件号不能为空")
    return _VALIDATORS[doc_type._value_](text, today)  # by code: an enum member hashes in Python


def _doc(doc_type: DocumentType, number: str, form: str, **derived: Any) -> ValidDocument:
    return ValidDocument(doc_type, number, _CATEGORIES[doc_type._value_], form=form, **derived)


_CATEGORIES = {doc_type.value: category_of(doc_type) for doc_type in DocumentType}


# Province-level prefixes of mainland division codes (GB/T 2260). 71 Taiwan, 81 Hong Kong and
# 82 Macao (and 83, used by residence permits) never appear on a mainland resident ID card.
_RANGES = ((11, 15), (21, 23), (31, 37), (41, 46), (50, 54), (61, 65))
PROVINCE_CODES = frozenset(str(p) for lo, hi in _RANGES for p in range(lo, hi + 1))


def _division_ok(code: str) -> bool:
    # Structural check only, deliberately NOT against the current GB/T 2260 table: an ID number
    # keeps the division code it was issued under for life, and many codes have since been
    # abolished or renumbered. Province/city-level codes (110000, 110100) do occur on real cards.
    # A county part under a missing city part (e.g. 110001) has no meaning in GB/T 2260.
    return code[:2] in PROVINCE_CODES and not (code[2:4] == "00" and code[4:6] != "00")


@functools.lru_cache(maxsize=1 << 16)  # birth dates repeat: a school's students share a few hundred
def _calendar_date(yyyymmdd: str) -> dt.date | None:
    try:
        return dt.date(int(yyyymmdd[:4]), int(yyyymmdd[4:6]), int(yyyymmdd[6:]))
    except ValueError:
        return None


def _birth_date(yyyymmdd: str, today: dt.date, rule: str, label: str) -> dt.date:
    born = _calendar_date(yyyymmdd)
    if born is None:
        raise DocumentError(NUMBER, f"{rule}_BIRTH_DATE", f"{label}中的出生日期不是有效日期")
    if born.year < 1900:
        raise DocumentError(NUMBER, f"{rule}_BIRTH_DATE", f"{label}中的出生日期早于1900年")
    if born > today:
        raise DocumentError(NUMBER, f"{rule}_BIRTH_DATE_FUTURE", f"{label}中的出生日期晚于今天")
    return born


def _gb11643(
    doc_type: DocumentType, number: str, today: dt.date, rule: str, label: str, form: str
) -> ValidDocument:
    """The document with the birth date, gender and division its number carries, after the birth
    date and check digit shared by resident IDs and residence permits."""
    born = _birth_date(number[6:14], today, rule, label)
    if check_character(number[:17]) != number[17]:  # the callers matched 17 digits first
        raise DocumentError(NUMBER, f"{rule}_CHECK_DIGIT", f"{label}校验位错误")
    gender = _MALE if number[16] in "13579" else _FEMALE
    return ValidDocument(doc_type, number, _CATEGORIES[doc_type._value_], gender, born, number[:6], form)


_MALE, _FEMALE = Gender.MALE, Gender.FEMALE


_RESIDENT_15 = re.compile(r"[0-9]{15}")
_RESIDENT_18 = re.compile(r"[0-9]{17}[0-9X]")


def _resident_id(number: str, today: dt.date) -> ValidDocument:
    if len(number) == 15 and _RESIDENT_15.fullmatch(number):
        raise DocumentError(NUMBER, "RESIDENT_ID_15_DIGIT", "请使用18位居民身份证号")
    if not _RESIDENT_18.fullmatch(number):
        raise DocumentError(NUMBER, "FORMAT", "居民身份证号应为18位，前17位为数字，最后一位为数字或X")
    if number[:2] in ("81", "82", "83"):
        raise DocumentError(
            NUMBER,
            "RESIDENT_ID_DIVISION",
            "这是港澳台居民居住证号，请选择对应的身份证件类型（香港、澳门或台湾）",
        )
    if not _division_ok(number[:6]):
        raise DocumentError(NUMBER, "RESIDENT_ID_DIVISION", "居民身份证号前6位行政区划代码无效")
    return _gb11643(DocumentType.RESIDENT_ID, number, today, "RESIDENT_ID", "居民身份证号", "resident_id")


def _residence_permit(doc_type: DocumentType, number: str, today: dt.date) -> ValidDocument:
    return _gb11643(doc_type, number, today, "RESIDENCE_PERMIT", "港澳台居民居住证号", "hmt_residence_permit")


def _hk(number: str, today: dt.date) -> ValidDocument:
    t = DocumentType.HK
    if re.fullmatch(r"H[0-9]{8}(?:[0-9]{2})?", number):  # H + 8 digits may also be a passport
        return _doc(t, number, "hk_macao_travel_permit")
    if re.fullmatch(r"K[0-9]{8}", number):
        return _doc(t, number, "hk_passport")
    if re.fullmatch(r"810000[0-9]{11}[0-9X]", number):
        return _residence_permit(t, number, today)
    m = re.fullmatch(r"([A-Z]{1,2})([0-9]{6})(?:\(([0-9A])\)|([0-9A]))", number)
    if m:  # identity card, stored as printed: A123456(3)
        letters, digits, check = m[1], m[2], m[3] or m[4]
        if hkid_check_digit(letters, digits) != check:
            raise DocumentError(NUMBER, "HKID_CHECK_DIGIT", "香港身份证号校验位错误")
        return _doc(t, f"{letters}{digits}({check})", "hk_identity_card")
    raise DocumentError(
        NUMBER,
        "FORMAT",
        "香港证件号格式不正确，应为港澳居民来往内地通行证、港澳台居民居住证、香港身份证或香港特区护照号码",
    )


def hkid_check_digit(letters: str, digits: str) -> str:
    """HKID MOD 11 check character for 1-2 letters and 6 digits (A123456 -> "3")."""
    # A one-letter prefix counts as a leading space (value 36); letters A..Z are 10..35.
    values = [36] * (2 - len(letters)) + [ord(c) - 55 for c in letters] + [int(c) for c in digits]
    remainder = sum(v * w for v, w in zip(values, range(9, 1, -1))) % 11
    return "0123456789A"[(11 - remainder) % 11]


def _macao(number: str, today: dt.date) -> ValidDocument:
    t = DocumentType.MACAO
    if re.fullmatch(r"M[0-9]{8}(?:[0-9]{2})?", number):
        return _doc(t, number, "hk_macao_travel_permit")
    if re.fullmatch(r"820000[0-9]{11}[0-9X]", number):
        return _residence_permit(t, number, today)
    # Identity card, stored as printed: 1234567(8). Structural only (no public check algorithm).
    m = re.fullmatch(r"([157][0-9]{6})(?:\(([0-9])\)|([0-9]))", number)
    if m:
        return _doc(t, f"{m[1]}({m[2] or m[3]})", "macao_identity_card")
    raise DocumentError(
        NUMBER, "FORMAT", "澳门证件号格式不正确，应为港澳居民来往内地通行证、港澳台居民居住证或澳门身份证号码"
    )


def _taiwan(number: str, today: dt.date) -> ValidDocument:
    t = DocumentType.TAIWAN
    if re.fullmatch(r"[0-9]{8}(?:[0-9]{2})?", number):  # 8 digits + optional replacement count
        return _doc(t, number, "taiwan_travel_permit")
    m = re.fullmatch(r"([0-9]{10})(?:\(([A-Z])\)|([A-Z]))", number)
    if m:  # old style: 10 digits + a letter, stored without parentheses
        return _doc(t, m[1] + (m[2] or m[3]), "taiwan_travel_permit_old")
    if re.fullmatch(r"830000[0-9]{11}[0-9X]", number):
        return _residence_permit(t, number, today)
    raise DocumentError(
        NUMBER,
        "FORMAT",
        "台湾居民来往大陆通行证号格式不正确，应为8位或10位数字、10位数字加1位字母，或港澳台居民居住证号码",
    )


def _foreign_permanent_residence(number: str, today: dt.date) -> ValidDocument:
    t, label = DocumentType.FOREIGN_PERMANENT_RESIDENCE, "外国人永久居留身份证号"
    # 2023 card: 9 + province + ISO 3166 numeric nationality + YYYYMMDD + sequence + MOD 11-2.
    # The nationality code is not checked against a table; gender is not derived.
    if re.fullmatch(r"9[0-9]{16}[0-9X]", number):
        if number[1:3] not in PROVINCE_CODES:
            raise DocumentError(NUMBER, "FOREIGN_PR_PROVINCE", f"{label}中的受理地省份代码无效")
        born = _birth_date(number[6:14], today, "FOREIGN_PR", label)
        if resident_id_check_digit(number[:17]) != number[17]:
            raise DocumentError(NUMBER, "FOREIGN_PR_CHECK_DIGIT", f"{label}校验位错误")
        return _doc(t, number, "foreign_permanent_residence_2023", birth_date=born)
    # 2017 card: ISO alpha-3 nationality + 4 digits + YYMMDD + 2 digits.
    if re.fullmatch(r"[A-Z]{3}[0-9]{12}", number):
        born = _yymmdd(number[7:13], today, label)
        return _doc(t, number, "foreign_permanent_residence_2017", birth_date=born)
    raise DocumentError(NUMBER, "FORMAT", f"{label}格式不正确，应为18位数字（首位为9）或3位字母加12位数字")


def _yymmdd(yymmdd: str, today: dt.date, label: str) -> dt.date:
    # The century is the latest one giving a real date that is not in the future.
    for century in ("20", "19"):
        try:
            return _birth_date(century + yymmdd, today, "FOREIGN_PR", label)
        except DocumentError:
            continue
    raise DocumentError(NUMBER, "FOREIGN_PR_BIRTH_DATE", f"{label}中的出生日期不是有效日期")


def _passport(number: str, today: dt.date) -> ValidDocument:
    if not re.fullmatch(r"[A-Z0-9]{5,17}", number):
        raise DocumentError(NUMBER, "FORMAT", "护照号应为5至17位字母或数字")
    return _doc(DocumentType.PASSPORT, number, "passport")


_VALIDATORS = {
    DocumentType.RESIDENT_ID.value: _resident_id,
    DocumentType.HK.value: _hk,
    DocumentType.MACAO.value: _macao,
    DocumentType.TAIWAN.value: _taiwan,
    DocumentType.FOREIGN_PERMANENT_RESIDENCE.value: _foreign_permanent_residence,
    DocumentType.PASSPORT.value: _passport,
}
