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
from xueji_dedup.spec import SPEC

HASH_KEY = "test-hash-key-" + "k" * 20
SCHOOL = "1330102001"          # 浙江省杭州市上城区胜利小学
SCHOOL_B = "1330102002"        # same county
SCHOOL_JS = "1320102001"       # 江苏省


def start_server(rt, bindings=None, address=None):
    server = GrpcServer(bindings or SPEC.grpc_bindings(rt), address or rt.settings.grpc_address, rt.tokens,
                        public_methods=SPEC.public_methods)
    server.start()
    return server


def deliver(rt, event, producer="registration", event_id=None, correlation_id=""):
    """Hand one event to the dedup consumer subscribed to its type, as the bus does."""
    body = new_envelope(event, producer=producer, event_id=event_id,
                        correlation_id=correlation_id).SerializeToString()
    [consumer] = [c for c in rt.consumers() if c.subscription.event_type == type(event).__name__]
    return consumer(body)


def published(rt, event_type=None) -> list:
    outbox = rt.spec.outbox
    with rt.session_factory() as s:
        bodies = s.execute(select(outbox.c.envelope).order_by(outbox.c.id)).scalars().all()
    events = [open_envelope(b)[1] for b in bodies]
    return [e for e in events if event_type is None or type(e).__name__ == event_type]


def submitted(number: str, *, doc_type="1", category=2, name="张三", gender=1, birth=dt.date(2015, 6, 1),
              school=SCHOOL, revision=1, application_id=None, kind=2, hash_key=HASH_KEY):
    """An ApplicationSubmitted event. doc_type is the JY/T code; category 1 resident, 2 HMT, 3 none."""
    from xueji_common.documents import DocumentType

    t = DocumentType(doc_type)
    return events_pb2.ApplicationSubmitted(
        application=events_pb2.ApplicationSnapshot(
            application_id=application_id or str(uuid.uuid4()), school_code=school, county_code=school[1:7],
            kind=kind, category=category, name=name, gender=gender,
            birth_date=common_pb2.Date(year=birth.year, month=birth.month, day=birth.day),
            document_type=t.to_proto(), document_number_masked=mask_document_number(number),
            document_hash=document_hash(hash_key, t.value, number) if number else "", revision=revision),
        document_number=number)


def resident(person, **kw):
    values = dict(doc_type="1", category=1, name=person.name, gender=int(person.gender), birth=person.birth_date)
    return submitted(person.resident_id, **{**values, **kw})


def record_created(app_event, *, record_id=None, nsn="", temporary=True, school=None, province=None, version=1):
    a = app_event.application
    school = school or a.school_code
    snapshot = events_pb2.StudentRecordSnapshot(
        record_id=record_id or str(uuid.uuid4()), national_student_number=nsn or f"L{school[1:7]}201506011234",
        temporary_number=temporary, application_id=a.application_id, school_code=school,
        province_code=province or school[1:3] + "0000", name=a.name, gender=a.gender, birth_date=a.birth_date,
        document_type=a.document_type, document_number_masked=a.document_number_masked,
        document_hash=a.document_hash, category=a.category, version=version)
    return events_pb2.StudentRecordCreated(record=snapshot, document_number=app_event.document_number)
