"""The flow after submission over gRPC and events: a return's opinion as the API shows it, the update
mask of a correction, a redelivered event handled once (the inbox). The rules of the flow (gates,
review steps, correction, resubmission, withdrawal, stale versions, roles) are unit tests on the
in-memory unit of work: tests/unit/test_flow_use_cases.py."""

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
from xueji_common.messaging.envelope import new_envelope
from xueji_common.testing.bus import consumer_of

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


def test_redelivered_events_are_handled_once(harness):
    app = harness.create()
    event = events_pb2.DedupCompleted(
        application_id=app.application_id, revision=1, outcome=events_pb2.DEDUP_OUTCOME_PASSED
    )
    body = new_envelope(event, producer="dedup", aggregate_id=app.application_id).SerializeToString()
    consumer = consumer_of(harness.runtime, "DedupCompleted")
    assert consumer(body) == "handled" and consumer(body) == "duplicate"
    assert harness.get(app).version == 2
