"""Tests for xueji_common.documents: examples per document type and rule, plus properties."""

from __future__ import annotations

import datetime as dt
import pickle
import re

import pytest
from faker import Faker
from hypothesis import given, settings
from hypothesis import strategies as st

from xueji_common.documents import (
    PROVINCE_CODES,
    DocumentCategory,
    DocumentError,
    DocumentType,
    Gender,
    ValidDocument,
    category_of,
    hkid_check_digit,
    mask_document_number,
    normalize_document_number,
    resident_id_check_digit,
    validate_document,
)

TODAY = dt.date(2024, 9, 1)
FAST = settings(max_examples=200, deadline=None)
T = DocumentType


def with_check(first17: str) -> str:
    return first17 + resident_id_check_digit(first17)


def wrong_check(first17: str) -> str:
    right = resident_id_check_digit(first17)
    return first17 + ("0" if right != "0" else "1")


# ---------------------------------------------------------------------------------------------
# Enums and code tables


def test_document_type_codes_labels_and_proto():
    expected = [
        (T.RESIDENT_ID, "1", "居民身份证", 1),
        (T.HK, "6", "香港特区护照/身份证明", 6),
        (T.MACAO, "7", "澳门特区护照/身份证明", 7),
        (T.TAIWAN, "8", "台湾居民来往大陆通行证", 8),
        (T.FOREIGN_PERMANENT_RESIDENCE, "9", "境外永久居住证", 9),
        (T.PASSPORT, "A", "护照", 10),
        (T.OTHER, "Z", "其他", 11),
    ]
    assert len(expected) == len(T)
    for member, code, label, proto in expected:
        assert member.value == code
        assert member.label_zh == label
        assert member.to_proto() == proto
        assert T.from_proto(proto) is member
        assert T.from_code(code) is member
        assert T.from_code(code.lower()) is member
        assert T.from_code(f" {label} ") is member


def test_document_type_from_code_full_width_and_errors():
    assert T.from_code("ａ") is T.PASSPORT
    assert T.from_code("１") is T.RESIDENT_ID
    for bad, rule in [
        ("", "REQUIRED"),
        ("  ", "REQUIRED"),
        ("2", "DOCUMENT_TYPE_UNKNOWN"),
        ("身份证", "DOCUMENT_TYPE_UNKNOWN"),
    ]:
        with pytest.raises(DocumentError) as exc:
            T.from_code(bad)
        assert (exc.value.field, exc.value.rule) == ("document_type", rule)
    with pytest.raises(DocumentError, match="身份证件类型不能为空"):
        T.from_proto(0)
    with pytest.raises(DocumentError) as exc:
        T.from_proto(2)
    assert exc.value.rule == "DOCUMENT_TYPE_UNKNOWN"


def test_categories():
    assert category_of(T.RESIDENT_ID) is DocumentCategory.RESIDENT
    assert category_of("z") is DocumentCategory.NO_DOCUMENT
    for t in (T.HK, T.MACAO, T.TAIWAN, T.FOREIGN_PERMANENT_RESIDENCE, T.PASSPORT):
        assert category_of(t) is DocumentCategory.HMT_FOREIGN
        assert t.category is DocumentCategory.HMT_FOREIGN
    labels = {c: c.label_zh for c in DocumentCategory}
    assert labels == {
        DocumentCategory.RESIDENT: "居民身份证",
        DocumentCategory.HMT_FOREIGN: "港澳台和外籍",
        DocumentCategory.NO_DOCUMENT: "无证件",
    }
    for category, proto in zip(DocumentCategory, (1, 2, 3)):
        assert category.to_proto() == proto
        assert DocumentCategory.from_proto(proto) is category
    with pytest.raises(ValueError):
        DocumentCategory.from_proto(0)


def test_gender():
    assert (Gender.MALE, Gender.FEMALE) == (1, 2)
    assert (Gender.MALE.label_zh, Gender.FEMALE.label_zh) == ("男", "女")


# ---------------------------------------------------------------------------------------------
# Helpers


def test_resident_id_check_digit_known_examples():
    assert resident_id_check_digit("11010519491231002") == "X"  # GB 11643-1999 example
    assert resident_id_check_digit("44052418800101001") == "4"  # GB 11643-1999 example
    for bad in ("1101051949123100", "1101051949123100X", "１１０１０５１９４９１２３１００２"):
        with pytest.raises(ValueError):
            resident_id_check_digit(bad)


def test_hkid_check_digit_known_examples():
    assert hkid_check_digit("A", "123456") == "3"
    assert hkid_check_digit("G", "123456") == "A"
    assert hkid_check_digit("AB", "987654") == "3"
    assert hkid_check_digit("C", "000013") == "0"


@pytest.mark.parametrize(
    "number, masked",
    [
        ("11010519491231002X", "110" + "*" * 11 + "002X"),
        ("A123456(3)", "A12***6(3)"),
        ("E12345678", "E******78"),
        ("ABCD", "A*CD"),
        ("ABC", "***"),
        ("A", "*"),
        ("", ""),
    ],
)
def test_mask_examples(number, masked):
    assert mask_document_number(number) == masked


def test_normalize_examples():
    assert normalize_document_number(" 110105 1949\u30001231 002x\n") == "11010519491231002X"
    assert normalize_document_number("ａ１２３４５６（３）") == "A123456(3)"
    assert normalize_document_number("") == ""


# ---------------------------------------------------------------------------------------------
# Accepted numbers, one or more per document form

VALID = [
    # type, raw input, canonical number, form, gender, birth date, division
    (
        T.RESIDENT_ID,
        "11010519491231002X",
        "11010519491231002X",
        "resident_id",
        Gender.FEMALE,
        dt.date(1949, 12, 31),
        "110105",
    ),
    (
        T.RESIDENT_ID,
        " １１０１０５１９４９１２３１００２ｘ ",
        "11010519491231002X",
        "resident_id",
        Gender.FEMALE,
        dt.date(1949, 12, 31),
        "110105",
    ),
    (
        T.RESIDENT_ID,
        with_check("44010020160229001"),
        with_check("44010020160229001"),
        "resident_id",
        Gender.MALE,
        dt.date(2016, 2, 29),
        "440100",
    ),
    (
        T.RESIDENT_ID,
        with_check("51000020240901123"),
        with_check("51000020240901123"),
        "resident_id",
        Gender.MALE,
        TODAY,
        "510000",
    ),
    # 512301 (Fuling prefecture) was abolished long ago; its numbers stay valid.
    (
        T.RESIDENT_ID,
        with_check("51230119850101004"),
        with_check("51230119850101004"),
        "resident_id",
        Gender.FEMALE,
        dt.date(1985, 1, 1),
        "512301",
    ),
    (T.HK, "h12345678", "H12345678", "hk_macao_travel_permit", None, None, None),
    (T.HK, "H1234567890", "H1234567890", "hk_macao_travel_permit", None, None, None),
    (T.HK, "K12345678", "K12345678", "hk_passport", None, None, None),
    (
        T.HK,
        with_check("81000020150601002"),
        with_check("81000020150601002"),
        "hmt_residence_permit",
        Gender.FEMALE,
        dt.date(2015, 6, 1),
        "810000",
    ),
    (T.HK, "A123456(3)", "A123456(3)", "hk_identity_card", None, None, None),
    (T.HK, "a1234563", "A123456(3)", "hk_identity_card", None, None, None),
    (T.HK, "Ｇ１２３４５６（Ａ）", "G123456(A)", "hk_identity_card", None, None, None),
    (T.HK, "AB987654 (3)", "AB987654(3)", "hk_identity_card", None, None, None),
    (T.MACAO, "M12345678", "M12345678", "hk_macao_travel_permit", None, None, None),
    (T.MACAO, "m1234567890", "M1234567890", "hk_macao_travel_permit", None, None, None),
    (
        T.MACAO,
        with_check("82000020120304011"),
        with_check("82000020120304011"),
        "hmt_residence_permit",
        Gender.MALE,
        dt.date(2012, 3, 4),
        "820000",
    ),
    (T.MACAO, "1234567(8)", "1234567(8)", "macao_identity_card", None, None, None),
    (T.MACAO, "52345678", "5234567(8)", "macao_identity_card", None, None, None),
    (T.TAIWAN, "12345678", "12345678", "taiwan_travel_permit", None, None, None),
    (T.TAIWAN, "1234567801", "1234567801", "taiwan_travel_permit", None, None, None),
    (T.TAIWAN, "1234567890b", "1234567890B", "taiwan_travel_permit_old", None, None, None),
    (T.TAIWAN, "1234567890（B）", "1234567890B", "taiwan_travel_permit_old", None, None, None),
    (
        T.TAIWAN,
        with_check("83000020100101008"),
        with_check("83000020100101008"),
        "hmt_residence_permit",
        Gender.FEMALE,
        dt.date(2010, 1, 1),
        "830000",
    ),
    (
        T.FOREIGN_PERMANENT_RESIDENCE,
        with_check("91184020100515001"),
        with_check("91184020100515001"),
        "foreign_permanent_residence_2023",
        None,
        dt.date(2010, 5, 15),
        None,
    ),
    (
        T.FOREIGN_PERMANENT_RESIDENCE,
        "usa110010051501",
        "USA110010051501",
        "foreign_permanent_residence_2017",
        None,
        dt.date(2010, 5, 15),
        None,
    ),
    (
        T.FOREIGN_PERMANENT_RESIDENCE,
        "GBR110085010102",
        "GBR110085010102",
        "foreign_permanent_residence_2017",
        None,
        dt.date(1985, 1, 1),
        None,
    ),
    (T.PASSPORT, "e12345678", "E12345678", "passport", None, None, None),
    (T.PASSPORT, "12345", "12345", "passport", None, None, None),
    (T.PASSPORT, "A" * 17, "A" * 17, "passport", None, None, None),
    (T.OTHER, "", "", "none", None, None, None),
    (T.OTHER, None, "", "none", None, None, None),
    (T.OTHER, " 出生医学证明 O123 ", "出生医学证明O123", "other", None, None, None),
    (T.OTHER, "x" * 30, "X" * 30, "other", None, None, None),
]


@pytest.mark.parametrize("doc_type, raw, number, form, gender, birth_date, division", VALID)
def test_valid_documents(doc_type, raw, number, form, gender, birth_date, division):
    doc = validate_document(doc_type, raw, today=TODAY)
    assert doc == ValidDocument(doc_type, number, category_of(doc_type), gender, birth_date, division, form)
    # The canonical number is a fixed point, and the type may be given as code or label.
    assert validate_document(doc_type.value, doc.number, today=TODAY) == doc
    assert validate_document(doc_type.label_zh, doc.number, today=TODAY) == doc


def test_today_defaults_to_the_local_date_and_accepts_datetime():
    number = with_check("11010520100101001")
    assert validate_document(T.RESIDENT_ID, number).birth_date == dt.date(2010, 1, 1)
    assert validate_document(T.RESIDENT_ID, number, today=dt.datetime(2010, 1, 1, 8)).gender is Gender.MALE


# ---------------------------------------------------------------------------------------------
# Rejections, one or more per rule code

INVALID = [
    # type, raw input, field, rule
    (T.RESIDENT_ID, "", "document_number", "REQUIRED"),
    (T.RESIDENT_ID, None, "document_number", "REQUIRED"),
    (T.RESIDENT_ID, " \u3000 ", "document_number", "REQUIRED"),
    (T.RESIDENT_ID, "110105491231002", "document_number", "RESIDENT_ID_15_DIGIT"),
    (T.RESIDENT_ID, "11010519491231002", "document_number", "FORMAT"),
    (T.RESIDENT_ID, "11010519491231002Y", "document_number", "FORMAT"),
    (T.RESIDENT_ID, "X10105194912310021", "document_number", "FORMAT"),
    (T.RESIDENT_ID, "١١٠١٠٥١٩٤٩١٢٣١٠٠٢X", "document_number", "FORMAT"),  # non-ASCII digits
    (T.RESIDENT_ID, with_check("71000020100101001"), "document_number", "RESIDENT_ID_DIVISION"),
    (T.RESIDENT_ID, with_check("81000020100101001"), "document_number", "RESIDENT_ID_DIVISION"),
    (T.RESIDENT_ID, with_check("82000020100101001"), "document_number", "RESIDENT_ID_DIVISION"),
    (T.RESIDENT_ID, with_check("83000020100101001"), "document_number", "RESIDENT_ID_DIVISION"),
    (T.RESIDENT_ID, with_check("00000020100101001"), "document_number", "RESIDENT_ID_DIVISION"),
    (T.RESIDENT_ID, with_check("16010120100101001"), "document_number", "RESIDENT_ID_DIVISION"),
    (T.RESIDENT_ID, with_check("11000120100101001"), "document_number", "RESIDENT_ID_DIVISION"),
    (T.RESIDENT_ID, with_check("11010520100230001"), "document_number", "RESIDENT_ID_BIRTH_DATE"),
    (T.RESIDENT_ID, with_check("11010520101301001"), "document_number", "RESIDENT_ID_BIRTH_DATE"),
    (T.RESIDENT_ID, with_check("44052418800101001"), "document_number", "RESIDENT_ID_BIRTH_DATE"),
    (T.RESIDENT_ID, with_check("11010520240902001"), "document_number", "RESIDENT_ID_BIRTH_DATE_FUTURE"),
    (T.RESIDENT_ID, wrong_check("11010520100101001"), "document_number", "RESIDENT_ID_CHECK_DIGIT"),
    (T.HK, "", "document_number", "REQUIRED"),
    (T.HK, "H123456", "document_number", "FORMAT"),  # (H1234567 is a valid HK identity card)
    (T.HK, "H123456789", "document_number", "FORMAT"),
    (T.HK, "K1234567890", "document_number", "FORMAT"),
    (T.HK, "A123456(3", "document_number", "FORMAT"),
    (T.HK, "ABC123456(3)", "document_number", "FORMAT"),
    (T.HK, "A123456(4)", "document_number", "HKID_CHECK_DIGIT"),
    (T.HK, "G123456(0)", "document_number", "HKID_CHECK_DIGIT"),
    (T.HK, with_check("82000020100101001"), "document_number", "FORMAT"),
    (T.HK, wrong_check("81000020100101001"), "document_number", "RESIDENCE_PERMIT_CHECK_DIGIT"),
    (T.HK, with_check("81000020100231001"), "document_number", "RESIDENCE_PERMIT_BIRTH_DATE"),
    (T.HK, with_check("81000020250101001"), "document_number", "RESIDENCE_PERMIT_BIRTH_DATE_FUTURE"),
    (T.MACAO, "", "document_number", "REQUIRED"),
    (T.MACAO, "M1234567", "document_number", "FORMAT"),
    (T.MACAO, "H12345678", "document_number", "FORMAT"),
    (T.MACAO, "2234567(8)", "document_number", "FORMAT"),
    (T.MACAO, "1234567(A)", "document_number", "FORMAT"),
    (T.MACAO, wrong_check("82000020100101001"), "document_number", "RESIDENCE_PERMIT_CHECK_DIGIT"),
    (T.TAIWAN, "", "document_number", "REQUIRED"),
    (T.TAIWAN, "1234567", "document_number", "FORMAT"),
    (T.TAIWAN, "123456789", "document_number", "FORMAT"),
    (T.TAIWAN, "123456789B", "document_number", "FORMAT"),
    (T.TAIWAN, "1234567890BB", "document_number", "FORMAT"),
    (T.TAIWAN, with_check("81000020100101001"), "document_number", "FORMAT"),
    (T.TAIWAN, wrong_check("83000020100101001"), "document_number", "RESIDENCE_PERMIT_CHECK_DIGIT"),
    (T.FOREIGN_PERMANENT_RESIDENCE, "", "document_number", "REQUIRED"),
    (T.FOREIGN_PERMANENT_RESIDENCE, "E12345678", "document_number", "FORMAT"),
    (T.FOREIGN_PERMANENT_RESIDENCE, with_check("81184020100515001"), "document_number", "FORMAT"),
    (T.FOREIGN_PERMANENT_RESIDENCE, "US1100100515011", "document_number", "FORMAT"),
    (
        T.FOREIGN_PERMANENT_RESIDENCE,
        with_check("97184020100515001"),
        "document_number",
        "FOREIGN_PR_PROVINCE",
    ),
    (
        T.FOREIGN_PERMANENT_RESIDENCE,
        with_check("91184020101315001"),
        "document_number",
        "FOREIGN_PR_BIRTH_DATE",
    ),
    (
        T.FOREIGN_PERMANENT_RESIDENCE,
        with_check("91184018991231001"),
        "document_number",
        "FOREIGN_PR_BIRTH_DATE",
    ),
    (
        T.FOREIGN_PERMANENT_RESIDENCE,
        with_check("91184020300101001"),
        "document_number",
        "FOREIGN_PR_BIRTH_DATE_FUTURE",
    ),
    (
        T.FOREIGN_PERMANENT_RESIDENCE,
        wrong_check("91184020100515001"),
        "document_number",
        "FOREIGN_PR_CHECK_DIGIT",
    ),
    (T.FOREIGN_PERMANENT_RESIDENCE, "USA110010133201", "document_number", "FOREIGN_PR_BIRTH_DATE"),
    (T.FOREIGN_PERMANENT_RESIDENCE, "USA110001022901", "document_number", "FOREIGN_PR_BIRTH_DATE"),
    (T.PASSPORT, "", "document_number", "REQUIRED"),
    (T.PASSPORT, "E123", "document_number", "FORMAT"),
    (T.PASSPORT, "E" * 18, "document_number", "FORMAT"),
    (T.PASSPORT, "E1234-5678", "document_number", "FORMAT"),
    (T.PASSPORT, "护照12345", "document_number", "FORMAT"),
    (T.OTHER, "x" * 31, "document_number", "TOO_LONG"),
    (T.OTHER, "abc\x00def", "document_number", "FORMAT"),
    ("", "E12345678", "document_type", "REQUIRED"),
    (None, "E12345678", "document_type", "REQUIRED"),
    ("B", "E12345678", "document_type", "DOCUMENT_TYPE_UNKNOWN"),
    ("身份证", "E12345678", "document_type", "DOCUMENT_TYPE_UNKNOWN"),
    (10, "E12345678", "document_type", "DOCUMENT_TYPE_UNKNOWN"),
]


@pytest.mark.parametrize("doc_type, raw, field, rule", INVALID)
def test_invalid_documents(doc_type, raw, field, rule):
    with pytest.raises(DocumentError) as exc:
        validate_document(doc_type, raw, today=TODAY)
    err = exc.value
    assert (err.field, err.rule) == (field, rule)
    assert isinstance(err, ValueError)
    assert str(err) == err.message
    assert re.search(r"[\u4e00-\u9fff]", err.message), "messages are Chinese"
    normalised = normalize_document_number(raw or "")
    if len(normalised) >= 4:
        assert normalised not in err.message  # never echo the number
        assert raw.strip() not in err.message


def test_messages_speak_the_registrars_language():
    cases = {
        wrong_check("11010520100101001"): "居民身份证号校验位错误",
        "110105491231002": "请使用18位居民身份证号",
        with_check("81000020100101001"): "港澳台居民居住证",
    }
    for number, words in cases.items():
        with pytest.raises(DocumentError, match=words):
            validate_document(T.RESIDENT_ID, number, today=TODAY)
    with pytest.raises(DocumentError, match=r"^身份证件号不能为空$"):
        validate_document(T.PASSPORT, "  ")


def test_rule_codes_are_all_exercised():
    rules = {rule for *_, rule in INVALID}
    assert rules >= {
        "REQUIRED",
        "FORMAT",
        "TOO_LONG",
        "DOCUMENT_TYPE_UNKNOWN",
        "RESIDENT_ID_15_DIGIT",
        "RESIDENT_ID_DIVISION",
        "RESIDENT_ID_BIRTH_DATE",
        "RESIDENT_ID_BIRTH_DATE_FUTURE",
        "RESIDENT_ID_CHECK_DIGIT",
        "RESIDENCE_PERMIT_CHECK_DIGIT",
        "RESIDENCE_PERMIT_BIRTH_DATE",
        "RESIDENCE_PERMIT_BIRTH_DATE_FUTURE",
        "HKID_CHECK_DIGIT",
        "FOREIGN_PR_PROVINCE",
        "FOREIGN_PR_BIRTH_DATE",
        "FOREIGN_PR_BIRTH_DATE_FUTURE",
        "FOREIGN_PR_CHECK_DIGIT",
    }


def test_non_string_number_is_a_programming_error():
    with pytest.raises(TypeError):
        validate_document(T.PASSPORT, 12345678)  # type: ignore[arg-type]


def test_document_error_pickles():
    err = DocumentError("document_number", "FORMAT", "护照号应为5至17位字母或数字")
    copy = pickle.loads(pickle.dumps(err))
    assert (copy.field, copy.rule, copy.message, str(copy)) == (err.field, err.rule, err.message, str(err))


def test_valid_document_is_frozen():
    doc = validate_document(T.PASSPORT, "E12345678")
    with pytest.raises(AttributeError):
        doc.number = "X"  # type: ignore[misc]


# ---------------------------------------------------------------------------------------------
# Realistic samples


def test_faker_resident_ids():
    fake = Faker("zh_CN")
    fake.seed_instance(20240901)
    today = dt.date.today()
    upper_levels = 0
    for _ in range(500):
        number = fake.ssn()
        if number[:2] not in PROVINCE_CODES:  # Faker also draws 710000, 810000, 820000, 830000
            with pytest.raises(DocumentError) as exc:
                validate_document(T.RESIDENT_ID, number, today=today)
            assert exc.value.rule == "RESIDENT_ID_DIVISION"
            continue
        doc = validate_document(T.RESIDENT_ID, number, today=today)
        assert doc.number == number
        assert doc.birth_date == dt.date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
        assert doc.gender is (Gender.MALE if int(number[16]) % 2 else Gender.FEMALE)
        upper_levels += number[4:6] == "00"  # province- or city-level division codes
    assert upper_levels > 0


# ---------------------------------------------------------------------------------------------
# Properties

DIGIT = "0123456789"


@st.composite
def resident_id_parts(draw):
    province = draw(st.sampled_from(sorted(PROVINCE_CODES)))
    city = draw(st.text(DIGIT, min_size=2, max_size=2))
    county = "00" if city == "00" else draw(st.text(DIGIT, min_size=2, max_size=2))
    born = draw(st.dates(min_value=dt.date(1900, 1, 1), max_value=TODAY))
    sequence = draw(st.text(DIGIT, min_size=3, max_size=3))
    return province + city + county, born, sequence


@FAST
@given(resident_id_parts())
def test_generated_resident_ids_validate_and_derive(parts):
    division, born, sequence = parts
    first17 = f"{division}{born:%Y%m%d}{sequence}"
    doc = validate_document(T.RESIDENT_ID, with_check(first17), today=TODAY)
    assert doc.number == with_check(first17)
    assert doc.birth_date == born
    assert doc.gender is (Gender.MALE if int(sequence[-1]) % 2 else Gender.FEMALE)
    assert doc.division_code == division
    assert doc.category is DocumentCategory.RESIDENT
    # Lower-case x and full-width input give the same document.
    sloppy = doc.number.lower().translate({ord(c): ord(c) + 0xFEE0 for c in DIGIT})
    assert validate_document("1", sloppy, today=TODAY) == doc


@FAST
@given(resident_id_parts(), st.sampled_from("0123456789X"))
def test_any_other_check_digit_fails(parts, check):
    division, born, sequence = parts
    first17 = f"{division}{born:%Y%m%d}{sequence}"
    if check == resident_id_check_digit(first17):
        check = "X" if check == "0" else "0"
    with pytest.raises(DocumentError) as exc:
        validate_document(T.RESIDENT_ID, first17 + check, today=TODAY)
    assert (exc.value.field, exc.value.rule) == ("document_number", "RESIDENT_ID_CHECK_DIGIT")


@FAST
@given(st.sampled_from("81 82 83".split()), resident_id_parts())
def test_residence_permits_validate_under_their_region(region, parts):
    _, born, sequence = parts
    number = with_check(f"{region}0000{born:%Y%m%d}{sequence}")
    doc_type = {"81": T.HK, "82": T.MACAO, "83": T.TAIWAN}[region]
    doc = validate_document(doc_type, number, today=TODAY)
    assert (doc.form, doc.birth_date, doc.division_code) == ("hmt_residence_permit", born, f"{region}0000")
    assert doc.category is DocumentCategory.HMT_FOREIGN
    for other in {T.HK, T.MACAO, T.TAIWAN, T.RESIDENT_ID} - {doc_type}:
        with pytest.raises(DocumentError):
            validate_document(other, number, today=TODAY)


@FAST
@given(
    st.text(st.characters(min_codepoint=65, max_codepoint=90), min_size=1, max_size=2),
    st.text(DIGIT, min_size=6, max_size=6),
    st.booleans(),
    st.booleans(),
)
def test_hkid_canonical_form(letters, digits, parens, lower):
    check = hkid_check_digit(letters, digits)
    raw = f"{letters}{digits}" + (f"({check})" if parens else check)
    doc = validate_document(T.HK, raw.lower() if lower else raw, today=TODAY)
    assert doc.number == f"{letters}{digits}({check})"
    assert doc.form == "hk_identity_card"
    wrong = "0123456789A".replace(check, "")[0]
    with pytest.raises(DocumentError) as exc:
        validate_document(T.HK, f"{letters}{digits}{wrong}", today=TODAY)
    assert exc.value.rule == "HKID_CHECK_DIGIT"


@FAST
@given(st.text())
def test_mask_keeps_length_and_reveals_at_most_seven(number):
    masked = mask_document_number(number)
    assert len(masked) == len(number)
    shown = [i for i, c in enumerate(masked) if c != "*"]
    assert len(shown) <= 7
    assert all(masked[i] == number[i] for i in shown)
    if number:
        assert "*" in masked


@FAST
@given(st.text())
def test_normalisation_is_idempotent(raw):
    once = normalize_document_number(raw)
    assert normalize_document_number(once) == once
    assert not any(c.isspace() for c in once)
    assert not any(0xFF01 <= ord(c) <= 0xFF5E for c in once)


NUMBERISH = st.text(alphabet="0123456789XxHKMAGZ()（）１ａ \u3000-", max_size=20)
TYPEISH = st.one_of(
    st.sampled_from(list(T)), st.sampled_from("1 6 7 8 9 A Z a z 护照".split()), st.text(max_size=5)
)


@FAST
@given(TYPEISH, st.one_of(st.text(), NUMBERISH, st.none()))
def test_validate_document_only_raises_document_error(doc_type, raw):
    try:
        doc = validate_document(doc_type, raw, today=TODAY)
    except DocumentError as err:
        assert err.field in ("document_number", "document_type")
        assert err.rule and err.message
        return
    assert isinstance(doc, ValidDocument)
    assert doc.number == normalize_document_number(doc.number)
    assert validate_document(doc.type, doc.number, today=TODAY) == doc  # canonical form is a fixed point
