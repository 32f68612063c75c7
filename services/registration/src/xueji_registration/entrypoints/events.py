"""Event entrypoint: translate dedup and review events (protobuf) into registration use cases; a bus
message of many (an EventBatch) into one set-based use case (service_layer/flow_batch.py)."""

from __future__ import annotations

import datetime as dt

from xueji.v1 import events_pb2
from xueji_common.auth import Role
from xueji_common.datakeys import CORRECTED_NUMBER
from xueji_common.documents import DocumentType
from xueji_common.grpcserver.convert import date_from_pb
from xueji_common.messaging.consumer import Delivery, Subscription
from xueji_registration.domain.model import ApplicationState, Stamp
from xueji_registration.service_layer import flow, flow_batch

_STAGE_STATE = {
    events_pb2.REVIEW_STAGE_AWAITING_SCHOOL_REVIEW: ApplicationState.AWAITING_SCHOOL_REVIEW,
    events_pb2.REVIEW_STAGE_AWAITING_REPORT: ApplicationState.AWAITING_REPORT,
    events_pb2.REVIEW_STAGE_AWAITING_COUNTY_REVIEW: ApplicationState.AWAITING_COUNTY_REVIEW,
    events_pb2.REVIEW_STAGE_AWAITING_CITY_REVIEW: ApplicationState.AWAITING_CITY_REVIEW,
    events_pb2.REVIEW_STAGE_AWAITING_PROVINCE_REVIEW: ApplicationState.AWAITING_PROVINCE_REVIEW,
}
_RESOLUTION = {
    events_pb2.PROBLEM_RESOLUTION_CORROBORATE: "corroborate",
    events_pb2.PROBLEM_RESOLUTION_CORRECT: "correct",
    events_pb2.PROBLEM_RESOLUTION_DELETE: "delete",
}
_ROLES = {r.proto: r.value for r in Role}


def _stamp(pb, fallback_time: dt.datetime) -> Stamp:
    time = pb.time.ToDatetime(tzinfo=dt.UTC) if pb.time.seconds else fallback_time
    return Stamp(pb.org_unit_code, pb.user_id, _ROLES.get(pb.role, ""), time, pb.opinion)


def _dedup_result(event: events_pb2.DedupCompleted) -> flow_batch.DedupResult:
    passed = event.outcome == events_pb2.DEDUP_OUTCOME_PASSED
    return flow_batch.DedupResult(event.application_id, event.revision, passed, event.reason)


def on_dedup_completed(event: events_pb2.DedupCompleted, uow, envelope) -> None:
    flow.dedup_completed(uow, **_dedup_result(event)._asdict())


def on_dedup_completed_batch(deliveries: list[Delivery], uow) -> None:
    flow_batch.dedup_completed(uow, [_dedup_result(d.event) for d in deliveries])


def _review_step(event: events_pb2.ReviewProgressed) -> flow_batch.ReviewStep | None:
    state = _STAGE_STATE.get(event.stage)
    if state is None:
        return None
    return flow_batch.ReviewStep(event.application_id, event.revision, state, event.handling_unit_code)


def on_review_progressed(event: events_pb2.ReviewProgressed, uow, envelope) -> None:
    step = _review_step(event)
    if step is not None:
        flow.review_progressed(uow, **step._asdict())


def on_review_progressed_batch(deliveries: list[Delivery], uow) -> None:
    flow_batch.review_progressed(uow, [s for d in deliveries if (s := _review_step(d.event)) is not None])


def on_registration_returned(event: events_pb2.RegistrationReturned, uow, envelope) -> None:
    occurred = envelope.occurred_at.ToDatetime(tzinfo=dt.UTC)
    flow.registration_returned(
        uow,
        application_id=event.application_id,
        revision=event.revision,
        rejection=_stamp(event.rejected_by, occurred),
    )


def on_registration_approved(event: events_pb2.RegistrationApproved, uow, envelope) -> None:
    flow.registration_approved(uow, application_id=event.application_id, revision=event.revision)


def on_registration_approved_batch(deliveries: list[Delivery], uow) -> None:
    flow_batch.registration_approved(
        uow, [flow_batch.Approval(d.event.application_id, d.event.revision) for d in deliveries]
    )


def on_problem_raised(event: events_pb2.ProblemRaised, uow, envelope) -> None:
    flow.problem_raised(
        uow,
        group_id=event.problem_group_id,
        record_ids=list(event.record_ids),
        application_ids=list(event.application_ids),
    )


def on_problem_resolved(event: events_pb2.ProblemResolved, uow, envelope) -> None:
    identity = event.corrected_identity
    corrected = None
    if event.resolution == events_pb2.PROBLEM_RESOLUTION_CORRECT:
        try:
            birth = date_from_pb(identity.birth_date)
        except ValueError:
            birth = None
        corrected = dict(
            name=identity.name,
            gender=identity.gender,
            birth_date=birth,
            document_type=DocumentType.from_proto(identity.document.type) if identity.document.type else "",
            document_number=_corrected_number(event, uow),
        )
    flow.problem_resolved(
        uow,
        resolution=_RESOLUTION.get(event.resolution, ""),
        record_ids=list(event.record_ids),
        corrected=corrected,
    )


def _corrected_number(event: events_pb2.ProblemResolved, uow) -> str:
    """Dedup seals the number with the deployment's data key (never in clear on the bus); a ring
    without the sealing key raises DataKeyError, and the event is not applied (fails closed)."""
    keys = uow.collaborators.data_keys
    if keys is None:
        raise RuntimeError("registration has no data key ring to open a corrected number")
    return keys.decrypt(event.corrected_document_number_sealed, CORRECTED_NUMBER)


SUBSCRIPTIONS = [
    Subscription("dedup", "DedupCompleted", on_dedup_completed, on_dedup_completed_batch),
    Subscription("review", "ReviewProgressed", on_review_progressed, on_review_progressed_batch),
    Subscription("review", "RegistrationReturned", on_registration_returned),
    Subscription("review", "RegistrationApproved", on_registration_approved, on_registration_approved_batch),
    Subscription("dedup", "ProblemRaised", on_problem_raised),
    Subscription("dedup", "ProblemResolved", on_problem_resolved),
]
