"""Document numbers are encrypted at rest and never on the bus (issue 13 §4), in embedded mode: an
import of known resident IDs (students' and family members'), good rows and failed ones, runs through
registration → bus → dedup (which asks registration for the numbers over gRPC) → review; then every
file of the data directory (SQLite databases with their WAL, uploads) and every message that
crossed the bus is searched for those numbers: none is found."""

from __future__ import annotations

import re
import time

import grpc
import pytest
from sqlalchemy import func, select

from xueji.v1 import common_pb2, events_pb2, registration_pb2, registration_pb2_grpc
from xueji_common.auth import Role, TokenSigner
from xueji_common.config import DEV_SIGNING_KEY_FILE, Settings
from xueji_common.documents import DocumentCategory
from xueji_common.grpcserver.client import bearer
from xueji_common.runtime.embedded import EmbeddedSystem
from xueji_common.signing import SigningKey
from xueji_common.testing.infra import free_port
from xueji_common.vocabulary import RegistrationKind
from xueji_registration.adapters.excel import samples
from xueji_registration.domain.template.columns import registration_template

SCHOOL = "1330102001"
TEMPLATE = registration_template(RegistrationKind.NON_PRIMARY_FRESHMAN, DocumentCategory.RESIDENT)
RESIDENT_ID = re.compile(r"\d{17}[\dX]")


def known_rows():
    good = list(samples.student_rows(TEMPLATE, 4))
    bad_code = list(good[1])
    bad_code[5] = "火星族"  # 民族: a failed row, its cells kept for the error report
    return [good[0], bad_code, good[2], list(good[0]), good[3]]  # row 5 repeats row 2's number: failed


def numbers_in(rows) -> set[str]:
    return {c for row in rows for c in row if isinstance(c, str) and RESIDENT_ID.fullmatch(c)}


@pytest.fixture
def system(tmp_path):
    settings = Settings(
        data_dir=tmp_path / "data",
        grpc_address=f"127.0.0.1:{free_port()}",
        metrics_port=0,
        relay_interval=0.05,
    )
    system = EmbeddedSystem(settings)
    crossed: list[bytes] = []

    def recording(publish):  # every message that crosses a bus (a province's, the nation's)
        def publish_and_keep(producer, event_type, body):
            crossed.append(body)
            publish(producer, event_type, body)

        return publish_and_keep

    for tier in system.tiers:
        tier.bus.publish = recording(tier.bus.publish)
    system.crossed = crossed
    system.start()
    yield system
    system.stop()


def settled(system, timeout=60.0) -> None:
    """Every application checked by dedup, every outbox sent."""
    registration = system.runtime("registration", "zj")
    applications = registration.spec.metadata.tables["applications"]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with registration.session_factory() as s:
            waiting = s.execute(
                select(func.count())
                .select_from(applications)
                .where(applications.c.authentication == "not_authenticated")
            ).scalar_one()
        unsent = 0
        for rt in system.runtimes:
            with rt.session_factory() as s:
                unsent += s.execute(
                    select(func.count())
                    .select_from(rt.spec.outbox)
                    .where(rt.spec.outbox.c.published_at.is_(None))
                ).scalar_one()
        if waiting == 0 and unsent == 0:
            return
        time.sleep(0.2)
    raise AssertionError(f"not settled: {waiting} applications unchecked, {unsent} events unsent")


def test_no_document_number_is_stored_or_sent_in_clear(system):
    rows = known_rows()
    numbers = numbers_in(rows)
    assert len(numbers) == 5  # four students and their family member (监护人) of the sample form
    s = system.settings
    # Signed with the development key the system made in its data directory (test_embedded_mode.token).
    token = TokenSigner(SigningKey.load(s.data_dir / DEV_SIGNING_KEY_FILE), s.token_issuer, "xueji").mint(
        "registrar", Role.SCHOOL_REGISTRAR, SCHOOL, 3600
    )
    with grpc.insecure_channel(s.grpc_address) as channel:
        report = registration_pb2_grpc.RegistrationsStub(channel).ImportApplications(
            registration_pb2.ImportApplicationsRequest(
                school_code=SCHOOL,
                kind=common_pb2.REGISTRATION_KIND_NON_PRIMARY_FRESHMAN,
                category=common_pb2.DOCUMENT_CATEGORY_RESIDENT,
                file=common_pb2.FileContent(file_name="新生.xlsx", content=samples.workbook(TEMPLATE, rows)),
            ),
            metadata=bearer(token),
            timeout=60,
        )
    assert (report.rows_passed, report.rows_failed) == (3, 2)
    settled(system)
    # three ApplicationSubmitted, three DedupCompleted at least (a bus message may be a batch of them)
    assert sum(_envelopes(body) for body in system.crossed) >= 6

    files = [p for p in s.data_dir.rglob("*") if p.is_file()]
    assert any(p.suffix == ".db" for p in files)
    hits = {
        str(p.relative_to(s.data_dir)): sorted(n for n in numbers if n.encode() in p.read_bytes())
        for p in files
    }
    assert {name: found for name, found in hits.items() if found} == {}
    on_bus = [n for body in system.crossed for n in numbers if n.encode() in body]
    assert on_bus == []


def _envelopes(body: bytes) -> int:
    """How many events a bus message carries: an EventBatch's envelopes, else one."""
    try:
        return len(events_pb2.EventBatch.FromString(body).envelopes) or 1
    except Exception:
        return 1


# -- production mode: real processes, PostgreSQL, RabbitMQ -----------------------------------------


def _capture(amqp_uri: str, producers: tuple[str, ...]):
    """A queue bound to every event of `producers` on the province's broker: what crosses the bus."""
    import uuid

    from kombu import Connection, Queue
    from nameko.standalone.events import get_event_exchange

    conn = Connection(amqp_uri, connect_timeout=5)
    channel = conn.channel()
    name = f"capture-{uuid.uuid4().hex[:8]}"
    for producer in producers:
        Queue(
            name, exchange=get_event_exchange(producer, {}), routing_key="#", auto_delete=False, durable=False
        )(channel).declare()
    return conn, channel, name


def _drain(channel, name: str) -> list[bytes]:
    """The envelopes as they crossed: nameko's JSON carries each as base64 (messaging.bus.encode_body),
    which a search of the raw message would never match; decoded, a clear number would show."""
    import json

    from xueji_common.messaging.bus import decode_body

    bodies = []
    while (message := channel.basic_get(name, no_ack=True)) is not None:
        bodies.append(decode_body(json.loads(message.body)))
    channel.queue_delete(name)
    return bodies


def _tables_holding(cluster, numbers: set[str]) -> dict[str, list[str]]:
    """Per database.table of the cluster, the numbers found in clear in its rows (inside a G number too):
    every table of every database, national-query's read model included."""
    from tests.e2e.actors import sql

    hits = {}
    for db in cluster.db:
        for (table,) in sql(
            cluster,
            db,
            "SELECT table_name FROM information_schema.tables WHERE "
            "table_schema = 'public' AND table_type = 'BASE TABLE'",
        ):
            rows = sql(cluster, db, f'SELECT CAST(t AS text) FROM "{table}" AS t')
            found = sorted({n for (row,) in rows for n in numbers if n in row})
            if found:
                hits[f"{db}.{table}"] = found
    return hits


@pytest.mark.slow
def test_in_production_mode_no_document_number_is_stored_or_sent_in_clear(zj, people):
    from tests.e2e.actors import NON_PRIMARY, RESIDENT, identity_form, wait_for

    from xueji_registration.testing import sample_form

    cluster = zj.cluster
    conn, channel, queue = _capture(cluster.amqp["zj"], ("registration", "dedup", "review"))
    try:
        persons = [people.older(), people.older()]
        forms = [{**sample_form("resident", grade="11"), **identity_form(RESIDENT, p)} for p in persons]
        good, failed = forms[0], {**forms[1], "phone": "not a phone"}
        report = zj.import_rows(NON_PRIMARY, RESIDENT, [good, failed])
        assert (report.rows_passed, report.rows_failed) == (1, 1), report.errors
        wait_for(
            lambda: (
                zj.application(report.created_ids[0]).authentication_status
                != common_pb2.AUTHENTICATION_STATUS_NOT_AUTHENTICATED
            ),
            "dedup's check",
            60,
        )
        time.sleep(1.0)  # the check's own event (DedupCompleted) reaches the queue
        bodies = _drain(channel, queue)
    finally:
        conn.release()
    numbers = {p.resident_id for p in persons} | {
        m["document"]["number"] for f in forms for m in f.get("familyMembers", []) if m.get("document")
    }
    assert len(numbers) >= 3 and bodies
    assert [n for b in bodies for n in numbers if n.encode() in b] == []
    assert _tables_holding(cluster, numbers) == {}


@pytest.mark.slow
def test_in_production_mode_a_problem_records_corrected_number_crosses_the_bus_sealed(zj, people):
    """A department corrects a problem record's key data: dedup tells registration the corrected
    number in ProblemResolved, sealed with the data key; registration opens it and gives the G number."""
    from tests.e2e.actors import RESIDENT, identity_form, wait_for

    FORMAL = common_pb2.STUDENT_NUMBER_KIND_FORMAL

    person = people.freshman()
    wrong = identity_form(RESIDENT, person, name=person.name + "某")  # the register knows another name
    app = zj.supplementary(zj.transfer(wrong), wrong)
    zj.approve_all_levels(app.application_id, RESIDENT)
    _, record = zj.approved(app.application_id)
    record = wait_for(
        lambda: (r := zj.record(record.record_id)).problem_record and r.problem_group_id and r,
        "the problem record",
    )
    conn, channel, queue = _capture(zj.cluster.amqp["zj"], ("dedup", "registration"))
    try:
        zj.correct_problem(zj.problem_group(record.problem_group_id), record.record_id, name=person.name)
        fixed = wait_for(
            lambda: (r := zj.record(record.record_id)).number_kind == FORMAL and r,
            "the G number replacing the L number",
        )
        time.sleep(1.0)  # registration's StudentRecordChanged reaches the queue
        bodies = _drain(channel, queue)
    finally:
        conn.release()
    assert fixed.national_student_number == "G" + person.resident_id
    assert any(b"ProblemResolved" in b for b in bodies)
    # The record's StudentRecordChanged carries its G number sealed, hashed and masked: neither the
    # resident ID nor the G number (which contains it) crosses the bus in clear.
    assert any(b"StudentRecordChanged" in b for b in bodies)
    assert [b for b in bodies if person.resident_id.encode() in b] == []
    # At rest: registration's records, national-query's read model (encrypted) and every other store.
    assert _tables_holding(zj.cluster, {person.resident_id}) == {}
