"""Batches of ApplicationSubmitted through the consumer's batch handler (service_layer/province_batch.py)
against the single handler, on PostgreSQL and on SQLite: the same events (stale, repeated and
redelivered ones among them) into two fresh databases, once in batches and once one by one, leave the
same checks, reservations and DedupCompleted events; and the batch handler's statements do not grow
with the batch."""

from __future__ import annotations

import threading
import uuid

import pytest
from dedup_helpers import (
    HASH_KEY,
    SCHOOL,
    SCHOOL_JS,
    resident,
    start_server,
    store_in_registration,
    submitted,
)
from sqlalchemy import event, insert, select

from xueji.v1 import events_pb2
from xueji_common.config import Settings
from xueji_common.hashing import document_hash
from xueji_common.messaging.envelope import new_envelope
from xueji_common.runtime.bootstrap import ServiceRuntime
from xueji_common.testing.bus import consumer_of
from xueji_common.testing.infra import free_port
from xueji_dedup.adapters.tables import national_reservations, population, province_applications
from xueji_dedup.service_layer import province
from xueji_dedup.spec import SPEC
from xueji_registration.spec import SPEC as REGISTRATION


@pytest.fixture(params=["postgresql", "sqlite"])
def make_world(request, people, tmp_path):
    """Factory: a dedup (both tiers, its register loaded) with registration beside it, on a fresh
    database of the parameter's dialect, serving gRPC on its own address (its peers)."""
    made, servers = [], []

    def runtime(spec, settings, name):
        if request.param == "postgresql":
            return request.getfixturevalue("service_runtime")(spec, settings)
        rt = ServiceRuntime(spec, settings, database_url=f"sqlite:///{tmp_path / name}.db")
        rt.migrate()
        made.append(rt)
        return rt

    def make():
        settings = Settings(grpc_address=f"127.0.0.1:{free_port()}", metrics_port=0, hash_key=HASH_KEY)
        n = len(servers)
        rt = runtime(SPEC, settings, f"dedup{n}")
        with rt.engine.begin() as conn:
            conn.execute(
                insert(population),
                [
                    dict(
                        document_hash=document_hash(HASH_KEY, "1", p.resident_id),
                        name=p.name,
                        gender=int(p.gender),
                        birth_date=p.birth_date,
                        household_division=p.household_division,
                    )
                    for p in people
                ],
            )
        rt.registration = runtime(REGISTRATION, settings, f"registration{n}")
        servers.append(
            start_server(rt, [*SPEC.grpc_bindings(rt), *REGISTRATION.grpc_bindings(rt.registration)])
        )
        return rt

    yield make
    for server in servers:
        server.stop(0)
    for rt in made:
        rt.close()


def _consumer(rt):
    consumer = consumer_of(rt, "ApplicationSubmitted")
    return consumer


def deliver_batch(rt, events: list[tuple[str, events_pb2.ApplicationSubmitted]]) -> str:
    """One bus message of these (event id, event): an EventBatch, as the relay sends them."""
    for _, e in events:
        store_in_registration(rt, e.application)
    envelopes = [new_envelope(e, producer="registration", event_id=i).SerializeToString() for i, e in events]
    return _consumer(rt)(events_pb2.EventBatch(envelopes=envelopes).SerializeToString())


def deliver_one(rt, event_id: str, e: events_pb2.ApplicationSubmitted) -> str:
    store_in_registration(rt, e.application)
    return _consumer(rt)(new_envelope(e, producer="registration", event_id=event_id).SerializeToString())


def state(rt):
    with rt.engine.connect() as conn:
        checks = sorted(
            (
                r.application_id,
                r.revision,
                r.outcome,
                r.reason_code,
                r.reason,
                bool(r.reservation_id),
                r.state,
            )
            for r in conn.execute(select(province_applications))
        )
        held = sorted((r.application_id, r.state) for r in conn.execute(select(national_reservations)))
        outbox = rt.spec.outbox
        bodies = conn.execute(select(outbox.c.envelope).order_by(outbox.c.id)).scalars().all()
    from xueji_common.messaging.envelope import open_envelope

    done = [open_envelope(b)[1] for b in bodies]
    return (
        checks,
        held,
        [(e.application_id, e.revision, e.outcome, e.reason_code, e.reason) for e in done],
    )


def batches(people) -> list[list[tuple[str, events_pb2.ApplicationSubmitted]]]:
    """Three bus messages: a mixed batch; stale and repeated items with a new one; the second again."""
    ok, wrong_name = people[0], people[1]
    passport = submitted("E12345678")
    later = submitted("E22222222", revision=2)
    first = [
        passport,
        submitted("E12345678", school=SCHOOL_JS),  # the same passport: held by the first
        resident(ok),
        resident(wrong_name, name=wrong_name.name + "某"),  # the register refuses it
        submitted("", doc_type="Z", category=3),  # no document: no gate
        later,  # revision 2 first
        resident(ok, school=SCHOOL_JS),  # the same resident ID again: held
    ]
    second = [
        submitted("E22222222", revision=1, application_id=later.application.application_id),  # stale
        submitted("E12345678", application_id=passport.application.application_id),  # checked already
        submitted("E33333333", school=SCHOOL),
    ]
    ids = lambda events: [(str(uuid.uuid4()), e) for e in events]  # noqa: E731
    second_ids = ids(second)
    return [ids(first), second_ids, second_ids]  # the last one: the bus delivers it again


def test_batches_leave_what_one_by_one_leaves(make_world, people, monkeypatch):
    messages = batches(people)
    single = make_world()
    for message in messages:
        for event_id, e in message:
            deliver_one(single, event_id, e)

    singles = []
    original = province.application_submitted
    monkeypatch.setattr(
        province, "application_submitted", lambda *a, **k: singles.append(1) or original(*a, **k)
    )
    batched = make_world()
    assert [deliver_batch(batched, m) for m in messages] == [
        "handled"
    ] * 3  # the last one: all its events handled before
    assert singles == []  # every event went through the batch handler

    assert state(batched) == state(single)
    checks, held, done = state(batched)
    assert [c[2] for c in checks].count("passed") == 4 and len(done) == 7
    assert sorted(s for _, s in held) == ["active"] * 4


def test_an_application_twice_in_a_batch_falls_back_one_by_one_with_the_same_outcome(make_world):
    first = submitted("E44444444")
    again = submitted("E55555555", revision=2, application_id=first.application.application_id)
    message = [(str(uuid.uuid4()), first), (str(uuid.uuid4()), again)]
    batched, single = make_world(), make_world()
    for event_id, e in message:
        deliver_one(single, event_id, e)
    assert deliver_batch(batched, message) == "handled"
    assert state(batched) == state(single)
    assert [s for _, s in state(batched)[1]] == ["active", "released"]


def count_statements(rt, n: int) -> int:
    """Statements the consumer's thread issues for a batch of n new passports (the gRPC server's
    threads, the national tier and registration, not counted)."""
    me, counted = threading.get_ident(), []

    def count(*_):
        if threading.get_ident() == me:
            counted.append(1)

    message = [(str(uuid.uuid4()), submitted(f"E{uuid.uuid4().int % 10**8:08d}")) for _ in range(n)]
    for _, e in message:
        store_in_registration(rt, e.application)
    event.listen(rt.engine, "before_cursor_execute", count)
    try:
        envelopes = [
            new_envelope(e, producer="registration", event_id=i).SerializeToString() for i, e in message
        ]
        assert _consumer(rt)(events_pb2.EventBatch(envelopes=envelopes).SerializeToString()) == "handled"
    finally:
        event.remove(rt.engine, "before_cursor_execute", count)
    return len(counted)


def test_the_batch_handler_issues_as_many_statements_for_50_as_for_5(make_world, people):
    rt = make_world()
    deliver_batch(rt, [(str(uuid.uuid4()), resident(people[2]))])  # warm: the first batch's one-offs
    few, many = count_statements(rt, 5), count_statements(rt, 50)
    assert few == many and few < 15, (few, many)


def test_a_batch_claim_is_read_first_and_written_with_the_results_losing_to_a_claim_made_meanwhile(
    make_world,
):
    from xueji_common.errors import ConcurrentModification

    rt = make_world()
    with rt.uow_factory() as uow:
        uow.claim_event("e0", "c", "ApplicationSubmitted")
        uow.commit()
    with rt.uow_factory() as uow:
        assert uow.claim_events(["e0", "e1", "e2"], "c", "ApplicationSubmitted") == {"e1", "e2"}
        with rt.uow_factory() as other:  # another worker claims e2 meanwhile (no lock held by the first)
            assert other.claim_events(["e2"], "c", "ApplicationSubmitted") == {"e2"}
            other.commit()
        with pytest.raises(ConcurrentModification):  # the consumer then goes one by one
            uow.claim_now()
    with rt.uow_factory() as uow:
        assert uow.claim_events(["e0", "e1", "e2"], "c", "ApplicationSubmitted") == {"e1"}
        uow.commit()
        assert uow.claim_events(["e1"], "c", "ApplicationSubmitted") == set()
