"""Manual entry (录入) as a use case on the in-memory unit of work: the whole form validated,
no-document students with proof material, duplicates, repeated requests, role and jurisdiction.
(The gRPC answer, the SQL and the files on disk: tests/integration/test_lifecycle_entry.py.)"""

from __future__ import annotations

import dataclasses

import pytest
from registration_fakes import (
    HASH_KEY,
    OTHER_SCHOOL,
    PDF,
    SCHOOL,
    TREE,
    FakeRegistrationUoW,
    entry,
    registrar,
    upload,
)

from xueji_common.auth import Principal, Role
from xueji_common.documents import Gender
from xueji_common.errors import AlreadyExists, InvalidArgument, PermissionDenied, PreconditionFailed
from xueji_common.holders import held_reason_for
from xueji_common.vocabulary import RegistrationKind
from xueji_registration.domain.files import Purpose
from xueji_registration.domain.model import ApplicationState, AuthenticationStatus, EntryChannel
from xueji_registration.service_layer.handlers import CreateApplication, create_application
from xueji_registration.testing import family_member, resident_id

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32


@pytest.fixture
def uow() -> FakeRegistrationUoW:
    return FakeRegistrationUoW()


def create(uow: FakeRegistrationUoW, cmd: CreateApplication, principal: Principal | None = None):
    return create_application(uow, cmd, principal=principal or registrar(), tree=TREE, hash_key=HASH_KEY)


def violations(uow: FakeRegistrationUoW, cmd: CreateApplication) -> set[str]:
    with pytest.raises(InvalidArgument) as err:
        create(uow, cmd)
    return {v.field for v in err.value.violations}


def test_a_resident_entry_awaits_authentication_and_is_announced_with_its_commit(uow):
    app = create(uow, entry())
    assert app.state is ApplicationState.AWAITING_DEDUP
    assert app.authentication is AuthenticationStatus.NOT_AUTHENTICATED
    assert app.identity.gender is Gender.MALE and app.identity.birth_date.year == 2015  # from the number
    assert app.entry_channel is EntryChannel.MANUAL and app.handling_unit_code == SCHOOL
    assert (app.county_code, app.city_code, app.province_code) == ("330102", "330100", "330000")
    assert uow.applications.get(app.application_id) == app and uow.commits == 1
    [event] = uow.events("ApplicationSubmitted")
    assert event.application.application_id == app.application_id and event.application.revision == 1


def test_hmt_foreign_entry_awaits_document_dedup(uow):
    app = create(uow, entry("hmt_foreign"))
    assert app.state is ApplicationState.AWAITING_DEDUP and app.category.value == "hmt_foreign"


def test_every_problem_of_the_form_is_a_field_violation_and_nothing_is_written(uow):
    cmd = entry(
        postalCode="3100",
        ethnicityCode="99",
        admissionYearMonth="2019/09",
        phone="",
        inclusiveEducation="INCLUSIVE_EDUCATION_VISUAL",
    )
    cmd = dataclasses.replace(cmd, gender=Gender.FEMALE)  # the number says male
    assert violations(uow, cmd) == {
        "student.postal_code",
        "student.ethnicity_code",
        "student.admission_year_month",
        "student.phone",
        "student.inclusive_education",
        "student.gender",
    }
    assert not uow.applications.rows and not uow.published


def test_a_bad_document_number_names_its_field(uow):
    good = resident_id()
    assert violations(uow, entry(number=good[:-1] + ("0" if good[-1] != "0" else "1"))) == {
        "student.document.number"
    }


def test_the_category_must_fit_the_document_type(uow):
    cmd = entry("hmt_foreign")
    assert "category" in violations(uow, dataclasses.replace(cmd, category=entry().category))


def test_a_repeated_request_id_returns_the_first_application_and_writes_nothing_again(uow):
    first = create(uow, entry(request_id="6f1c2b1e-0000-4000-8000-000000000001"))
    again = create(uow, entry(request_id="6f1c2b1e-0000-4000-8000-000000000001"))
    assert again.application_id == first.application_id
    assert len(uow.applications.rows) == 1 and len(uow.events()) == 1


def test_the_same_document_is_not_entered_twice_and_the_refusal_names_the_holder(uow):
    create(uow, entry())
    with pytest.raises(AlreadyExists) as err:
        create(uow, entry())
    expected = held_reason_for(TREE, False, SCHOOL, "330000", resident_id())
    assert err.value.message == expected and "学籍注册申请占用" in expected
    assert len(uow.applications.rows) == 1


def test_freshmen_with_documents_come_through_the_preschool_transfer(uow):
    with pytest.raises(PreconditionFailed):
        create(uow, entry(kind=RegistrationKind.PRIMARY_FRESHMAN))


@pytest.mark.parametrize("kind", list(RegistrationKind))
def test_no_document_entry_with_family_and_proof_goes_to_school_review(uow, kind):
    proof = upload(uow)
    app = create(uow, entry("no_document", kind=kind, proofs=(proof,)))
    assert app.state is ApplicationState.AWAITING_SCHOOL_REVIEW
    assert app.authentication is AuthenticationStatus.NOT_REQUIRED
    assert app.proof_material_ids == (proof,)
    assert uow.files.rows[proof].application_id == app.application_id  # attached in the same commit


def test_no_document_students_need_proof_material(uow):
    assert violations(uow, entry("no_document")) == {"proof_material_ids"}


def test_no_document_students_need_a_family_member_with_a_resident_id_card(uow):
    proof = upload(uow)
    passport = family_member(document={"type": "DOCUMENT_TYPE_PASSPORT", "number": "E1234567"})
    for members in ([passport], []):
        cmd = entry("no_document", proofs=(proof,), familyMembers=members)
        assert violations(uow, cmd) == {"student.family_members"}


def test_proof_material_must_be_this_schools_uploaded_as_proof_and_unused(uow):
    theirs = upload(uow, school=OTHER_SCHOOL)
    photo = upload(uow, PNG, purpose=Purpose.PHOTO)
    for ids in (("nope",), (theirs,), (photo,)):
        assert violations(uow, entry("no_document", proofs=ids)) == {"proof_material_ids"}
    mine = upload(uow)
    create(uow, entry("no_document", proofs=(mine,)))
    second = entry("no_document", proofs=(mine,), familyMembers=[family_member(name="李四")])
    assert violations(uow, second) == {"proof_material_ids"}  # a second student cannot reuse the file


def test_a_refused_entry_of_a_batch_writes_nothing_of_its_own(uow):
    proof = upload(uow)
    with pytest.raises(InvalidArgument):
        create(uow, entry("no_document", proofs=(proof,), postalCode="1"))
    assert uow.files.rows[proof].application_id == "" and not uow.applications.rows


@pytest.mark.parametrize(
    "role, org",
    [
        (Role.SCHOOL_REGISTRAR, OTHER_SCHOOL),
        (Role.SCHOOL_LEADER, SCHOOL),
        (Role.DEPARTMENT_REGISTRAR, "330102"),
        (Role.SYSTEM, "000000"),
    ],
)
def test_only_the_schools_own_registrar_enters(uow, role, org):
    with pytest.raises(PermissionDenied):
        create(uow, entry(), Principal(user_id="someone", role=role, org_unit=org))
    assert not uow.applications.rows and not uow.published


def test_upload_keeps_the_row_and_the_bytes_or_neither(uow):
    proof = upload(uow)
    assert uow.files.rows[proof].size_bytes == len(PDF) and uow.files.rows[proof].file_name == "证明.pdf"
    with pytest.raises(InvalidArgument):
        upload(uow, b"GIF89a....")
    assert list(uow.files.rows) == [proof]
