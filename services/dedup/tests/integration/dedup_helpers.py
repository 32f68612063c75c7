"""Helpers of the dedup integration tests: events as the bus carries them, the outbox as published."""

from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import select

from xueji.v1 import common_pb2, events_pb2
from xueji_common.documents import mask_document_number
from xueji_common.grpcserver.server import GrpcServer
from xueji_common.hashing import document_hash
from xueji_common.messaging.envelope import new_envelope, open_envelope
from xueji_common.testing.bus import consumer_of
from xueji_common.testing.numbers import sealed
from xueji_dedup.spec import SPEC

HASH_KEY = "test-hash-key-" + "k" * 20
SCHOOL = "1330102001"  # 浙江省杭州市上城区胜利小学
SCHOOL_B = "1330102002"  # same county
SCHOOL_JS = "1320102001"  # 江苏省


def start_server(rt, bindings=None, address=None):
    server = GrpcServer(
        bindings or SPEC.grpc_bindings(rt),
        address or rt.settings.grpc_address,
        rt.tokens,
        public_methods=SPEC.public_methods,
    )
    server.start()
    return server


# The numbers of the applications `submitted` made: events carry none, so `deliver` first stores the
# application in the registration beside dedup (conftest), which dedup then asks for it.
NUMBERS: dict[str, str] = {}


def store_in_registration(rt, a: events_pb2.ApplicationSnapshot) -> None:
    from sqlalchemy import delete, insert

    from xueji_common.db.engine import now
    from xueji_registration.adapters.tables import applications as t

    with rt.registration.engine.begin() as conn:
        conn.execute(delete(t).where(t.c.application_id == a.application_id))
        conn.execute(
            insert(t).values(
                application_id=a.application_id,
                school_code=a.school_code,
                kind="primary_freshman",
                category="resident",
                name=a.name,
                gender=a.gender,
                birth_date=dt.date(a.birth_date.year, a.birth_date.month, a.birth_date.day)
                if a.birth_date.year
                else dt.date(2015, 1, 1),
                document_type="1",
                document_number=NUMBERS.get(a.application_id, ""),
                # withdrawn: outside the one-live-per-document index (tests submit one document many times)
                document_hash=a.document_hash,
                state="withdrawn",
                authentication="not_authenticated",
                form={},
                created_by="test",
                created_at=now(),
                revision=a.revision,
                version=1,
            )
        )


def store_record_in_registration(rt, r: events_pb2.StudentRecordSnapshot) -> None:
    import hashlib

    from sqlalchemy import delete, insert, or_

    from xueji_common.db.engine import now
    from xueji_registration.adapters.tables import student_records as t

    with rt.registration.engine.begin() as conn:
        conn.execute(
            delete(t).where(or_(t.c.record_id == r.record_id, t.c.application_id == r.application_id))
        )
        conn.execute(
            insert(t).values(
                record_id=r.record_id,
                national_student_number="T" + hashlib.sha1(r.record_id.encode()).hexdigest()[:18],
                national_student_number_hash=hashlib.sha256(r.record_id.encode()).hexdigest(),
                number_kind="temporary",
                application_id=r.application_id,
                school_code=r.school_code,
                province_code=r.province_code,
                city_code="",
                county_code="",
                kind="primary_freshman",
                category="resident",
                stage="primary",
                enrolment_status="enrolled",
                name=r.name,
                gender=r.gender,
                birth_date=dt.date(2015, 1, 1),
                document_type="1",
                document_number=NUMBERS.get(r.application_id, ""),
                document_hash=r.document_hash,
                form={},
                problem_record=False,
                problem_group_id="",
                cancelled=False,
                version=r.version,
                created_at=now(),
                updated_at=now(),
            )
        )


def deliver(rt, event, producer="registration", event_id=None, correlation_id=""):
    """Hand one event to the dedup consumer subscribed to its type, as the bus does."""
    if isinstance(event, events_pb2.ApplicationSubmitted) and hasattr(rt, "registration"):
        store_in_registration(rt, event.application)
    if isinstance(event, (events_pb2.StudentRecordCreated, events_pb2.StudentRecordChanged)) and hasattr(
        rt, "registration"
    ):
        store_record_in_registration(rt, event.record)
    body = new_envelope(
        event, producer=producer, event_id=event_id, correlation_id=correlation_id
    ).SerializeToString()
    consumer = consumer_of(rt, type(event).__name__)
    return consumer(body)


def published(rt, event_type=None) -> list:
    outbox = rt.spec.outbox
    with rt.session_factory() as s:
        bodies = s.execute(select(outbox.c.envelope).order_by(outbox.c.id)).scalars().all()
    events = [open_envelope(b)[1] for b in bodies]
    return [e for e in events if event_type is None or type(e).__name__ == event_type]


def submitted(
    number: str,
    *,
    doc_type="1",
    category=2,
    name="张三",
    gender=1,
    birth=dt.date(2015, 6, 1),
    school=SCHOOL,
    revision=1,
    application_id=None,
    kind=2,
    hash_key=HASH_KEY,
):
    """An ApplicationSubmitted event. doc_type is the JY/T code; category 1 resident, 2 HMT, 3 none."""
    from xueji_common.documents import DocumentType

    t = DocumentType(doc_type)
    application_id = application_id or str(uuid.uuid4())
    NUMBERS[application_id] = number
    return events_pb2.ApplicationSubmitted(
        application=events_pb2.ApplicationSnapshot(
            application_id=application_id,
            school_code=school,
            county_code=school[1:7],
            kind=kind,
            category=category,
            name=name,
            gender=gender,
            birth_date=common_pb2.Date(year=birth.year, month=birth.month, day=birth.day),
            document_type=t.to_proto(),
            document_number_masked=mask_document_number(number),
            document_hash=document_hash(hash_key, t.value, number) if number else "",
            revision=revision,
        ),
    )


def resident(person, **kw):
    values = dict(
        doc_type="1", category=1, name=person.name, gender=int(person.gender), birth=person.birth_date
    )
    return submitted(person.resident_id, **{**values, **kw})


def record_created(
    app_event, *, record_id=None, nsn="", temporary=True, school=None, province=None, version=1
):
    a = app_event.application
    school = school or a.school_code
    snapshot = events_pb2.StudentRecordSnapshot(
        record_id=record_id or str(uuid.uuid4()),
        **sealed(nsn or f"L{school[1:7]}201506011234"),
        temporary_number=temporary,
        application_id=a.application_id,
        school_code=school,
        province_code=province or school[1:3] + "0000",
        name=a.name,
        gender=a.gender,
        birth_date=a.birth_date,
        document_type=a.document_type,
        document_number_masked=a.document_number_masked,
        document_hash=a.document_hash,
        category=a.category,
        version=version,
    )
    return events_pb2.StudentRecordCreated(record=snapshot)


def pull_national_events(rt) -> int:
    """One run of the province tier's periodic job: the national tier's problem events pulled and
    republished (an identity of the nation, as in these tests, pulls every province)."""
    from xueji_dedup.entrypoints.maintenance import NationalEvents

    return NationalEvents(rt).run_once()


def pull_for(rt, province_code: str) -> int:
    """The pull job of a province tier whose identity speaks for `province_code` (production)."""
    from xueji_dedup.adapters.peers import Peers
    from xueji_dedup.service_layer.national_inbox import pull_province

    return pull_province(rt.uow_factory, Peers(rt).national, province_code, tree=rt.tree)
