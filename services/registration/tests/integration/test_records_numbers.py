"""Records (学籍) and national student numbers: generated on the last approval, G after authentication,
L otherwise, reserved at the national tier (a gRPC test double of Dedup.ReserveStudentNumber): the snapshot on
the bus, a taken or unavailable tier, the sealed corrected number. Which number, when and with which
problem flag: tests/unit/test_flow_use_cases.py."""

from __future__ import annotations

import grpc
import pytest
from google.protobuf import field_mask_pb2
from registration_harness import SCHOOL, _system, harness  # noqa: F401 (fixtures)

from xueji.v1 import common_pb2, events_pb2, registration_pb2
from xueji_common.auth import Principal, Role
from xueji_common.datakeys import CORRECTED_NUMBER, DataKeyError, KeyRing, new_key_text
from xueji_common.documents import DocumentCategory, DocumentType, mask_document_number
from xueji_common.grpcserver.errors import precondition_violations
from xueji_common.hashing import student_number_hash
from xueji_common.masking import mask_student_number
from xueji_common.messaging.envelope import new_envelope
from xueji_common.testing.bus import consumer_of
from xueji_common.testing.numbers import opened
from xueji_common.vocabulary import RegistrationKind
from xueji_registration.service_layer import handlers
from xueji_registration.testing import resident_id, sample_form

NUMBER = resident_id()


def records_events(h):
    return [
        e
        for e in h.outbox()
        if isinstance(e, (events_pb2.StudentRecordCreated, events_pb2.StudentRecordChanged))
    ]


def approve_non_freshman_resident(h, number=NUMBER, **form):
    app = h.create(number=number, **form)
    h.dedup_completed(app)
    app = h.get(app)
    h.through_review(app)
    return h.get(app)


def test_an_authenticated_resident_gets_a_formal_number_and_a_record(harness):
    app = approve_non_freshman_resident(
        harness, disabilityType="DISABILITY_TYPE_VISUAL", inclusiveEducation="INCLUSIVE_EDUCATION_VISUAL"
    )
    assert app.state == registration_pb2.APPLICATION_STATE_APPROVED and not app.HasField(
        "current_handling_unit"
    )
    assert app.national_student_number == "G" + NUMBER and app.record_id
    [created] = records_events(harness)
    r = created.record
    assert isinstance(created, events_pb2.StudentRecordCreated)
    assert set(created.DESCRIPTOR.fields_by_name) == {"record"}  # no clear number beside the snapshot
    assert (opened(r), r.temporary_number, r.application_id) == ("G" + NUMBER, False, app.application_id)
    # on the bus: sealed, its keyed hash and masked form, never in clear
    assert "G" + NUMBER not in created.SerializeToString().decode("utf-8", "replace")
    assert r.national_student_number_hash == student_number_hash(
        harness.runtime.settings.hash_key, "G" + NUMBER
    )
    assert r.national_student_number_masked == mask_student_number("G" + NUMBER)
    assert (r.school_code, r.province_code, r.stage) == (
        SCHOOL,
        "330000",
        events_pb2.SCHOOL_STAGE_JUNIOR_SECONDARY,
    )
    assert (r.disability_type, r.inclusive_education) == (
        "DISABILITY_TYPE_VISUAL",
        "INCLUSIVE_EDUCATION_VISUAL",
    )
    assert (r.grade, r.class_name) == ("21", "1班")
    assert r.document_number_masked == NUMBER[:3] + "*" * 11 + NUMBER[-4:] and r.version == 1
    assert not r.problem_record
    [call] = harness.dedup.calls
    assert (call.kind, call.owner_id) == (common_pb2.STUDENT_NUMBER_KIND_FORMAL, app.record_id)


def test_a_formal_number_held_by_another_record_falls_back_to_a_temporary_one(harness):
    harness.dedup.taken["G" + NUMBER] = "someone-else"
    app = approve_non_freshman_resident(harness)
    assert app.national_student_number.startswith("L330102")
    assert records_events(harness)[0].record.problem_record


def test_while_the_national_tier_is_down_the_approval_is_retried_and_nothing_is_half_written(harness):
    app = harness.create(number=NUMBER)
    harness.dedup_completed(app)
    app = harness.get(app)
    harness.progressed(app, events_pb2.REVIEW_STAGE_AWAITING_COUNTY_REVIEW, "330102")
    body = new_envelope(
        events_pb2.RegistrationApproved(application_id=app.application_id, revision=1),
        producer="review",
        aggregate_id=app.application_id,
    ).SerializeToString()
    consumer = consumer_of(harness.runtime, "RegistrationApproved")
    harness.dedup.unavailable = True
    with pytest.raises(Exception, match="UNAVAILABLE"):
        consumer(body)
    assert harness.get(app).state == registration_pb2.APPLICATION_STATE_AWAITING_COUNTY_REVIEW
    harness.dedup.unavailable = False
    assert consumer(body) == "handled"  # the redelivery
    assert harness.get(app).national_student_number == "G" + NUMBER


def test_key_data_of_an_approved_application_cannot_be_changed(harness):
    app = approve_non_freshman_resident(harness)
    request = registration_pb2.UpdateApplicationRequest(
        application_id=app.application_id,
        update_mask=field_mask_pb2.FieldMask(paths=["student.name"]),
        student=registration_pb2.StudentRecordForm(name="张四"),
        expected_version=app.version,
    )
    with pytest.raises(grpc.RpcError) as err:
        harness.call("UpdateApplication", request)
    assert err.value.code() == grpc.StatusCode.FAILED_PRECONDITION
    with pytest.raises(grpc.RpcError) as err:
        harness.call(
            "WithdrawApplication",
            registration_pb2.WithdrawApplicationRequest(application_id=app.application_id),
        )
    assert precondition_violations(err.value)[0][0] == "APPROVED"


WRONG = resident_id(seq="999")


@pytest.mark.parametrize("number_before", [WRONG, NUMBER], ids=["number_corrected", "name_corrected"])
@pytest.mark.parametrize("dedup_first", [False, True], ids=["resolved_first", "dedup_result_first"])
def test_a_corrected_problem_record_gets_the_g_number_of_the_corrected_identity_in_either_order(
    harness, number_before, dedup_first
):
    # Dedup re-authenticates a correction, then emits DedupCompleted(PASSED) and ProblemResolved(CORRECT)
    # on two queues: whichever comes first, the record ends with G + the corrected number, the
    # application with the corrected key data, authenticated, and no other G number is ever reserved.
    app = _freshman_resident(harness, number=number_before)
    harness.dedup_completed(app, passed=False, reason="姓名与人口库不一致")
    harness.through_review(harness.get(app))
    app = harness.get(app)
    assert app.national_student_number.startswith("L330102")
    harness.deliver(events_pb2.ProblemRaised(problem_group_id="g1", record_ids=[app.record_id]), "dedup")
    corrected = common_pb2.StudentIdentity(
        name="张四", document=common_pb2.IdentityDocument(type=common_pb2.DOCUMENT_TYPE_RESIDENT_ID)
    )
    resolved = events_pb2.ProblemResolved(
        problem_group_id="g1",
        record_ids=[app.record_id],
        resolution=events_pb2.PROBLEM_RESOLUTION_CORRECT,
        corrected_identity=corrected,
        corrected_document_number_sealed=sealed(harness, NUMBER),
    )
    if dedup_first:
        harness.dedup_completed(app, passed=True)
        assert (
            harness.get(app).national_student_number == app.national_student_number
        )  # not G + the old number
    harness.deliver(resolved, "dedup")
    if not dedup_first:
        harness.dedup_completed(app, passed=True)
    app = harness.get(app)
    assert app.national_student_number == "G" + NUMBER and not app.dedup_failure_reason
    assert app.authentication_status == common_pb2.AUTHENTICATION_STATUS_PASSED
    assert (app.student.name, app.student.document.number) == ("张四", NUMBER)
    events = records_events(harness)
    assert [type(e).__name__ for e in events] == ["StudentRecordCreated"] + ["StudentRecordChanged"] * 3
    assert [e.record.version for e in events] == [1, 2, 3, 4]
    assert events[1].record.problem_record
    assert events[2].record.document_number_masked == mask_document_number(NUMBER)
    assert events[2].record.temporary_number and events[2].record.name == "张四"
    assert opened(events[3].record) == "G" + NUMBER and not events[3].record.problem_record
    formal = [
        c.resident_id_number for c in harness.dedup.calls if c.kind == common_pb2.STUDENT_NUMBER_KIND_FORMAL
    ]
    assert formal == [NUMBER]
    record = harness.call(
        "GetStudentRecord", registration_pb2.GetStudentRecordRequest(record_id=app.record_id)
    )
    assert (record.national_student_number, record.version, record.problem_record) == ("G" + NUMBER, 4, False)


def sealed(h, number: str, purpose: str = CORRECTED_NUMBER, ring: KeyRing | None = None) -> str:
    """The corrected number as dedup puts it on the bus: sealed with the deployment's data key."""
    return (ring or h.runtime.settings.data_keyring()).encrypt(number, purpose)


@pytest.mark.parametrize(
    "seal, outcome",
    [
        # Not opened: fails (redelivered; a key arriving in a rotation may open it later).
        (
            lambda h: sealed(h, NUMBER, purpose="applications.document_number"),
            "failed",
        ),  # sealed for another field
        (
            lambda h: sealed(h, NUMBER, ring=KeyRing.from_texts(new_key_text("other"))),
            "failed",
        ),  # another key
        (lambda h: "", "refused"),  # none at all: the corrected number is invalid
    ],
    ids=["other_purpose", "other_key", "missing"],
)
def test_a_corrected_number_that_does_not_open_changes_nothing(harness, seal, outcome):
    app = _freshman_resident(harness, number=WRONG)
    harness.dedup_completed(app, passed=False, reason="姓名与人口库不一致")
    harness.through_review(harness.get(app))
    app = harness.get(app)
    before = len(records_events(harness))
    corrected = common_pb2.StudentIdentity(
        name="张四",
        document=common_pb2.IdentityDocument(
            type=common_pb2.DOCUMENT_TYPE_RESIDENT_ID, number=mask_document_number(NUMBER)
        ),
    )
    event = events_pb2.ProblemResolved(
        problem_group_id="g3",
        record_ids=[app.record_id],
        resolution=events_pb2.PROBLEM_RESOLUTION_CORRECT,
        corrected_identity=corrected,
        corrected_document_number_sealed=seal(harness),
    )
    try:
        got = harness.deliver(event, "dedup")
    except DataKeyError:
        got = "failed"
    assert got == outcome
    assert len(records_events(harness)) == before
    assert harness.get(app).student.document.number == WRONG  # never the masked number from the identity


def test_a_deleted_duplicate_is_cancelled_but_still_visible(harness):
    app = approve_non_freshman_resident(harness)
    harness.deliver(
        events_pb2.ProblemResolved(
            problem_group_id="g2",
            record_ids=[app.record_id, "elsewhere"],
            resolution=events_pb2.PROBLEM_RESOLUTION_DELETE,
        ),
        "dedup",
    )
    changed = records_events(harness)[-1]
    assert changed.record.enrolment_status == events_pb2.ENROLMENT_STATUS_LEFT and changed.record.version == 2
    record = harness.call(
        "GetStudentRecord", registration_pb2.GetStudentRecordRequest(record_id=app.record_id)
    )
    assert record.enrolment_status == events_pb2.ENROLMENT_STATUS_LEFT


def _freshman_resident(h, number=NUMBER):
    """A freshman resident as import or 补录 submit it (manual entry refuses them)."""
    cmd = handlers.CreateApplication(
        school_code=SCHOOL,
        kind=RegistrationKind.PRIMARY_FRESHMAN,
        category=DocumentCategory.RESIDENT,
        name="张三",
        gender=None,
        birth_date=None,
        document_type=DocumentType.RESIDENT_ID,
        document_number=number,
        form=sample_form(grade="11"),
    )
    [app] = handlers.submit_applications(
        h.runtime.uow_factory(),
        [cmd],
        principal=Principal("u1", Role.SCHOOL_REGISTRAR, SCHOOL),
        tree=h.runtime.tree,
        hash_key=h.runtime.settings.hash_key,
        channel=handlers.EntryChannel.SUPPLEMENTARY,
    )
    return h.call("GetApplication", registration_pb2.GetApplicationRequest(application_id=app.application_id))
