"""A batch's ApplicationSubmitted envelopes, written straight in the wire format, are byte for byte
what the protobuf runtime makes of each application; new ids are version 4 UUIDs."""

import datetime as dt
import uuid

from google.protobuf.timestamp_pb2 import Timestamp

from xueji_common.auth import Principal, Role
from xueji_common.documents import DocumentCategory, DocumentType, validate_document
from xueji_common.messaging.envelope import new_envelope, open_envelope
from xueji_common.vocabulary import RegistrationKind
from xueji_registration.adapters import batch_events, events
from xueji_registration.domain.batches import SubmittedBatch, new_ids
from xueji_registration.domain.identity import Identity
from xueji_registration.domain.model import Application, EntryChannel
from xueji_registration.testing import resident_id, sample_form

BY = Principal("registrar-7", Role.SCHOOL_REGISTRAR, "1330102001")
AT = dt.datetime(2024, 9, 1, 8, 30, 15, 123456, tzinfo=dt.UTC)


def identity(name, number, doc_type=DocumentType.RESIDENT_ID, **kw):
    document = validate_document(doc_type, number)
    return Identity(
        name, kw.get("gender") or document.gender, kw.get("birth_date") or document.birth_date, document
    )


def batch_of(category, identities, forms):
    first = Application.submit(
        school_code="1330102001",
        kind=RegistrationKind.NON_PRIMARY_FRESHMAN,
        category=category,
        identity=identities[0],
        form=forms[0],
        document_hash="h0",
        created_by=BY.user_id,
        now=AT,
        entry_channel=EntryChannel.IMPORT,
        import_id="imp-1",
    )
    first.county_code = "330102"
    batch = SubmittedBatch(first)
    for i, (who, form) in enumerate(zip(identities, forms)):
        batch.add(
            first.application_id if i == 0 else f"app-{i}", who, f"{i:064x}", form, "" if i % 2 else f"t-{i}"
        )
    return batch


def check(batch):
    occurred = Timestamp()
    occurred.FromDatetime(AT)
    ids = new_ids(len(batch.rows))
    written = batch_events.submitted_envelopes(
        batch, county_code="330102", by=BY, producer="registration", event_ids=ids, occurred_at=occurred
    )
    for app, event_id, (got_id, aggregate, envelope) in zip(batch.applications(), ids, written):
        expected = new_envelope(
            events.application_submitted(app, county_code="330102", by=BY),
            producer="registration",
            aggregate_id=app.application_id,
            event_id=event_id,
            occurred_at=occurred,
        )
        assert (got_id, aggregate) == (event_id, app.application_id)
        assert envelope == expected.SerializeToString()
        assert open_envelope(envelope)[1].application.name == app.identity.name


def test_resident_students_events_are_what_the_runtime_writes():
    forms = [sample_form(), sample_form(grade="", className=""), sample_form(className="高一（3）班" * 20)]
    people = [
        identity("张三", resident_id()),
        identity("欧阳娜娜" * 10, resident_id("20090228", "002")),
        identity("李", resident_id("20151231", "999")),
    ]
    check(batch_of(DocumentCategory.RESIDENT, people, forms))


def test_hmt_foreign_students_events_are_what_the_runtime_writes():
    people = [
        identity("陈大文", "A123456(3)", DocumentType.HK, gender=2, birth_date=dt.date(2016, 5, 4)),
        identity(
            "John Smith", "E12345678", DocumentType.PASSPORT, gender=1, birth_date=dt.date(2001, 12, 31)
        ),
    ]
    check(batch_of(DocumentCategory.HMT_FOREIGN, people, [sample_form("hmt_foreign")] * 2))


def test_new_ids_are_random_version_4_uuids_written_as_uuid_writes_them():
    ids = new_ids(1000)
    assert len(set(ids)) == 1000
    for text in ids:
        parsed = uuid.UUID(text)
        assert parsed.version == 4 and parsed.variant == uuid.RFC_4122 and str(parsed) == text


def test_an_imports_events_carry_its_request_id_user_and_trace_as_the_runtime_writes_them():
    from opentelemetry import trace
    from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

    from xueji_common import callcontext, tracing

    tracing.install("test", exporter=InMemorySpanExporter(), batch=False)
    try:
        tracer = trace.get_tracer("test", tracer_provider=tracing.provider())
        with tracer.start_as_current_span("import"), callcontext.bound("req-1", BY.user_id):
            people = [identity("张三", resident_id()), identity("李四", resident_id("20090228", "002"))]
            batch = batch_of(DocumentCategory.RESIDENT, people, [sample_form()] * 2)
            check(batch)
            occurred = Timestamp()
            occurred.FromDatetime(AT)
            [(_, _, envelope), _] = batch_events.submitted_envelopes(
                batch,
                county_code="330102",
                by=BY,
                producer="registration",
                event_ids=new_ids(2),
                occurred_at=occurred,
            )
        opened, _ = open_envelope(envelope)
        assert (opened.request_id, opened.user) == ("req-1", BY.user_id) and opened.traceparent
    finally:
        tracing.uninstall()
