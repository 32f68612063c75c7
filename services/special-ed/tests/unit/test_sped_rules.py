"""The rules of special-education information (chapter 15 说明, docs/DOMAIN.md#special-education)."""

from __future__ import annotations

import pytest

from xueji_common.errors import InvalidArgument
from xueji_special_ed.domain.codes import Degree, DisabilityType, InclusiveEducation, ProofType
from xueji_special_ed.domain.model import SpecialEdInfo, Student, check, mask_certificate

ID = "33010220150601123X"
STUDENT = Student("r1", "G" + ID, "张三", 1, None, "1330102001", "visual", "", "1", "hash-of-id", True, 1)


def info(**kw) -> SpecialEdInfo:
    values = dict(
        record_id="r1",
        disability_type=DisabilityType.VISUAL,
        proof_type=ProofType.CERTIFICATE,
        degree=Degree.GRADE_2,
        certificate_number=ID + "12",
        inclusive_education=InclusiveEducation.VISUAL,
    )
    values.update(kw)
    return SpecialEdInfo(**values)


def same_document(doc_type, number):
    return (doc_type, number) == ("1", ID)


def violations(value: SpecialEdInfo, student=STUDENT) -> dict[str, str]:
    with pytest.raises(InvalidArgument) as exc:
        check(value, student, same_document)
    return {v.field: v.description for v in exc.value.violations}


def test_a_complete_certificate_passes():
    check(info(), STUDENT, same_document)


@pytest.mark.parametrize("proof", [ProofType.CERTIFICATE, ProofType.HOSPITAL_PROOF])
def test_certificate_or_hospital_proof_requires_the_degree(proof):
    assert violations(info(proof_type=proof, degree=None)) == {
        "info.degree": "残疾证明类型为残疾证或医院残疾证明时，残疾程度必选"
    }


def test_other_proofs_need_no_degree():
    check(info(proof_type=ProofType.OTHER, degree=None, certificate_number=""), STUDENT, same_document)


def test_a_certificate_requires_its_number():
    assert violations(info(certificate_number="")) == {
        "info.certificate_number": "残疾证明类型为残疾证时，残疾证书号必填"
    }


def test_a_hospital_proof_needs_no_certificate_number():
    check(info(proof_type=ProofType.HOSPITAL_PROOF, certificate_number=""), STUDENT, same_document)


def test_a_20_digit_card_number_must_start_with_the_students_id():
    assert violations(info(certificate_number="330102201506017777" + "12")) == {
        "info.certificate_number": "残疾证书号前18位应与学生的居民身份证号一致"
    }


def test_the_card_check_applies_only_to_students_with_a_resident_id():
    hmt = Student(**{**STUDENT.__dict__, "document_type": "6"})
    check(info(certificate_number="330102201506017777" + "12"), hmt, same_document)


def test_other_certificate_formats_are_not_compared_but_must_be_letters_or_digits():
    check(info(certificate_number="CDPF123456"), STUDENT, same_document)
    assert "info.certificate_number" in violations(info(certificate_number="残疾-1"))


def test_obvious_symptoms_require_a_description():
    assert violations(
        info(
            proof_type=ProofType.OBVIOUS_SYMPTOMS, degree=None, certificate_number="", symptom_description=" "
        )
    ) == {"info.symptom_description": "残疾证明类型为有明显残疾症状时，残疾描述必填"}


@pytest.mark.parametrize(
    "inclusive, disability, fits",
    [
        (InclusiveEducation.VISUAL, DisabilityType.VISUAL, True),
        (InclusiveEducation.VISUAL, DisabilityType.HEARING, False),
        (InclusiveEducation.HEARING, DisabilityType.HEARING, True),
        (InclusiveEducation.INTELLECTUAL, DisabilityType.MENTAL, False),
        (InclusiveEducation.OTHER, DisabilityType.PHYSICAL, True),
        (InclusiveEducation.OTHER, DisabilityType.VISUAL, False),
        (InclusiveEducation.NONE, DisabilityType.MULTIPLE, True),
    ],
)
def test_inclusive_education_must_fit_the_disability_type(inclusive, disability, fits):
    value = info(disability_type=disability, inclusive_education=inclusive)
    if fits:
        check(value, STUDENT, same_document)
    else:
        assert list(violations(value)) == ["info.inclusive_education"]


def test_required_choices_each_name_their_field():
    found = violations(
        info(
            disability_type=DisabilityType.NONE,
            proof_type=None,
            inclusive_education=None,
            certificate_number="",
        )
    )
    assert set(found) == {"info.disability_type", "info.proof_type", "info.inclusive_education"}


def test_record_disability_types_parse_from_labels_codes_and_proto_names():
    assert DisabilityType.parse("视力残疾") is DisabilityType.VISUAL
    assert DisabilityType.parse("听力") is DisabilityType.HEARING
    assert DisabilityType.parse("DISABILITY_TYPE_MULTIPLE") is DisabilityType.MULTIPLE
    assert DisabilityType.parse("无残疾") is DisabilityType.NONE
    assert DisabilityType.parse("") is None


def test_certificate_numbers_are_masked_in_lists():
    assert mask_certificate(ID + "12") == "330*************3X12"
