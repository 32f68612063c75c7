"""A rotation of XUEJI_HASH_KEY on PostgreSQL across registration, both dedup tiers, national-query and
special-ed (deploy/OPERATIONS.md §8): the population register loaded again, `rehash` here, its
announcements consumed, `xueji dedup rehash --since` at both tiers. Afterwards duplicates are found in
the province and at the national tier, the national lookup finds the student by document number, and
no hash made with the old key is left in any of the five databases."""

from __future__ import annotations

import datetime as dt
import uuid

import grpc
import pytest
from click.testing import CliRunner
from registration_harness import create_request
from rotation_system import SCHOOL, SERVICES, register_file, start
from sqlalchemy import String, func, select

from xueji.v1 import (
    common_pb2,
    dedup_pb2,
    dedup_pb2_grpc,
    national_query_pb2,
    national_query_pb2_grpc,
    registration_pb2,
    registration_pb2_grpc,
)
from xueji_common import demo
from xueji_common.auth import Role
from xueji_common.db.engine import now
from xueji_common.hashing import document_hash
from xueji_common.orgunits import load_default_tree
from xueji_dedup.adapters.peers import holding_from_error
from xueji_dedup.adapters.register_file import load_register
from xueji_dedup.domain.problems import no_document_key
from xueji_dedup.service_layer.rotation import rekey_and_purge
from xueji_registration.service_layer.rehash import rehash

OLD, NEW = "rotation-old-key-" + "o" * 20, "rotation-new-key-" + "n" * 20
TWIN = ("赵六", 2, dt.date(2013, 7, 8), "330102")  # the no-document identity of create_request
P = registration_pb2


@pytest.fixture
def databases(pg_database):
    return {name: pg_database("xueji_rot_" + name.replace("-", "_")) for name in SERVICES}


def resident(person) -> P.CreateApplicationRequest:
    request = create_request("resident", number=person.resident_id)
    request.student.name = person.name
    return request


def issued_hashes(system, people, key: str) -> set[str]:
    """Every hash `key` makes of what the system holds: documents, student numbers, the twins' group."""
    from xueji_registration.adapters.preschool_tables import preschool_transfers
    from xueji_registration.adapters.tables import applications, student_records

    with system.runtimes["registration"].engine.connect() as conn:
        documents = {
            tuple(r)
            for t in (applications, student_records, preschool_transfers)
            for r in conn.execute(select(t.c.document_type, t.c.document_number))
        }
        numbers = conn.execute(select(student_records.c.national_student_number)).scalars().all()
    return (
        {document_hash(key, t, n) for t, n in documents}
        | {document_hash(key, "NSN", n) for n in numbers}
        | {document_hash(key, "1", p.resident_id) for p in people}
        | {no_document_key(key, *TWIN)}
    )


def holders(system, hashes: set[str]) -> dict[str, int]:
    """service.table.column → rows holding one of `hashes` (every text column of every database)."""
    found = {}
    for name, runtime in system.runtimes.items():
        with runtime.engine.connect() as conn:
            for table in runtime.spec.metadata.sorted_tables:
                for column in table.columns:
                    if isinstance(column.type, String) and (column.type.length or 64) >= 64:
                        n = conn.execute(select(func.count()).where(column.in_(hashes))).scalar_one()
                        if n:
                            found[f"{name}.{table.name}.{column.name}"] = n
    return found


def holdings(system, resident_id: str) -> list:
    """The national tier's answer for a resident ID hashed with the new key."""
    stub = system.stub("dedup-national", dedup_pb2_grpc.DedupStub)
    return list(
        stub.CheckDocument(
            dedup_pb2.CheckDocumentRequest(
                document_type=common_pb2.DOCUMENT_TYPE_RESIDENT_ID,
                document_hash=document_hash(NEW, "1", resident_id),
            ),
            metadata=system.metadata(),
            timeout=20,
        ).holdings
    )


def province_check(system, person):
    """The province dedup tier's check of another application of the person's document (as another
    school of the province would submit it), hashed with the new key. Category hmt_foreign: no such
    application exists at registration to ask the number of, and the index check is what is tested."""
    from xueji_dedup.service_layer import province

    app = province.Submitted(
        str(uuid.uuid4()),
        1,
        "1330102002",
        "non_primary_freshman",
        "hmt_foreign",
        "1",
        document_hash(NEW, "1", person.resident_id),
        "",
        person.name,
        int(person.gender),
        person.birth_date,
    )
    with system.runtimes["dedup"].uow_factory() as uow:
        return province.application_submitted(uow, app, peers=uow.peers, tree=uow.tree, retry_delays=())


def reserve_elsewhere(system, person) -> tuple[str, str]:
    """Another province reserving the person's document nationally: (holder kind, holder record id)."""
    stub = system.stub("dedup-national", dedup_pb2_grpc.DedupStub)
    with pytest.raises(grpc.RpcError) as refused:
        stub.ReserveIdentity(
            dedup_pb2.ReserveIdentityRequest(
                document_type=common_pb2.DOCUMENT_TYPE_RESIDENT_ID,
                document_hash=document_hash(NEW, "1", person.resident_id),
                application_id=str(uuid.uuid4()),
                province_code="320000",
                school_code="1320102001",
            ),
            metadata=system.metadata(),
            timeout=20,
        )
    assert refused.value.code() is grpc.StatusCode.ALREADY_EXISTS
    holder = holding_from_error(refused.value)
    return holder.kind.value, holder.holder_id if holder.kind.value == "record" else ""


def test_after_a_rotation_duplicates_are_found_and_no_old_hash_is_left(databases, tmp_path):
    people = demo.population_register(load_default_tree(), size=12)
    a, b, c = people[:3]
    register = register_file(tmp_path / "register.csv", people)

    system = start(databases, OLD, tmp_path)
    try:
        load_register(system.runtimes["dedup-national"].engine, register, OLD)
        record = system.approve(system.create(resident(a)))
        assert record.national_student_number == "G" + a.resident_id
        in_flight = system.create(resident(b))
        assert in_flight.state == P.APPLICATION_STATE_AWAITING_SCHOOL_REVIEW
        twins = [
            system.approve(system.create(create_request("no_document", proofs=[system.upload()])))
            for _ in range(2)
        ]
        assert all(t.national_student_number.startswith("L") for t in twins)
        system.stub("registration", registration_pb2_grpc.PreschoolTransfersStub).CreatePreschoolTransfer(
            P.CreatePreschoolTransferRequest(
                school_code=SCHOOL,
                identity=common_pb2.StudentIdentity(
                    name=c.name,
                    document=common_pb2.IdentityDocument(
                        type=common_pb2.DOCUMENT_TYPE_RESIDENT_ID, number=c.resident_id
                    ),
                ),
            ),
            metadata=system.metadata(Role.SCHOOL_REGISTRAR, SCHOOL),
            timeout=20,
        )
        system.pump()
        old = issued_hashes(system, people, OLD)
        before = holders(system, old)
        assert {
            "dedup.problem_groups.match_key",
            "dedup-national.student_numbers.number_hash",
            "national-query.national_records.document_hash",
            "special-ed.students.document_hash",
            "registration.preschool_transfers.document_hash",
        } <= set(before)
    finally:
        system.stop()

    since = now()  # the maintenance window: every service stopped, then started with the new key
    system = start(databases, NEW, tmp_path)
    try:
        loaded = load_register(system.runtimes["dedup-national"].engine, register, NEW)
        assert loaded.rows_loaded == len(people)
        tallies = rehash(system.runtimes["registration"].uow_factory, NEW, batch=2)
        assert (tallies["student_records"].changed, tallies["student_records"].announced) == (3, 3)
        assert (tallies["applications"].changed, tallies["applications"].announced) == (4, 1)  # b in flight
        assert tallies["preschool_transfers"].changed == 1
        system.pump()
        for tier in ("dedup", "dedup-national"):
            rekey_and_purge(system.runtimes[tier].uow_factory(), since)

        assert holders(system, old) == {}
        assert holders(system, issued_hashes(system, people, NEW))  # the new ones are where the old were
        [held_a] = holdings(system, a.resident_id)
        assert held_a.kind == dedup_pb2.HOLDING_KIND_RECORD and held_a.holder_id == record.record_id
        [held_b] = holdings(system, b.resident_id)
        assert held_b.kind == dedup_pb2.HOLDING_KIND_RESERVATION
        assert held_b.application_id == in_flight.application_id

        for person in (a, b):  # registration's own index: a document is registered once
            with pytest.raises(grpc.RpcError) as refused:
                system.create(resident(person))
            assert refused.value.code() is grpc.StatusCode.ALREADY_EXISTS
        assert "已被" in province_check(system, a).reason  # the province index
        assert reserve_elsewhere(system, a) == ("record", record.record_id)  # the national tier
        assert reserve_elsewhere(system, b) == ("reservation", "")
        fresh = system.create(resident(c))  # authenticated: the register was reloaded
        assert fresh.state == P.APPLICATION_STATE_AWAITING_SCHOOL_REVIEW

        found = system.stub("national-query", national_query_pb2_grpc.NationalQueryStub).LookupStudent(
            national_query_pb2.LookupStudentRequest(name=a.name, document_number=a.resident_id),
            metadata=system.metadata(),
            timeout=20,
        )
        assert [r.national_student_number for r in found.results] == ["G" + a.resident_id]

        again = rehash(system.runtimes["registration"].uow_factory, NEW)
        assert all((t.changed, t.announced) == (0, 0) for t in again.values())
        _commands_run_again_change_nothing(system, databases, since)
    finally:
        system.stop()


def _commands_run_again_change_nothing(system, databases, since) -> None:
    from xueji_dedup.entrypoints.cli import cli as dedup_cli
    from xueji_registration.entrypoints.cli import cli as registration_cli

    env = {
        "XUEJI_HASH_KEY": NEW,
        "XUEJI_DATABASE_URL": databases["registration"],
        "XUEJI_LOG_LEVEL": "WARNING",
    }
    result = CliRunner().invoke(registration_cli, ["rehash", "--no-relay"], env=env)
    assert result.exit_code == 0, result.output
    assert "没有需要更新的哈希" in result.output
    env["XUEJI_DATABASE_URL"] = databases["dedup-national"]
    result = CliRunner().invoke(dedup_cli, ["rehash", "--since", since.isoformat(), "--dry-run"], env=env)
    assert result.exit_code == 0, result.output
    assert "student_numbers rekeyed" in result.output and "试运行" in result.output
