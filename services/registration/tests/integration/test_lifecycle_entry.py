"""Manual entry (录入) over gRPC: the answer and its event, a no-document student's proof material as
the API shows it, uploads checked and stored on disk, refusals as status codes. The entry rules (the
form's violations, duplicates, repeated requests, proof material) are unit tests on the in-memory
unit of work: tests/unit/test_entry_use_cases.py."""

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


@pytest.mark.parametrize("kind", [FRESHMAN, common_pb2.REGISTRATION_KIND_NON_PRIMARY_FRESHMAN])
def test_no_document_entry_with_family_and_proof_goes_to_school_review(harness, kind):
    proof = harness.upload()
    app = harness.create("no_document", kind=kind, proofs=[proof])
    assert app.state == registration_pb2.APPLICATION_STATE_AWAITING_SCHOOL_REVIEW
    assert app.authentication_status == common_pb2.AUTHENTICATION_STATUS_NOT_REQUIRED
    assert [f.file_id for f in app.proof_materials] == [proof]
    [ref] = harness.get(app).proof_materials
    assert (ref.file_name, ref.content_type, ref.size_bytes) == ("证明.pdf", "application/pdf", len(PDF))


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
