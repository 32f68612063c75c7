"""Building the protobuf events dedup publishes (events.proto). Numbers only masked and hashed; the
corrected number of a CORRECT resolution, which registration needs to fix the record's key data, is
sealed with the deployment's data key (never on the bus in clear, issue 13 §4)."""

from __future__ import annotations

from xueji.v1 import common_pb2, events_pb2
from xueji_common.datakeys import CORRECTED_NUMBER
from xueji_common.documents import DocumentType, mask_document_number
from xueji_common.grpcserver.convert import date_to_pb, timestamp
from xueji_dedup.domain.checks import CheckResult, Outcome
from xueji_dedup.domain.problems import ProblemGroup, Resolution
from xueji_dedup.service_layer.unit_of_work import DataKeys

_OUTCOME = {Outcome.PASSED: events_pb2.DEDUP_OUTCOME_PASSED, Outcome.FAILED: events_pb2.DEDUP_OUTCOME_FAILED}


def dedup_completed(
    application_id: str, revision: int, category: str, result: CheckResult
) -> events_pb2.DedupCompleted:
    kind = (
        events_pb2.DEDUP_KIND_IDENTITY_AUTHENTICATION
        if category == "resident"
        else events_pb2.DEDUP_KIND_DOCUMENT_NUMBER
    )
    return events_pb2.DedupCompleted(
        application_id=application_id,
        revision=revision,
        kind=kind,
        outcome=_OUTCOME[result.outcome],
        reason_code=result.reason_code,
        reason=result.reason,
    )


def problem_raised(group: ProblemGroup, reason: str) -> events_pb2.ProblemRaised:
    return events_pb2.ProblemRaised(
        problem_group_id=group.group_id,
        kind=_kind(group),
        reason=reason,
        record_ids=[s.record_id for s in group.students],
        application_ids=[s.application_id for s in group.students if s.application_id],
    )


def problem_resolved(
    group: ProblemGroup,
    record_id: str,
    resolution: Resolution,
    stamp: dict,
    corrected=None,
    data_keys: DataKeys | None = None,
) -> events_pb2.ProblemResolved:
    event = events_pb2.ProblemResolved(
        problem_group_id=group.group_id,
        resolution=events_pb2.ProblemResolution.Value("PROBLEM_RESOLUTION_" + resolution.name),
        record_ids=[record_id],
        resolved_by=common_pb2.AuditStamp(
            org_unit_code=stamp["org_unit_code"],
            org_unit_name=stamp["org_unit_name"],
            user_id=stamp["user_id"],
            role=stamp["role_proto"],
            time=timestamp(stamp["time"]),
            opinion=stamp["opinion"],
        ),
    )
    if corrected is not None:
        event.corrected_identity.CopyFrom(
            common_pb2.StudentIdentity(
                name=corrected.name,
                gender=corrected.gender,
                birth_date=date_to_pb(corrected.birth_date),
                document=common_pb2.IdentityDocument(
                    type=DocumentType(corrected.document_type).to_proto(),
                    number=mask_document_number(corrected.document_number),
                ),
            )
        )
        if data_keys is None:  # fails closed: never the clear number instead
            raise ValueError("a corrected number needs the data key ring to be sealed")
        event.corrected_document_number_sealed = data_keys.encrypt(
            corrected.document_number, CORRECTED_NUMBER
        )
        event.corrected_document_hash = corrected.document_hash
    return event


def _kind(group: ProblemGroup) -> int:
    return events_pb2.ProblemKind.Value("PROBLEM_KIND_" + group.kind.name)
