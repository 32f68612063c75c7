"""特教学生信息 (chapter 15) for a disabled student: registered with 残疾人类型 and 随班就读 on the form,
the student's record reaches special-ed (StudentRecordCreated) and is a candidate; the school
registrar adds the information (残疾证: degree and certificate number) and the student shows in the
special-education list; a violation of the rules is a field error and writes nothing."""

from __future__ import annotations

import grpc
import pytest
from tests.e2e.actors import NON_PRIMARY, RESIDENT, identity_form, wait_for

from xueji.v1 import common_pb2, special_ed_pb2_grpc
from xueji.v1 import special_ed_pb2 as sp
from xueji_common.auth import Role
from xueji_common.documents import mask_document_number
from xueji_common.grpcserver.errors import field_violations

pytestmark = pytest.mark.slow
VISUAL = common_pb2.DISABILITY_TYPE_VISUAL


@pytest.fixture(scope="module")
def special_ed(zj):
    return special_ed_pb2_grpc.SpecialEdStub(zj.channel("special-ed"))


@pytest.fixture(scope="module")
def disabled(zj, people, special_ed):
    """A visually impaired student in 视力残疾随班就读, registered and numbered; the record id."""
    person = people.older()
    app = zj.create(
        NON_PRIMARY,
        RESIDENT,
        identity_form(RESIDENT, person),
        className="3班",
        disabilityType="DISABILITY_TYPE_VISUAL",
        inclusiveEducation="INCLUSIVE_EDUCATION_VISUAL",
    )
    zj.approve_all_levels(app.application_id, RESIDENT)
    _, record = zj.approved(app.application_id)
    return person, record


def candidates(zj, special_ed) -> dict:
    page = special_ed.ListCandidates(
        sp.ListCandidatesRequest(school_code=zj.school, page_size=500),
        metadata=zj.md(Role.SCHOOL_REGISTRAR),
        timeout=10,
    )
    return {c.record_id: c for c in page.candidates}


def listed(zj, special_ed, unit: str, role=Role.SCHOOL_REGISTRAR) -> dict:
    page = special_ed.ListSpecialEdStudents(
        sp.ListSpecialEdStudentsRequest(org_unit_code=unit, page_size=500),
        metadata=zj.md(role, unit),
        timeout=10,
    )
    return {i.record_id: i for i in page.infos}


def create(zj, special_ed, **info) -> sp.SpecialEdInfo:
    return special_ed.CreateSpecialEdInfo(
        sp.CreateSpecialEdInfoRequest(info=sp.SpecialEdInfo(**info)),
        metadata=zj.md(Role.SCHOOL_REGISTRAR),
        timeout=10,
    )


def test_the_disabled_student_becomes_a_candidate(zj, special_ed, disabled):
    person, record = disabled
    found = wait_for(lambda: candidates(zj, special_ed).get(record.record_id), "the student as a candidate")
    assert (found.name, found.national_student_number) == (person.name, "G" + person.resident_id)
    assert found.recorded_disability_type == VISUAL
    assert (found.school_code, found.class_name) == (zj.school, "3班")


def test_a_violation_is_a_field_error_and_writes_nothing(zj, special_ed, disabled):
    _person, record = disabled
    attempts = [
        # 残疾证 without degree or certificate number
        (
            dict(
                proof_type=sp.DISABILITY_PROOF_TYPE_CERTIFICATE,
                inclusive_education=common_pb2.INCLUSIVE_EDUCATION_VISUAL,
            ),
            ["info.degree", "info.certificate_number"],
        ),
        # a second-generation card number that is not the student's resident ID; 随班就读 not matching
        (
            dict(
                proof_type=sp.DISABILITY_PROOF_TYPE_CERTIFICATE,
                degree=sp.DISABILITY_DEGREE_GRADE_2,
                certificate_number="11010119900307003X12",
                inclusive_education=common_pb2.INCLUSIVE_EDUCATION_HEARING,
            ),
            ["info.certificate_number", "info.inclusive_education"],
        ),
    ]
    for fields, expected in attempts:
        with pytest.raises(grpc.RpcError) as err:
            create(zj, special_ed, record_id=record.record_id, **fields)
        assert err.value.code() == grpc.StatusCode.INVALID_ARGUMENT
        violations = field_violations(err.value)
        assert [f for f, _ in violations] == expected, violations
        assert all(text for _, text in violations)
    with pytest.raises(grpc.RpcError) as err:
        special_ed.GetSpecialEdInfo(
            sp.GetSpecialEdInfoRequest(record_id=record.record_id),
            metadata=zj.md(Role.SCHOOL_REGISTRAR),
            timeout=10,
        )
    assert err.value.code() == grpc.StatusCode.NOT_FOUND
    assert record.record_id not in listed(zj, special_ed, zj.school)
    assert record.record_id in candidates(zj, special_ed)


@pytest.mark.flow
def test_the_registrar_adds_the_information_and_the_student_is_listed(zj, special_ed, disabled):
    person, record = disabled
    certificate = person.resident_id + "12"  # 第二代残疾人证: ID + type digit + grade digit
    info = create(
        zj,
        special_ed,
        record_id=record.record_id,
        proof_type=sp.DISABILITY_PROOF_TYPE_CERTIFICATE,
        degree=sp.DISABILITY_DEGREE_GRADE_2,
        certificate_number=certificate,
        inclusive_education=common_pb2.INCLUSIVE_EDUCATION_VISUAL,
    )
    assert info.disability_type == VISUAL  # defaults to the record's 残疾人类型
    assert (info.degree, info.certificate_number, info.version) == (
        sp.DISABILITY_DEGREE_GRADE_2,
        certificate,
        1,
    )
    assert (
        info.updated_by.org_unit_code == zj.school
        and info.updated_by.role == common_pb2.ROLE_SCHOOL_REGISTRAR
    )

    for unit, role in [(zj.school, Role.SCHOOL_REGISTRAR), (zj.county, Role.DEPARTMENT_REGISTRAR)]:
        shown = listed(zj, special_ed, unit, role)[record.record_id]
        assert shown.student.name == person.name and shown.student.class_name == "3班"
        assert shown.proof_type == sp.DISABILITY_PROOF_TYPE_CERTIFICATE
        assert shown.degree == sp.DISABILITY_DEGREE_GRADE_2
        assert shown.certificate_number == mask_document_number(certificate)  # lists show it masked
    assert record.record_id not in candidates(zj, special_ed)
    with pytest.raises(grpc.RpcError) as err:  # once only: then 维护 (Update)
        create(
            zj,
            special_ed,
            record_id=record.record_id,
            proof_type=sp.DISABILITY_PROOF_TYPE_OTHER,
            inclusive_education=common_pb2.INCLUSIVE_EDUCATION_VISUAL,
        )
    assert err.value.code() == grpc.StatusCode.ALREADY_EXISTS
