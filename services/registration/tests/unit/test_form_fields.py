"""check_form's rules field by field (domain.form_fields) say yes exactly when check_form finds nothing."""

import datetime as dt

import pytest

from xueji_common.documents import DocumentCategory
from xueji_registration.domain import codes
from xueji_registration.domain.form import check_form
from xueji_registration.domain.form_fields import (
    family_passes,
    field_passes,
    relations_hold,
    required_keys,
)
from xueji_registration.testing import family_member, resident_id, sample_form

RESIDENT, HMT = DocumentCategory.RESIDENT, DocumentCategory.HMT_FOREIGN
BORN = dt.date(2012, 3, 4)
TODAY = dt.date.today()
NEXT_MONTH = f"{TODAY.year + (TODAY.month == 12)}{TODAY.month % 12 + 1:02d}"
DAY = {"year": 2020, "month": 1, "day": 1}

VALUES = [
    None,
    "",
    "  ",
    "x",
    "长" * 201,
    " 01 ",
    "01",
    "57",
    "97",
    "CHN",
    " CHN",
    "HKG",
    "XXX",
    "00",
    "99",
    "330102",
    "3301",
    "990102",
    "330001",
    "810000",
    "1",
    "2",
    "9",
    "5",
    "21",
    "19",
    "0571-87000000",
    "call me",
    "310002",
    "31000",
    "a@b.cn",
    "nobody",
    "http://x.cn",
    "ftp://x",
    "201909",
    "2019-09",
    "201913",
    "201009",
    NEXT_MONTH,
    True,
    False,
    0,
    5,
    5.5,
    -1,
    501,
    500.0,
    DAY,
    {"year": 2020, "month": 2, "day": 30},
    {"year": TODAY.year + 1, "month": 1, "day": 1},
    {},
    "HEALTH_STATUS_HEALTHY",
    "HEALTH_STATUS_SUPER",
    "ADMISSION_METHOD_NEARBY",
    "ATTENDANCE_MODE_DAY",
    "LEFT_BEHIND_STATUS_NO",
    "LEFT_BEHIND_STATUS_X",
    *sorted(codes.DISABILITY),
    "DISABILITY_TYPE_ALIEN",
    *sorted(codes.INCLUSIVE_FOR),
    "INCLUSIVE_EDUCATION_X",
]
KEYS = sorted(
    {
        *sample_form(),
        "politicalStatusCode",
        "studentSourceCode",
        "commuteModeCode",
        "leftBehind",
        "disabilityType",
        "inclusiveEducation",
        "email",
        "homepage",
        "documentValidFrom",
        "documentValidUntil",
        "commuteDistanceKm",
        "namePinyin",
        "specialty",
        "orphan",
    }
    - {"familyMembers"}
)


def passes(form, category):
    return (
        all(
            field_passes(k, form.get(k), category=category, today=TODAY)
            for k in {*form, *required_keys()}
            if k != "familyMembers"
        )
        and relations_hold(form, BORN)
        and family_passes(form.get("familyMembers", []))
    )


def with_value(form, key, value):
    changed = {**form, key: value}
    if value is None:
        changed.pop(key)
    return changed


@pytest.mark.parametrize("category", [RESIDENT, HMT])
def test_every_field_and_value_is_judged_as_check_form_judges_it(category):
    base = sample_form("hmt_foreign" if category is HMT else "resident")
    judged = 0
    for key in KEYS:
        for value in VALUES:
            form = with_value(base, key, value)
            try:
                expected = not check_form(form, category=category, birth_date=BORN)
            except (TypeError, AttributeError):
                continue  # a value of a type the key never holds: check_form itself cannot read it
            assert passes(form, category) == expected, (key, value)
            judged += 1
    assert judged > 2000


@pytest.mark.parametrize(
    "change",
    [
        dict(admissionYearMonth="201109"),
        dict(admissionYearMonth="201209"),
        dict(admissionYearMonth=" 201109 "),
        dict(documentValidFrom=DAY, documentValidUntil=DAY),
        dict(documentValidFrom=DAY, documentValidUntil={"year": 2030, "month": 1, "day": 1}),
        dict(documentValidFrom={"year": 2020, "month": 2, "day": 30}, documentValidUntil=DAY),
        dict(disabilityType="DISABILITY_TYPE_VISUAL", inclusiveEducation="INCLUSIVE_EDUCATION_VISUAL"),
        dict(disabilityType="DISABILITY_TYPE_HEARING", inclusiveEducation="INCLUSIVE_EDUCATION_VISUAL"),
        dict(disabilityType="", inclusiveEducation="INCLUSIVE_EDUCATION_NONE"),
        dict(inclusiveEducation="INCLUSIVE_EDUCATION_OTHER"),
        dict(familyMembers=[]),
        dict(familyMembers=[family_member()] * 11),
        dict(familyMembers=[family_member(name=" ")]),
        dict(familyMembers=[family_member(relationshipCode="00")]),
        dict(familyMembers=[family_member(ethnicityCode="57")]),
        dict(familyMembers=[family_member(householdRegistrationCode="330001")]),
        dict(familyMembers=[family_member(phone="x")]),
        dict(familyMembers=[family_member(phone=" 13800000000 ")]),
        dict(familyMembers=[family_member(document={"type": "DOCUMENT_TYPE_X", "number": "1"})]),
        dict(familyMembers=[family_member(document={"number": resident_id()})]),
        dict(familyMembers=[family_member(document={"type": "DOCUMENT_TYPE_RESIDENT_ID", "number": "1"})]),
        dict(familyMembers=[family_member(document={"type": "DOCUMENT_TYPE_OTHER"})]),
    ],
)
def test_rules_relating_fields_and_family_members(change):
    form = {**sample_form(), **change}
    assert passes(form, RESIDENT) == (not check_form(form, category=RESIDENT, birth_date=BORN))


def test_the_required_keys_are_those_check_form_asks_for():
    missing = {v.field for v in check_form({}, category=RESIDENT, birth_date=BORN)}
    assert {f"student.{k}" for k in map(_snake, required_keys())} == missing


def test_no_document_forms_are_not_judged_field_by_field():
    with pytest.raises(ValueError):
        field_passes("grade", "21", category=DocumentCategory.NO_DOCUMENT, today=TODAY)


def _snake(key):
    return "".join("_" + c.lower() if c.isupper() else c for c in key)
