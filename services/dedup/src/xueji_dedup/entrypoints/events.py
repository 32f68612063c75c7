"""Event entrypoint: bus events (protobuf) → the province tier's use cases (registration's and
review's events, and dedup's own problem events, which keep the national tier current).

The unit of work carries the org tree, the hash key and the peers (see adapters.unit_of_work.uow_factory).
A national-scope process has no province work: it records such events as handled and does nothing.
"""

from __future__ import annotations

import logging

from xueji.v1 import events_pb2
from xueji_common.documents import DocumentCategory, DocumentType
from xueji_common.grpcserver.convert import date_from_pb
from xueji_common.masking import mask_student_number
from xueji_common.messaging.consumer import Delivery, Subscription
from xueji_common.sealed_numbers import opened_number
from xueji_common.vocabulary import RegistrationKind
from xueji_dedup.domain.problems import Resolution
from xueji_dedup.service_layer import province, province_batch, record_batches, records, reporting, rotation

log = logging.getLogger(__name__)


def _national_scope(uow) -> bool:
    if uow.scope == "province":
        return False
    log.warning("province event received by the national tier: ignored")
    uow.commit()
    return True


def _submitted(event: events_pb2.ApplicationSubmitted) -> province.Submitted:
    a = event.application
    return province.Submitted(
        application_id=a.application_id,
        revision=a.revision,
        school_code=a.school_code,
        kind=RegistrationKind.from_proto(a.kind).value,
        category=DocumentCategory.from_proto(a.category).value,
        document_type=DocumentType.from_proto(a.document_type).value,
        document_hash=a.document_hash,
        document_masked=a.document_number_masked,
        name=a.name,
        gender=a.gender,
        birth_date=date_from_pb(a.birth_date),
    )


def on_application_submitted(event: events_pb2.ApplicationSubmitted, uow, envelope) -> None:
    if _national_scope(uow):
        return
    province.application_submitted(
        uow,
        _submitted(event),
        peers=uow.peers,
        tree=uow.tree,
        rotation_announced=rotation.announced_by_rotation(envelope),
    )


def on_applications_submitted(deliveries: list[Delivery], uow) -> None:
    """A batch of submissions (issue 16 step 3): service_layer/province_batch.py; the consumer commits."""
    if uow.scope != "province":
        log.warning("province events received by the national tier: ignored")
        return
    province_batch.applications_submitted(
        uow,
        [_submitted(d.event) for d in deliveries],
        peers=uow.peers,
        tree=uow.tree,
        rotation_announced=[rotation.announced_by_rotation(d.envelope) for d in deliveries],
    )


def on_application_withdrawn(event: events_pb2.ApplicationWithdrawn, uow, envelope) -> None:
    if not _national_scope(uow):
        province.application_withdrawn(uow, event.application_id, peers=uow.peers)


def _snapshot(r: events_pb2.StudentRecordSnapshot, number: str) -> records.RecordSnapshot:
    """`number`: the national student number opened from the snapshot (sealed_numbers)."""
    return records.RecordSnapshot(
        record_id=r.record_id,
        application_id=r.application_id,
        school_code=r.school_code,
        province_code=r.province_code,
        category=DocumentCategory.from_proto(r.category).value,
        document_type=DocumentType.from_proto(r.document_type).value,
        document_hash=r.document_hash,
        document_masked=r.document_number_masked,
        national_student_number=_masked_number(number),
        temporary_number=r.temporary_number,
        name=r.name,
        gender=r.gender,
        birth_date=date_from_pb(r.birth_date),
        version=r.version,
    )


def _masked_number(number: str) -> str:
    """A G number contains the resident ID: kept masked as the masking policy masks it (L numbers
    are kept whole; responses mask them for whoever is not of the student's school)."""
    return mask_student_number(number) if number.startswith("G") else number


def on_student_record_created(event: events_pb2.StudentRecordCreated, uow, envelope) -> None:
    if not _national_scope(uow):
        number = opened_number(event.record, uow.session)
        records.record_created(uow, _snapshot(event.record, number), peers=uow.peers, tree=uow.tree)


def on_student_records_created(deliveries: list[Delivery], uow) -> None:
    """The batch handler of StudentRecordCreated (docs/FLOWS.md#batches-on-the-bus); opening a
    number is a decryption in memory, no statement. The national tier records them as handled."""
    if uow.scope != "province":
        log.warning("province events received by the national tier: ignored")
        return
    snapshots = [_snapshot(d.event.record, opened_number(d.event.record, uow.session)) for d in deliveries]
    record_batches.records_created(uow, snapshots, peers=uow.peers, tree=uow.tree)


def on_student_record_changed(event: events_pb2.StudentRecordChanged, uow, envelope) -> None:
    if not _national_scope(uow):
        number = opened_number(event.record, uow.session)
        announced = records.Announced(number) if rotation.announced_by_rotation(envelope) else None
        records.record_changed(
            uow, _snapshot(event.record, number), peers=uow.peers, tree=uow.tree, announced=announced
        )


def on_problem_raised(event: events_pb2.ProblemRaised, uow, envelope) -> None:
    """Our own event, back from the bus: a cross-province group goes to the national tier."""
    if not _national_scope(uow):
        reporting.problem_raised(uow, event.problem_group_id, peers=uow.peers, tree=uow.tree)


def on_problem_resolved(event: events_pb2.ProblemResolved, uow, envelope) -> None:
    """Our own event: a deleted record gives up its national holding; cross-province groups are reported."""
    if not _national_scope(uow):
        resolution = (
            Resolution[
                events_pb2.ProblemResolution.Name(event.resolution).removeprefix("PROBLEM_RESOLUTION_")
            ]
            if event.resolution
            else None
        )
        reporting.problem_resolved(
            uow, event.problem_group_id, resolution, list(event.record_ids), peers=uow.peers, tree=uow.tree
        )


# Not RegistrationReturned: a returned application keeps its reservation while it can be resubmitted,
# and a withdrawal (ApplicationWithdrawn) releases it; nothing here depends on the return itself
# (docs/FLOWS.md §2). Its former queue is deleted at migration (RETIRED_QUEUES).
SUBSCRIPTIONS = [
    Subscription("registration", "ApplicationSubmitted", on_application_submitted, on_applications_submitted),
    Subscription("registration", "ApplicationWithdrawn", on_application_withdrawn),
    Subscription(
        "registration", "StudentRecordCreated", on_student_record_created, on_student_records_created
    ),
    Subscription("registration", "StudentRecordChanged", on_student_record_changed),
    Subscription("dedup", "ProblemRaised", on_problem_raised),
    Subscription("dedup", "ProblemResolved", on_problem_resolved),
]

# Queues of subscriptions dropped since: `migrate` deletes them, so that RabbitMQ stops routing their
# events to a queue nobody consumes (issue 16 step 4).
RETIRED_QUEUES = (
    "evt-review-RegistrationReturned--dedup.on_review_RegistrationReturned_on_registration_returned",
)
