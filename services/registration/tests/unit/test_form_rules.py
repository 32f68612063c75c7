"""The 学生基本信息 form: required fields, code tables, dates, contact formats, family members."""

import datetime as dt

import pytest

from xueji_common.documents import DocumentCategory
from xueji_registration.domain.form import check_form
from xueji_registration.testing import family_member, resident_id, sample_form

RESIDENT, HMT, NODOC = DocumentCategory.RESIDENT, DocumentCategory.HMT_FOREIGN, DocumentCategory.NO_DOCUMENT
BORN = dt.date(2012, 3, 4)


def fields(form, category=RESIDENT, **kw):
    return {v.field for v in check_form(form, category=category, birth_date=BORN, **kw)}


def test_the_sample_form_is_valid_for_each_category():
    assert fields(sample_form()) == set()
    assert fields(sample_form("hmt_foreign"), HMT) == set()
    assert fields(sample_form(), NODOC) == set()


def test_every_missing_required_field_is_named():
    assert fields({}) == {
        "student.birthplace_code",
        "student.native_place_code",
        "student.ethnicity_code",
        "student.nationality_code",
        "student.overseas_chinese_code",
        "student.household_registration_code",
        "student.household_type_code",
        "student.grade",
        "student.class_name",
        "student.admission_year_month",
        "student.current_address",
        "student.mailing_address",
        "student.home_address",
        "student.phone",
        "student.postal_code",
        "student.health_status",
        "student.admission_method",
        "student.attendance_mode",
        "student.only_child",
        "student.preschool_educated",
    }


def test_a_no_answer_to_a_yes_no_question_is_an_answer():
    assert fields(sample_form(onlyChild=False, preschoolEducated=False)) == set()


@pytest.mark.parametrize(
    "change, field",
    [
        (dict(ethnicityCode="57"), "student.ethnicity_code"),
        (dict(nationalityCode="XXX"), "student.nationality_code"),
        (dict(overseasChineseCode="07"), "student.overseas_chinese_code"),
        (dict(householdTypeCode="5"), "student.household_type_code"),
        (dict(grade="19"), "student.grade"),
        (dict(politicalStatusCode="14"), "student.political_status_code"),
        (dict(studentSourceCode="7"), "student.student_source_code"),
        (dict(commuteModeCode="8"), "student.commute_mode_code"),
        (dict(healthStatus="HEALTH_STATUS_SUPER"), "student.health_status"),
        (dict(disabilityType="DISABILITY_TYPE_ALIEN"), "student.disability_type"),
        (dict(birthplaceCode="3301"), "student.birthplace_code"),
        (dict(nativePlaceCode="990102"), "student.native_place_code"),
        (dict(householdRegistrationCode="330001"), "student.household_registration_code"),
    ],
)
def test_codes_outside_the_code_tables_are_refused(change, field):
    assert fields(sample_form(**change)) == {field}


@pytest.mark.parametrize(
    "change, field",
    [
        (dict(admissionYearMonth="2019-09"), "student.admission_year_month"),
        (dict(admissionYearMonth="201913"), "student.admission_year_month"),
        (dict(admissionYearMonth="201009"), "student.admission_year_month"),  # before the birth year
        (dict(admissionYearMonth=f"{dt.date.today().year + 1}01"), "student.admission_year_month"),
        (dict(postalCode="31000"), "student.postal_code"),
        (dict(phone="call me"), "student.phone"),
        (dict(email="nobody"), "student.email"),
        (dict(homepage="ftp://x"), "student.homepage"),
        (dict(documentValidFrom={"year": 2020, "month": 2, "day": 30}), "student.document_valid_from"),
        (
            dict(
                documentValidFrom={"year": 2020, "month": 1, "day": 1},
                documentValidUntil={"year": 2019, "month": 1, "day": 1},
            ),
            "student.document_valid_until",
        ),
        (dict(commuteDistanceKm=-1), "student.commute_distance_km"),
        (dict(currentAddress="长" * 201), "student.current_address"),
    ],
)
def test_dates_and_formats(change, field):
    assert fields(sample_form(**change)) == {field}


def test_resident_students_are_chinese_and_hmt_foreign_students_are_not():
    assert fields(sample_form(nationalityCode="USA")) == {"student.nationality_code"}
    assert fields(sample_form("hmt_foreign", nationalityCode="CHN", overseasChineseCode="00"), HMT) == {
        "student.nationality_code",
        "student.overseas_chinese_code",
    }


@pytest.mark.parametrize(
    "disability, inclusive, ok",
    [
        ("DISABILITY_TYPE_VISUAL", "INCLUSIVE_EDUCATION_VISUAL", True),
        ("DISABILITY_TYPE_HEARING", "INCLUSIVE_EDUCATION_VISUAL", False),
        (None, "INCLUSIVE_EDUCATION_HEARING", False),
        ("DISABILITY_TYPE_PHYSICAL", "INCLUSIVE_EDUCATION_OTHER", True),
        ("DISABILITY_TYPE_INTELLECTUAL", "INCLUSIVE_EDUCATION_NONE", True),
    ],
)
def test_inclusive_education_matches_the_disability_type(disability, inclusive, ok):
    form = sample_form(disabilityType=disability, inclusiveEducation=inclusive)
    assert fields(form) == (set() if ok else {"student.inclusive_education"})


def test_no_document_students_need_family_members():
    assert fields(sample_form(familyMembers=[]), NODOC) == {"student.family_members"}


def test_no_document_students_need_a_family_member_with_a_resident_id_card():
    passport_holder = family_member(document={"type": "DOCUMENT_TYPE_PASSPORT", "number": "E12345678"})
    no_card = family_member(document={})
    assert fields(sample_form(familyMembers=[passport_holder, no_card]), NODOC) == {"student.family_members"}
    assert fields(sample_form(familyMembers=[passport_holder, family_member()]), NODOC) == set()


def test_each_family_member_is_checked_and_named_by_position():
    bad_card = family_member(
        document={"type": "DOCUMENT_TYPE_RESIDENT_ID", "number": resident_id()[:-1] + "0"}
    )
    nameless = family_member(name=" ", relationshipCode="", phone="x")
    assert fields(sample_form(familyMembers=[family_member(), bad_card, nameless])) == {
        "student.family_members[1].document.number",
        "student.family_members[2].name",
        "student.family_members[2].relationship_code",
        "student.family_members[2].phone",
    }
    # a resident-ID card that does not validate does not count as the one no-document students need
    assert "student.family_members" in fields(sample_form(familyMembers=[bad_card]), NODOC)
