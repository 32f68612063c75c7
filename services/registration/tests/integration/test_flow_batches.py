"""The flow's events in batches (service_layer/flow_batch.py) through the real consumer, on PostgreSQL
and on SQLite: the same messages (stale, repeated, late and unknown items among them) handled as
EventBatches by the batch handlers and one by one by the single handlers, in two fresh databases,
leave the same applications, records and events; and a batch costs the same number of statements
for 5 events as for 50."""

from __future__ import annotations

import dataclasses
import datetime as dt
import uuid

import pytest
from sqlalchemy import select

from xueji.v1 import events_pb2
from xueji_common.config import Settings
from xueji_common.documents import DocumentCategory, DocumentType, Gender, validate_document
from xueji_common.errors import ConcurrentModification
from xueji_common.messaging.consumer import EventConsumer
from xueji_common.messaging.envelope import new_envelope, open_envelope
from xueji_common.runtime.bootstrap import ServiceRuntime
from xueji_common.testing.statements import statements_sent
from xueji_common.vocabulary import RegistrationKind
from xueji_registration.adapters.tables import applications, outbox, student_records
from xueji_registration.adapters.unit_of_work import RegistrationUnitOfWork
from xueji_registration.domain.identity import Identity
from xueji_registration.domain.model import Application
from xueji_registration.domain.records import NumberKind
from xueji_registration.entrypoints.events import SUBSCRIPTIONS
from xueji_registration.service_layer.ports import Collaborators, NumberRequest, NumberTaken
from xueji_registration.spec import SPEC
from xueji_registration.testing import resident_id, sample_form

SCHOOL = "1330102001"
AT = dt.datetime(2026, 9, 1, 8, 30, tzinfo=dt.UTC)
TAKEN = resident_id("20120304", "077")  # its G number is held by a record of another province
STAGES = {
    "report": events_pb2.REVIEW_STAGE_AWAITING_REPORT,
    "county": events_pb2.REVIEW_STAGE_AWAITING_COUNTY_REVIEW,
}


class Numbers:
    """The national tier's numbers, the same in every database: an L number drawn from its owner."""

    def __init__(self) -> None:
        self.calls = 0

    def reserve(self, *, kind, owner_id, division_code, birth_date, resident_id_number=""):
        [number] = self.reserve_many(
            [NumberRequest(kind, owner_id, division_code, birth_date, resident_id_number)]
        )
        if number is None:
            raise NumberTaken(owner_id)
        return number

    def reserve_many(self, requests):
        self.calls += 1
        out = []
        for r in requests:
            if r.kind is NumberKind.FORMAL:
                out.append(None if r.resident_id_number == TAKEN else "G" + r.resident_id_number)
            else:
                out.append(f"L{r.division_code}{r.birth_date:%Y%m%d}{uuid.UUID(r.owner_id).int % 10000:04d}")
        return out


@pytest.fixture(params=["postgresql", "sqlite"])
def databases(request, service_runtime, tmp_path):
    """Factory of fresh migrated registration databases of the parameter's kind."""
    made = []

    def make():
        if request.param == "postgresql":
            return service_runtime(SPEC)
        rt = ServiceRuntime(SPEC, Settings(data_dir=tmp_path / str(len(made)), metrics_port=0))
        rt.migrate()
        made.append(rt)
        return rt

    yield make
    for rt in made:
        rt.close()


@dataclasses.dataclass
class Registration:
    runtime: ServiceRuntime
    numbers: Numbers

    def uow(self) -> RegistrationUnitOfWork:
        rt = self.runtime
        collaborators = Collaborators(rt.tree, rt.settings.hash_key, self.numbers, rt.settings.data_keyring())
        return RegistrationUnitOfWork(rt.session_factory, None, collaborators)

    def deliver(self, event_type: str, envelopes: list[bytes], *, batched: bool) -> None:
        [subscription] = [s for s in SUBSCRIPTIONS if s.event_type == event_type]
        consumer = EventConsumer("registration", subscription, self.uow)
        if batched:
            consumer(events_pb2.EventBatch(envelopes=envelopes).SerializeToString())
        else:
            for body in envelopes:
                consumer(body)

    def rows(self, table, order, *ignored: str) -> list[dict]:
        with self.runtime.session_factory() as session:
            found = [r._asdict() for r in session.execute(select(table).order_by(order))]
        return [{k: v for k, v in r.items() if k not in ignored} for r in found]

    def published(self) -> list[tuple]:
        out = []
        for body in (r["envelope"] for r in self.rows(outbox, outbox.c.id)):
            envelope, e = open_envelope(body)
            r = e.record
            out.append(
                (
                    envelope.type,
                    envelope.aggregate_id,
                    envelope.correlation_id,  # the application's, as the single path's
                    r.national_student_number_hash,
                    r.problem_record,
                )
            )
        return out


def application(i: int, kind: RegistrationKind, category: DocumentCategory = DocumentCategory.RESIDENT):
    number = TAKEN if i == 3 else resident_id("20120304", f"{i:03d}")
    if category is DocumentCategory.NO_DOCUMENT:
        document = validate_document(DocumentType.OTHER, "")
    else:
        document = validate_document(DocumentType.RESIDENT_ID, number)
    app = Application.submit(
        school_code=SCHOOL,
        kind=kind,
        category=category,
        identity=Identity(f"学生{i}", document.gender or Gender.MALE, dt.date(2012, 3, 4), document),
        form=sample_form(),
        document_hash=f"{i:064d}",
        created_by="registrar-1",
        now=AT,
    )
    app.application_id = str(uuid.UUID(int=i + 1))
    app.county_code, app.city_code, app.province_code = "330102", "330100", "330000"
    return app


def envelope(message, app_id: str, producer: str) -> bytes:
    return new_envelope(message, producer=producer, aggregate_id=app_id).SerializeToString()


def dedup(app_id: str, passed: bool = True, revision: int = 1) -> bytes:
    outcome = events_pb2.DEDUP_OUTCOME_PASSED if passed else events_pb2.DEDUP_OUTCOME_FAILED
    reason = "" if passed else "认证失败"
    return envelope(
        events_pb2.DedupCompleted(application_id=app_id, revision=revision, outcome=outcome, reason=reason),
        app_id,
        "dedup",
    )


def step(app_id: str, stage: str, revision: int = 1) -> bytes:
    unit = SCHOOL if stage == "report" else "330102"
    message = events_pb2.ReviewProgressed(
        application_id=app_id, revision=revision, stage=STAGES[stage], handling_unit_code=unit
    )
    return envelope(message, app_id, "review")


def approval(app_id: str, revision: int = 1) -> bytes:
    return envelope(
        events_pb2.RegistrationApproved(application_id=app_id, revision=revision), app_id, "review"
    )


def flow_messages(ids: list[str]) -> list[tuple[str, list[bytes]]]:
    """apps 0-3 gated residents (3's G number taken), 4 fails authentication, 5 a freshman resident
    approved before authentication ends, 6 without a document; an unknown id and stale revisions."""
    unknown = str(uuid.UUID(int=999))
    gated, freshman, nodoc = ids[:5], ids[5], ids[6]
    reviewable = [*gated[:4], freshman, nodoc]
    return [
        (
            "DedupCompleted",
            [dedup(i) for i in gated[:4]] + [dedup(gated[4], False), dedup(unknown), dedup(nodoc)],
        ),
        (
            "ReviewProgressed",
            [step(i, "report") for i in reviewable]
            + [step(i, "county") for i in reviewable]
            + [step(gated[0], "report"), step(gated[1], "county", revision=2), step(unknown, "report")],
        ),
        (
            "RegistrationApproved",
            [approval(i) for i in reviewable] + [approval(gated[0]), approval(gated[4])],
        ),
        ("DedupCompleted", [dedup(freshman), dedup(freshman, False), dedup(gated[0], False)]),
    ]


def run(make, *, batched: bool) -> Registration:
    reg = Registration(make(), Numbers())
    kinds = [RegistrationKind.NON_PRIMARY_FRESHMAN] * 5 + [RegistrationKind.PRIMARY_FRESHMAN]
    apps = [application(i, kind) for i, kind in enumerate(kinds)]
    apps.append(application(6, RegistrationKind.NON_PRIMARY_FRESHMAN, DocumentCategory.NO_DOCUMENT))
    with reg.uow() as uow:
        uow.applications.add_many(apps)
        uow.commit()
    for event_type, bodies in flow_messages([a.application_id for a in apps]):
        reg.deliver(event_type, bodies, batched=batched)
    return reg


def test_batches_and_one_by_one_leave_the_same_applications_records_and_events(databases):
    batched, single = run(databases, batched=True), run(databases, batched=False)
    for reg in (batched, single):
        states = [r["state"] for r in reg.rows(applications, applications.c.application_id)]
        assert states == ["approved"] * 4 + ["dedup_failed", "approved", "approved"]
    assert batched.numbers.calls == 3  # the approval batch's, its L numbers for a taken G, the dedup batch's
    assert batched.rows(applications, applications.c.application_id, "updated_at") == single.rows(
        applications, applications.c.application_id, "updated_at"
    )
    in_batches = batched.rows(student_records, student_records.c.record_id, "created_at", "updated_at")
    assert len(in_batches) == 6
    assert in_batches == single.rows(student_records, student_records.c.record_id, "created_at", "updated_at")
    assert sorted(batched.published()) == sorted(single.published()) and len(batched.published()) == 6


def statements_of(make, event_type: str, n: int) -> int:
    reg = Registration(make(), Numbers())
    apps = [
        application(i, RegistrationKind.NON_PRIMARY_FRESHMAN, DocumentCategory.NO_DOCUMENT) for i in range(n)
    ]
    with reg.uow() as uow:
        uow.applications.add_many(apps)
        uow.commit()
    ids = [a.application_id for a in apps]
    reg.deliver("ReviewProgressed", [step(i, "report") for i in ids], batched=True)
    bodies = {
        "ReviewProgressed": [step(i, "county") for i in ids],
        "RegistrationApproved": [approval(i) for i in ids],
    }[event_type]
    with statements_sent(reg.runtime.session_factory.kw["bind"]) as seen:
        reg.deliver(event_type, bodies, batched=True)
    states = {r["state"] for r in reg.rows(applications, applications.c.application_id)}
    assert states == {"awaiting_county_review" if event_type == "ReviewProgressed" else "approved"}
    return len(seen)


@pytest.mark.parametrize("event_type", ["ReviewProgressed", "RegistrationApproved"])
def test_a_batch_costs_as_many_statements_for_5_events_as_for_50(databases, event_type):
    assert statements_of(databases, event_type, 5) == statements_of(databases, event_type, 50)


def test_a_row_changed_since_it_was_read_fails_the_whole_write_back(databases):
    reg = Registration(databases(), Numbers())
    apps = [
        application(i, RegistrationKind.NON_PRIMARY_FRESHMAN, DocumentCategory.NO_DOCUMENT) for i in range(3)
    ]
    with reg.uow() as uow:
        uow.applications.add_many(apps)
        uow.commit()
    with reg.uow() as uow:
        read = uow.applications.get_many([a.application_id for a in apps])
        changed = read[apps[1].application_id]
        uow.applications.save(dataclasses.replace(changed), changed.version)  # someone else's change
        for app in read.values():
            app.version += 1
        with pytest.raises(ConcurrentModification):
            uow.applications.save_flow_changes([(app, app.version - 1) for app in read.values()])
