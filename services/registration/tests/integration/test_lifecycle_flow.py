"""The flow after submission over gRPC and events: dedup gates, review steps, returns with the opinion,
correction and resubmission (revision + 1), withdrawal; stale and repeated events change nothing."""

from __future__ import annotations

import grpc
import pytest
from google.protobuf import field_mask_pb2
from registration_harness import (  # noqa: F401 (fixtures)
    OTHER_SCHOOL,
    SCHOOL,
    _system,
    create_request,
    harness,
    violations,
)

from xueji.v1 import common_pb2, events_pb2, registration_pb2
from xueji_common.auth import Role
from xueji_common.documents import mask_document_number
from xueji_common.grpcserver.errors import precondition_violations
from xueji_common.hashing import document_hash
from xueji_common.messaging.envelope import new_envelope
from xueji_registration.testing import resident_id

S = registration_pb2
FRESHMAN = common_pb2.REGISTRATION_KIND_PRIMARY_FRESHMAN


def refusal(fn, *args, **kw) -> grpc.RpcError:
    with pytest.raises(grpc.RpcError) as err:
        fn(*args, **kw)
    return err.value


def update(h, app, paths, version=None, proofs=(), category="resident", **form):
    student = create_request(category, **form).student
    return h.call(
        "UpdateApplication",
        S.UpdateApplicationRequest(
            application_id=app.application_id,
            student=student,
            proof_material_ids=list(proofs),
            update_mask=field_mask_pb2.FieldMask(paths=paths),
            expected_version=version or app.version,
        ),
    )


def resubmit(h, app, **kw):
    return h.call(
        "ResubmitApplication",
        S.ResubmitApplicationRequest(application_id=app.application_id, expected_version=app.version),
        **kw,
    )


def withdraw(h, app, **kw):
    return h.call(
        "WithdrawApplication",
        S.WithdrawApplicationRequest(
            application_id=app.application_id, reason="重复录入", expected_version=app.version
        ),
        **kw,
    )


def test_a_passed_gate_opens_school_review_and_review_steps_move_the_handling_unit(harness):
    app = harness.create()
    harness.dedup_completed(app)
    app = harness.get(app)
    assert (app.state, app.authentication_status) == (
        S.APPLICATION_STATE_AWAITING_SCHOOL_REVIEW,
        common_pb2.AUTHENTICATION_STATUS_PASSED,
    )
    harness.progressed(app, events_pb2.REVIEW_STAGE_AWAITING_REPORT, SCHOOL)
    harness.progressed(app, events_pb2.REVIEW_STAGE_AWAITING_COUNTY_REVIEW, "330102")
    app = harness.get(app)
    assert app.state == S.APPLICATION_STATE_AWAITING_COUNTY_REVIEW
    assert (app.current_handling_unit.code, app.current_handling_unit.name) == ("330102", "上城区")


def test_a_failed_gate_shows_the_reason_and_the_registrar_corrects_and_resubmits(harness):
    app = harness.create("hmt_foreign")
    harness.dedup_completed(app, passed=False, reason="该证件号已被江苏省某校的学籍使用（H1******78）")
    app = harness.get(app)
    assert app.state == S.APPLICATION_STATE_DEDUP_FAILED
    assert app.dedup_failure_reason.startswith("该证件号已被")
    app = update(harness, app, ["student.document"], category="hmt_foreign", number="H87654321")
    assert app.student.document.number == "H87654321" and app.revision == 1
    app = resubmit(harness, app)
    assert (app.state, app.revision) == (S.APPLICATION_STATE_AWAITING_DEDUP, 2)
    assert app.authentication_status == common_pb2.AUTHENTICATION_STATUS_NOT_AUTHENTICATED
    submitted = [e for e in harness.outbox() if isinstance(e, events_pb2.ApplicationSubmitted)]
    assert [e.application.revision for e in submitted] == [1, 2]
    assert submitted[1].application.document_number_masked == mask_document_number("H87654321")
    assert submitted[1].application.document_hash == document_hash(
        harness.runtime.settings.hash_key, "6", "H87654321"
    )  # the corrected number's hash; the number itself never
    harness.dedup_completed(app, passed=False, revision=1)  # the old revision's result is stale
    assert harness.get(app).state == S.APPLICATION_STATE_AWAITING_DEDUP


def test_a_rejection_returns_the_application_with_unit_user_time_and_opinion(harness):
    app = harness.create("no_document", proofs=[harness.upload()])
    harness.progressed(app, events_pb2.REVIEW_STAGE_AWAITING_REPORT, SCHOOL)
    harness.progressed(app, events_pb2.REVIEW_STAGE_AWAITING_COUNTY_REVIEW, "330102")
    harness.returned(app, opinion="证明材料不清晰")
    app = harness.get(app)
    assert app.state == S.APPLICATION_STATE_RETURNED and app.current_handling_unit.code == SCHOOL
    r = app.last_rejection
    assert (r.org_unit_code, r.org_unit_name, r.user_id, r.opinion) == (
        "330102",
        "上城区",
        "county-1",
        "证明材料不清晰",
    )
    assert r.role == common_pb2.ROLE_DEPARTMENT_REGISTRAR and r.time.seconds > 0
    app = update(harness, app, ["proof_material_ids"], proofs=[harness.upload()])
    app = resubmit(harness, app)
    assert (app.state, app.revision) == (S.APPLICATION_STATE_AWAITING_SCHOOL_REVIEW, 2)
    assert not app.HasField("last_rejection")


def test_a_correction_is_validated_like_an_entry(harness):
    app = harness.create()
    harness.dedup_completed(app, passed=False)
    app = harness.get(app)
    err = refusal(update, harness, app, ["student.postal_code", "student.grade"], postalCode="1", grade="")
    assert err.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert violations(err) == {"student.postal_code", "student.grade"}
    assert violations(refusal(update, harness, app, ["student.unknown_field"])) == {"update_mask"}
    assert violations(refusal(update, harness, app, [])) == {"update_mask"}


def test_a_correction_cannot_take_a_document_another_application_holds(harness):
    other = resident_id(seq="135")
    harness.create(number=other)
    app = harness.create()
    harness.dedup_completed(app, passed=False)
    app = harness.get(app)
    assert (
        refusal(update, harness, app, ["student.document"], number=other).code()
        == grpc.StatusCode.ALREADY_EXISTS
    )


def test_stale_versions_are_aborted(harness):
    app = harness.create()
    harness.dedup_completed(app, passed=False)
    err = refusal(update, harness, app, ["student.phone"], version=app.version, phone="0571-88888888")
    assert err.code() == grpc.StatusCode.ABORTED  # the dedup result moved the version on


@pytest.mark.parametrize("stage", [None, events_pb2.REVIEW_STAGE_AWAITING_COUNTY_REVIEW])
def test_only_returned_or_failed_applications_are_corrected_or_resubmitted(harness, stage):
    app = harness.create("no_document", proofs=[harness.upload()])
    if stage:
        harness.progressed(app, stage, "330102")
    app = harness.get(app)
    for call in (
        lambda: resubmit(harness, app),
        lambda: update(harness, app, ["student.phone"], phone="123456789"),
    ):
        err = refusal(call)
        assert err.code() == grpc.StatusCode.FAILED_PRECONDITION
        assert [t for t, _, _ in precondition_violations(err)] == ["NOT_RETURNED"]


def test_withdrawal_before_the_report_emits_application_withdrawn(harness):
    app = harness.create()
    app = withdraw(harness, app)
    assert app.state == S.APPLICATION_STATE_WITHDRAWN and not app.HasField("current_handling_unit")
    withdrawn = harness.outbox()[-1]
    assert (
        isinstance(withdrawn, events_pb2.ApplicationWithdrawn)
        and withdrawn.application_id == app.application_id
    )
    assert withdrawn.withdrawn_by.opinion == "重复录入" and withdrawn.withdrawn_by.org_unit_code == SCHOOL
    harness.create()  # the document is free again
    harness.dedup_completed(app, passed=True)  # a late result for a withdrawn application changes nothing
    assert harness.get(app).state == S.APPLICATION_STATE_WITHDRAWN


def test_withdrawal_is_refused_once_reported(harness):
    app = harness.create("no_document", proofs=[harness.upload()])
    harness.progressed(app, events_pb2.REVIEW_STAGE_AWAITING_COUNTY_REVIEW, "330102")
    app = harness.get(app)
    err = refusal(withdraw, harness, app)
    assert err.code() == grpc.StatusCode.FAILED_PRECONDITION
    assert [t for t, _, _ in precondition_violations(err)] == ["ALREADY_REPORTED"]


@pytest.mark.parametrize(
    "role, org",
    [
        (Role.SCHOOL_REGISTRAR, OTHER_SCHOOL),
        (Role.SCHOOL_LEADER, SCHOOL),
        (Role.DEPARTMENT_REGISTRAR, "330102"),
    ],
)
def test_only_the_schools_registrar_corrects_resubmits_or_withdraws(harness, role, org):
    app = harness.create()
    harness.dedup_completed(app, passed=False)
    app = harness.get(app)
    for call in (resubmit, withdraw):
        assert refusal(call, harness, app, role=role, org=org).code() == grpc.StatusCode.PERMISSION_DENIED


def test_redelivered_events_are_handled_once(harness):
    app = harness.create()
    event = events_pb2.DedupCompleted(
        application_id=app.application_id, revision=1, outcome=events_pb2.DEDUP_OUTCOME_PASSED
    )
    body = new_envelope(event, producer="dedup", aggregate_id=app.application_id).SerializeToString()
    [consumer] = [c for c in harness.runtime.consumers() if c.subscription.event_type == "DedupCompleted"]
    assert consumer(body) == "handled" and consumer(body) == "duplicate"
    assert harness.get(app).version == 2
