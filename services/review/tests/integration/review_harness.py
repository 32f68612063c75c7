"""Test harness of review: a service on a fresh PostgreSQL database, fed events through its consumers
and called over a real gRPC socket."""

from __future__ import annotations

import datetime as dt
import itertools
import uuid

import grpc
from sqlalchemy import select

from xueji.v1 import common_pb2, events_pb2, review_pb2_grpc
from xueji_common.auth import Role
from xueji_common.documents import DocumentCategory, DocumentType
from xueji_common.grpcserver.client import bearer
from xueji_common.messaging.envelope import new_envelope, open_envelope
from xueji_common.vocabulary import RegistrationKind

SCHOOL, OTHER_SCHOOL, OTHER_COUNTY_SCHOOL = "1330102001", "1330102002", "1330105001"
NINGBO_SCHOOL = "1330203001"
COUNTY, CITY, PROVINCE = "330102", "330100", "330000"
_DOCUMENT_TYPES = {
    "resident": DocumentType.RESIDENT_ID,
    "hmt_foreign": DocumentType.PASSPORT,
    "no_document": DocumentType.OTHER,
}
_serial = itertools.count(1)


class Review:
    """A review service under test: its runtime, a gRPC server, and helpers that feed it events."""

    def __init__(self, runtime, address: str) -> None:
        self.rt = runtime
        self.address = address
        self.channel = grpc.insecure_channel(address)
        self.reviews = review_pb2_grpc.ReviewsStub(self.channel)
        self.reports = review_pb2_grpc.ReportsStub(self.channel)
        self._consumers = {c.subscription.event_type: c for c in runtime.consumers()}

    def as_(self, role: Role, org: str, user: str = "") -> list[tuple[str, str]]:
        return bearer(self.rt.tokens.mint(user or f"{role.value}@{org}", role, org))

    def deliver(self, event, producer: str, aggregate_id: str) -> str:
        envelope = new_envelope(event, producer=producer, aggregate_id=aggregate_id)
        return self._consumers[envelope.type](envelope.SerializeToString())

    def submit(
        self,
        category="resident",
        kind="non_primary_freshman",
        school=SCHOOL,
        name=None,
        application_id=None,
        revision=1,
    ) -> str:
        application_id = application_id or str(uuid.uuid4())
        event = submitted(application_id, category, kind, school, name, revision)
        self.deliver(event, "registration", application_id)
        return application_id

    def dedup(self, application_id: str, passed=True, revision=1, reason="") -> str:
        return self.deliver(
            dedup_completed(application_id, passed, revision, reason), "dedup", application_id
        )

    def published(self, event_type: str | None = None) -> list:
        """The events review wrote to its outbox, oldest first."""
        outbox = self.rt.spec.outbox
        with self.rt.session_factory() as session:
            bodies = session.execute(select(outbox.c.envelope).order_by(outbox.c.id)).scalars().all()
        events = [open_envelope(b)[1] for b in bodies]
        return [e for e in events if event_type is None or e.DESCRIPTOR.name == event_type]


NOW = dt.datetime(2026, 9, 1, tzinfo=dt.UTC)


def submitted(
    application_id: str,
    category="resident",
    kind="non_primary_freshman",
    school=SCHOOL,
    name=None,
    revision=1,
) -> events_pb2.ApplicationSubmitted:
    """An ApplicationSubmitted as registration publishes it, submitted by the school's registrar."""
    n = next(_serial)
    snapshot = events_pb2.ApplicationSnapshot(
        application_id=application_id,
        school_code=school,
        county_code=school[1:7],
        kind=RegistrationKind(kind).to_proto(),
        category=DocumentCategory(category).to_proto(),
        name=name or f"学生{n}",
        gender=1,
        birth_date=common_pb2.Date(year=2015, month=6, day=1),
        document_type=_DOCUMENT_TYPES[category].to_proto(),
        document_number_masked="" if category == "no_document" else f"330***********{n % 10000:04d}",
        grade="11",
        class_name="1班",
        revision=revision,
    )
    stamp = common_pb2.AuditStamp(org_unit_code=school, user_id="registrar", role=Role.SCHOOL_REGISTRAR.proto)
    return events_pb2.ApplicationSubmitted(application=snapshot, submitted_by=stamp)


def dedup_completed(application_id: str, passed=True, revision=1, reason="") -> events_pb2.DedupCompleted:
    outcome = events_pb2.DEDUP_OUTCOME_PASSED if passed else events_pb2.DEDUP_OUTCOME_FAILED
    return events_pb2.DedupCompleted(
        application_id=application_id,
        revision=revision,
        kind=events_pb2.DEDUP_KIND_IDENTITY_AUTHENTICATION,
        outcome=outcome,
        reason=reason,
    )
