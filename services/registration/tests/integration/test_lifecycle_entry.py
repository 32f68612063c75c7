"""Manual entry (录入) over gRPC: the whole form validated, no-document students with family members
and uploaded proof material, uploads checked and stored, role and jurisdiction."""

from __future__ import annotations

import grpc
import pytest
from registration_harness import (  # noqa: F401 (fixtures)
    OTHER_SCHOOL,
    PDF,
    SCHOOL,
    _system,
    create_request,
    harness,
    violations,
)
from sqlalchemy import func, select

from xueji.v1 import common_pb2, events_pb2, registration_pb2
from xueji_common.auth import Role
from xueji_registration.adapters.tables import applications, uploaded_files
from xueji_registration.testing import family_member, resident_id

FRESHMAN = common_pb2.REGISTRATION_KIND_PRIMARY_FRESHMAN
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32


def count(h, table) -> int:
    with h.runtime.session_factory() as s:
        return s.execute(select(func.count()).select_from(table)).scalar_one()


def refusal(fn, *args, **kw) -> grpc.RpcError:
    with pytest.raises(grpc.RpcError) as err:
        fn(*args, **kw)
    return err.value


def test_non_freshman_resident_entry_awaits_authentication(harness):
    app = harness.create()
    assert app.state == registration_pb2.APPLICATION_STATE_AWAITING_DEDUP
    assert app.authentication_status == common_pb2.AUTHENTICATION_STATUS_NOT_AUTHENTICATED
    assert (
        app.student.gender == common_pb2.GENDER_MALE and app.student.birth_date.year == 2015
    )  # from the number
    assert app.student.postal_code == "310002" and app.student.family_members[0].relationship_code == "51"
    assert (
        app.current_handling_unit.code == SCHOOL
        and app.entry_channel == registration_pb2.ENTRY_CHANNEL_MANUAL
    )
    [event] = harness.outbox()
    assert isinstance(event, events_pb2.ApplicationSubmitted) and event.application.revision == 1


def test_hmt_foreign_entry_awaits_document_dedup(harness):
    app = harness.create("hmt_foreign")
    assert app.state == registration_pb2.APPLICATION_STATE_AWAITING_DEDUP
    assert app.category == common_pb2.DOCUMENT_CATEGORY_HMT_FOREIGN


def test_every_problem_of_the_form_is_a_field_violation(harness):
    request = create_request(
        postalCode="3100",
        ethnicityCode="99",
        admissionYearMonth="2019/09",
        phone="",
        inclusiveEducation="INCLUSIVE_EDUCATION_VISUAL",
    )
    request.student.gender = common_pb2.GENDER_FEMALE  # the number says male
    err = refusal(harness.call, "CreateApplication", request)
    assert err.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert violations(err) == {
        "student.postal_code",
        "student.ethnicity_code",
        "student.admission_year_month",
        "student.phone",
        "student.inclusive_education",
        "student.gender",
    }
    assert count(harness, applications) == 0


def test_a_bad_document_number_names_its_field(harness):
    err = refusal(harness.create, number=resident_id()[:-1] + ("0" if resident_id()[-1] != "0" else "1"))
    assert violations(err) == {"student.document.number"}


def test_category_must_match_the_document_type(harness):
    request = create_request()
    request.category = common_pb2.DOCUMENT_CATEGORY_HMT_FOREIGN
    assert violations(refusal(harness.call, "CreateApplication", request)) >= {"category"}


def test_a_repeated_request_id_returns_the_first_application(harness):
    request = create_request()
    request.request_id = "6f1c2b1e-0000-4000-8000-000000000001"
    first = harness.call("CreateApplication", request)
    again = harness.call("CreateApplication", request)
    assert again.application_id == first.application_id
    assert count(harness, applications) == 1 and len(harness.outbox()) == 1


def test_the_same_document_is_not_entered_twice(harness):
    harness.create()
    err = refusal(harness.create)
    assert err.code() == grpc.StatusCode.ALREADY_EXISTS


def test_freshmen_with_documents_come_through_the_preschool_transfer(harness):
    err = refusal(harness.create, kind=FRESHMAN)
    assert err.code() == grpc.StatusCode.FAILED_PRECONDITION


@pytest.mark.parametrize("kind", [FRESHMAN, common_pb2.REGISTRATION_KIND_NON_PRIMARY_FRESHMAN])
def test_no_document_entry_with_family_and_proof_goes_to_school_review(harness, kind):
    proof = harness.upload()
    app = harness.create("no_document", kind=kind, proofs=[proof])
    assert app.state == registration_pb2.APPLICATION_STATE_AWAITING_SCHOOL_REVIEW
    assert app.authentication_status == common_pb2.AUTHENTICATION_STATUS_NOT_REQUIRED
    assert [f.file_id for f in app.proof_materials] == [proof]
    [ref] = harness.get(app).proof_materials
    assert (ref.file_name, ref.content_type, ref.size_bytes) == ("证明.pdf", "application/pdf", len(PDF))


def test_no_document_students_need_proof_material(harness):
    assert violations(refusal(harness.create, "no_document")) == {"proof_material_ids"}


def test_no_document_students_need_a_family_member_with_a_resident_id_card(harness):
    proof = harness.upload()
    passport = family_member(document={"type": "DOCUMENT_TYPE_PASSPORT", "number": "E1234567"})
    assert violations(refusal(harness.create, "no_document", proofs=[proof], familyMembers=[passport])) == {
        "student.family_members"
    }
    assert violations(refusal(harness.create, "no_document", proofs=[proof], familyMembers=[])) == {
        "student.family_members"
    }


def test_proof_material_must_be_this_schools_and_unused(harness):
    theirs = harness.upload(school_code=OTHER_SCHOOL, org=OTHER_SCHOOL)
    photo = harness.upload(PNG, purpose=registration_pb2.UPLOAD_PURPOSE_PHOTO)
    for ids in (["nope"], [theirs], [photo]):
        assert violations(refusal(harness.create, "no_document", proofs=ids)) == {"proof_material_ids"}
    mine = harness.upload()
    harness.create("no_document", proofs=[mine])
    # a second student cannot reuse the first one's file
    err = refusal(harness.create, "no_document", proofs=[mine], familyMembers=[family_member(name="李四")])
    assert violations(err) == {"proof_material_ids"}


def test_uploads_are_stored_under_the_files_directory(harness):
    file_id = harness.upload()
    stored = list((harness.files_dir / SCHOOL).iterdir())
    assert [p.name for p in stored] == [file_id] and stored[0].read_bytes() == PDF


@pytest.mark.parametrize(
    "content, purpose, field",
    [
        (b"", registration_pb2.UPLOAD_PURPOSE_PROOF_MATERIAL, "file.content"),
        (b"GIF89a....", registration_pb2.UPLOAD_PURPOSE_PROOF_MATERIAL, "file.content"),
        (PDF, registration_pb2.UPLOAD_PURPOSE_PHOTO, "file.content"),
        (PDF, registration_pb2.UPLOAD_PURPOSE_UNSPECIFIED, "purpose"),
    ],
)
def test_uploads_of_the_wrong_type_are_refused_and_nothing_is_kept(harness, content, purpose, field):
    err = refusal(harness.upload, content, purpose=purpose)
    assert violations(err) == {field}
    assert count(harness, uploaded_files) == 0 and not (harness.files_dir / SCHOOL).exists()


def test_a_declared_type_contradicting_the_content_is_refused(harness):
    request = registration_pb2.UploadProofMaterialRequest(
        school_code=SCHOOL,
        purpose=registration_pb2.UPLOAD_PURPOSE_PROOF_MATERIAL,
        file=common_pb2.FileContent(file_name="a.png", content_type="image/png", content=PDF),
    )
    assert violations(refusal(harness.call, "UploadProofMaterial", request)) == {"file.content_type"}


@pytest.mark.parametrize(
    "role, org",
    [
        (Role.SCHOOL_REGISTRAR, OTHER_SCHOOL),
        (Role.SCHOOL_LEADER, SCHOOL),
        (Role.DEPARTMENT_REGISTRAR, "330102"),
        (Role.SYSTEM, "000000"),
    ],
)
def test_only_the_schools_own_registrar_enters_and_uploads(harness, role, org):
    assert refusal(harness.create, role=role, org=org).code() == grpc.StatusCode.PERMISSION_DENIED
    assert refusal(harness.upload, role=role, org=org).code() == grpc.StatusCode.PERMISSION_DENIED
    assert count(harness, applications) == 0 and count(harness, uploaded_files) == 0
