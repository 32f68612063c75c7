"""StudentRecordCreated in batches at the province tier (issue 16 step 3), on PostgreSQL and SQLite,
each province with its national tier in another database behind a real socket: a batch through the
batch handler leaves both tiers as its events one by one through the single handler do, and costs
the province a number of statements that does not grow with the batch."""

from __future__ import annotations

import logging
from dataclasses import dataclass

import pytest
from dedup_helpers import (
    HASH_KEY,
    SCHOOL,
    SCHOOL_B,
    deliver,
    published,
    record_created,
    start_server,
    submitted,
)
from sqlalchemy import select

from xueji.v1 import events_pb2
from xueji_common.config import Settings
from xueji_common.hashing import document_hash
from xueji_common.messaging.envelope import new_envelope
from xueji_common.runtime.bootstrap import ServiceRuntime
from xueji_common.testing.bus import batch_body, consumer_of
from xueji_common.testing.infra import free_port
from xueji_common.testing.statements import statements_sent
from xueji_dedup.adapters.tables import (
    national_records,
    national_reservations,
    problem_groups,
    problem_students,
    province_records,
)
from xueji_dedup.spec import SPEC


@dataclass
class Tiers:
    province: ServiceRuntime
    nation: ServiceRuntime


@pytest.fixture(params=["postgresql", "sqlite"])
def tiers(request, tmp_path):
    """tiers() → a province tier and its national tier, each on a fresh database of the kind."""
    made, servers = [], []

    def runtime(settings: Settings) -> ServiceRuntime:
        if request.param == "postgresql":
            return request.getfixturevalue("service_runtime")(SPEC, settings)
        rt = ServiceRuntime(SPEC, settings, database_url=f"sqlite:///{tmp_path / f'dedup{len(made)}.db'}")
        rt.migrate()
        made.append(rt)
        return rt

    def make() -> Tiers:
        address = f"127.0.0.1:{free_port()}"
        nation = runtime(Settings(grpc_address=address, metrics_port=0, scope="national", hash_key=HASH_KEY))
        servers.append(start_server(nation))
        province = runtime(
            Settings(metrics_port=0, hash_key=HASH_KEY, grpc_address=f"127.0.0.1:{free_port()}").with_(
                peers={"dedup-national": address}
            )
        )
        return Tiers(province, nation)

    yield make
    for server in servers:
        server.stop(0)
    for rt in made:
        rt.close()


def app(name: str, passport: str = ""):
    if not passport:
        return submitted("", doc_type="Z", category=3, application_id=f"app-{name}")
    return submitted(passport, doc_type="A", category=2, application_id=f"app-{name}")


def created(name: str, passport: str = "", *, school=SCHOOL, version=1) -> events_pb2.StudentRecordCreated:
    return record_created(app(name, passport), record_id=name, school=school, version=version)


def setup(t: Tiers, handled_before: events_pb2.EventEnvelope) -> None:
    for name, passport in (("r1", "E0000001"), ("r2", "E0000007"), ("r6", "E0000006")):
        assert deliver(t.province, app(name, passport)) == "handled"
    assert deliver(t.province, events_pb2.ApplicationWithdrawn(application_id="app-r6")) == "handled"
    assert deliver(t.province, created("r0", "E0000002")) == "handled"  # no reservation: registers
    assert deliver(t.province, created("r5", "E0000005", version=3)) == "handled"
    assert consumer(t.province)(handled_before.SerializeToString()) == "handled"


def batch_events() -> list[events_pb2.StudentRecordCreated]:
    sharing = created("r2", "E0000007")  # reserved, then corrected to r0's document: 一人多籍
    sharing.record.document_hash = document_hash(HASH_KEY, "A", "E0000002")
    return [
        created("r1", "E0000001"),  # committed, holds the document alone
        sharing,
        created("r3"),  # no document ...
        created("r5", "E0000005", version=2),  # stale
        created("r6", "E0000006"),  # its reservation was released: registers
        created("r4", school=SCHOOL_B),  # ... and its twin in the same county
    ]


def consumer(rt):
    return consumer_of(rt, "StudentRecordCreated")


def envelope(event) -> events_pb2.EventEnvelope:
    return new_envelope(event, producer="registration", aggregate_id=event.record.record_id)


def state(t: Tiers):
    def rows(rt, table, order, drop=()):
        with rt.session_factory() as s:
            found = [dict(r._mapping) for r in s.execute(select(table).order_by(*order))]
        return [{k: v for k, v in r.items() if k not in drop} for r in found]

    p = t.province
    groups = {
        g["group_id"]: (g["kind"], g["match_key"]) for g in rows(p, problem_groups, [problem_groups.c.kind])
    }
    members = sorted(
        (*groups[s["group_id"]], s["record_id"])
        for s in rows(p, problem_students, [problem_students.c.record_id])
    )
    raised = [(type(e).__name__, sorted(getattr(e, "record_ids", []))) for e in published(p)]
    reservations = rows(
        t.nation,
        national_reservations,
        [national_reservations.c.application_id],
        ("reservation_id", "create_time", "expire_time", "update_time"),
    )
    return (
        rows(p, province_records, [province_records.c.record_id], ("update_time",)),
        members,
        raised,
        reservations,
        rows(t.nation, national_records, [national_records.c.record_id], ("update_time",)),
    )


def test_a_batch_ends_as_its_events_one_by_one(tiers, caplog):
    caplog.set_level(logging.INFO, logger="xueji_common.messaging.consumer")
    handled_before = envelope(created("r7", "E0000008"))
    batched, single = tiers(), tiers()
    for t in (batched, single):
        setup(t, handled_before)
    envelopes = [envelope(e) for e in batch_events()] + [handled_before]
    assert consumer(batched.province)(batch_body(envelopes)) == "handled"
    assert "event batch handled" in caplog.text  # set-based, not the consumer's fallback one by one
    outcomes = [consumer(single.province)(e.SerializeToString()) for e in envelopes]
    assert outcomes == ["handled"] * 6 + ["duplicate"]
    records, members, raised, reservations, held = state(batched)
    assert (records, members, raised, reservations, held) == state(single)
    assert [r["record_id"] for r in records] == ["r0", "r1", "r2", "r3", "r4", "r5", "r6", "r7"]
    assert {kind for kind, _, _ in members} == {"no_document_duplicate", "shared_document"}
    assert {(r["application_id"], r["state"], r["record_id"]) for r in reservations} >= {
        ("app-r1", "committed", "r1"),
        ("app-r6", "released", ""),
    }


def statements_of_a_batch(t: Tiers, first: int, n: int) -> int:
    events = []
    for i in range(first, first + n):
        assert deliver(t.province, app(f"r{i}", f"E{i:07d}")) == "handled"
        events.append(envelope(created(f"r{i}", f"E{i:07d}")))
    with statements_sent(t.province.engine) as counted:
        assert consumer(t.province)(batch_body(events)) == "handled"
    return len(counted)


def test_a_batch_costs_the_province_the_same_statements_for_5_records_as_for_50(tiers):
    t = tiers()
    assert statements_of_a_batch(t, 100, 5) == statements_of_a_batch(t, 200, 50)
    with t.nation.session_factory() as s:
        states = s.execute(select(national_reservations.c.state)).scalars().all()
    assert states == ["committed"] * 55
