"""A rotation of XUEJI_HASH_KEY at the dedup tiers (one database playing both, as in these tests):
registration's announcements (correlation id `rehash:...`) move the province index, the national
holdings and reservations, G numbers and one-document groups to the new key; `rekey_and_purge`
re-keys what dedup keeps in clear and blanks what nothing refreshed; an announcement made with another
key is not applied; a correction (no announcement) moves the committed reservation, not the group."""

from __future__ import annotations

import grpc
import pytest
from click.testing import CliRunner
from dedup_helpers import HASH_KEY, NUMBERS, SCHOOL_B, deliver, record_created, resident, submitted
from sqlalchemy import String, func, select

from xueji.v1 import common_pb2, dedup_pb2, dedup_pb2_grpc, events_pb2
from xueji_common.auth import Role
from xueji_common.db.engine import now
from xueji_common.grpcserver.client import bearer
from xueji_common.hashing import document_hash
from xueji_common.testing.numbers import seal_into
from xueji_dedup.adapters.tables import national_reservations, population, problem_groups, student_numbers
from xueji_dedup.service_layer.rotation import KeyMismatch, rekey_and_purge
from xueji_dedup.spec import SPEC

NEW = "test-hash-key-new-" + "n" * 20
PASSPORT, OTHER = "E12345678", "E87654321"
ROTATION = "rehash:test"


def rotate(rt) -> None:
    """The restart with the new key (units of work and servicers read the settings per call)."""
    rt.settings = rt.settings.with_(hash_key=NEW)


def _code(document_type) -> str:
    return "A" if document_type == common_pb2.DOCUMENT_TYPE_PASSPORT else "1"


def rekeyed(event, key=NEW):
    """Registration's announcement of `event` after its rehash: the new hash (a record at version + 1)."""
    if isinstance(event, events_pb2.ApplicationSubmitted):
        again = events_pb2.ApplicationSubmitted()
        again.CopyFrom(event)
        a = again.application
        a.document_hash = document_hash(key, _code(a.document_type), NUMBERS[a.application_id])
        return again
    r = events_pb2.StudentRecordSnapshot()
    r.CopyFrom(event.record)
    r.version += 1
    r.document_hash = document_hash(key, _code(r.document_type), NUMBERS[r.application_id])
    return events_pb2.StudentRecordChanged(record=r)


def holding(rt, table, column) -> list:
    with rt.session_factory() as s:
        return list(s.execute(select(table.c[column])).scalars())


def keeps(rt, hashes: set[str]) -> dict[str, int]:
    found = {}
    with rt.engine.connect() as conn:
        for table in SPEC.metadata.sorted_tables:
            for column in table.columns:
                if isinstance(column.type, String) and (column.type.length or 64) >= 64:
                    n = conn.execute(select(func.count()).where(column.in_(hashes))).scalar_one()
                    if n:
                        found[f"{table.name}.{column.name}"] = n
    return found


def number(rt, kind, owner, **kw) -> str:
    with grpc.insecure_channel(rt.settings.grpc_address) as channel:
        return (
            dedup_pb2_grpc.DedupStub(channel)
            .ReserveStudentNumber(
                dedup_pb2.ReserveStudentNumberRequest(kind=kind, owner_id=owner, **kw),
                metadata=bearer(rt.tokens.mint("registration", Role.SYSTEM, "000000")),
            )
            .national_student_number
        )


def test_announcements_and_the_purge_leave_every_hash_under_the_new_key(dedup, people):
    p = people[0]
    first, second = submitted(PASSPORT, doc_type="A"), submitted(PASSPORT, doc_type="A", school=SCHOOL_B)
    in_flight = resident(p)
    deliver(dedup, first)
    r1 = record_created(first, record_id="r1")
    r2 = record_created(second, record_id="r2")  # a second record of the passport: 一人多籍
    deliver(dedup, r1)
    deliver(dedup, r2)
    deliver(dedup, in_flight)  # checked, reserved, still in review
    g = number(dedup, common_pb2.STUDENT_NUMBER_KIND_FORMAL, "r1", resident_id_number=p.resident_id)
    seal_into(r1.record, g)
    r1.record.temporary_number = False
    lost = number(
        dedup,
        common_pb2.STUDENT_NUMBER_KIND_FORMAL,
        "gone",  # its record is never announced
        resident_id_number=people[1].resident_id,
    )
    birth = common_pb2.Date(year=2015, month=6, day=1)
    number(dedup, common_pb2.STUDENT_NUMBER_KIND_TEMPORARY, "r2", division_code="330102", birth_date=birth)
    old = {
        document_hash(HASH_KEY, "A", PASSPORT),
        document_hash(HASH_KEY, "1", p.resident_id),
        document_hash(HASH_KEY, "NSN", g),
        document_hash(HASH_KEY, "NSN", lost),
    }
    assert {
        "problem_groups.match_key",
        "national_reservations.document_hash",
        "student_numbers.number_hash",
        "province_records.document_hash",
        "national_records.document_hash",
    } <= set(keeps(dedup, old))

    since = now()
    rotate(dedup)
    with pytest.raises(KeyMismatch):  # made with the old key: not applied
        deliver(dedup, rekeyed(r1, key=HASH_KEY), correlation_id=ROTATION)
    for event in (rekeyed(r1), rekeyed(r2), rekeyed(in_flight)):
        assert deliver(dedup, event, correlation_id=ROTATION) == "handled"
    counts = rekey_and_purge(dedup.uow_factory(), since)

    assert keeps(dedup, old) == {"population_register.document_hash": 1}  # loaded again separately
    assert counts["student_numbers rekeyed"] == 1 and counts["student_numbers purged"] == 1  # L; "gone"
    new = document_hash(NEW, "A", PASSPORT)
    assert holding(dedup, problem_groups, "match_key") == [new]
    with dedup.session_factory() as s:
        reservations = {
            (r.application_id, r.state, r.document_hash, r.release_reason)
            for r in s.execute(select(national_reservations)).all()
        }
    fresh = document_hash(NEW, "1", p.resident_id)
    assert reservations == {
        (first.application.application_id, "committed", new, ""),
        (in_flight.application.application_id, "released", "", "REHASHED"),
        (in_flight.application.application_id, "active", fresh, ""),
    }
    assert number(dedup, common_pb2.STUDENT_NUMBER_KIND_FORMAL, "r1", resident_id_number=p.resident_id) == g
    assert document_hash(NEW, "NSN", g) in holding(dedup, student_numbers, "number_hash")
    assert rekey_and_purge(dedup.uow_factory(), since) == {k: 0 for k in counts}  # a second run: nothing


def test_an_application_announced_again_without_the_rotation_mark_changes_nothing(dedup, people):
    app = resident(people[2])
    deliver(dedup, app)
    rotate(dedup)
    assert deliver(dedup, rekeyed(app)) == "handled"  # a plain repeat of a checked revision
    with dedup.session_factory() as s:
        [held] = s.execute(select(national_reservations.c.document_hash)).scalars()
    assert held == app.application.document_hash


def corrected(record_event, number: str):
    """The record's change after a correction to another passport (same key, no rotation mark)."""
    change = rekeyed(record_event, key=HASH_KEY)
    change.record.document_hash = document_hash(HASH_KEY, "A", number)
    return change


def test_a_correction_moves_the_committed_reservation_and_leaves_the_group_key(dedup):
    deliver(dedup, record_created(submitted(PASSPORT, doc_type="A"), record_id="r1"))
    r2 = record_created(submitted(PASSPORT, doc_type="A", school=SCHOOL_B), record_id="r2")
    deliver(dedup, r2)  # a group keyed by the passport
    deliver(dedup, corrected(r2, OTHER))
    assert holding(dedup, problem_groups, "match_key") == [document_hash(HASH_KEY, "A", PASSPORT)]

    first = submitted("E11112222", doc_type="A")
    deliver(dedup, first)
    r3 = record_created(first, record_id="r3")
    deliver(dedup, r3)  # its reservation committed
    deliver(dedup, corrected(r3, "E33334444"))
    with dedup.session_factory() as s:
        res = national_reservations
        [(state, held)] = s.execute(
            select(res.c.state, res.c.document_hash).where(res.c.record_id == "r3")
        ).all()
    assert (state, held) == ("committed", document_hash(HASH_KEY, "A", "E33334444"))
    with grpc.insecure_channel(dedup.settings.grpc_address) as channel:  # the old passport is free again
        r = dedup_pb2_grpc.DedupStub(channel).ReserveIdentity(
            dedup_pb2.ReserveIdentityRequest(
                document_type=common_pb2.DOCUMENT_TYPE_PASSPORT,
                document_hash=document_hash(HASH_KEY, "A", "E11112222"),
                application_id="another",
                province_code="330000",
                school_code=SCHOOL_B,
            ),
            metadata=bearer(dedup.tokens.mint("registration", Role.SYSTEM, "000000")),
        )
    assert r.state == dedup_pb2.RESERVATION_STATE_ACTIVE


def test_load_register_replaces_the_table_with_the_current_key(dedup, people, tmp_path):
    from xueji_dedup.entrypoints.cli import cli

    rows = ["resident_id,name,gender,birth_date,household_division"]
    rows += [
        f"{x.resident_id},{x.name},{'男' if int(x.gender) == 1 else '女'},{x.birth_date},330102"
        for x in people[:2]
    ]
    rows += [
        f"{people[0].resident_id},重复,1,2015-06-01,330102",
        "110101201506011234,坏号,1,2015-06-01,330102",
    ]
    path = tmp_path / "register.csv"
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    env = {"XUEJI_DATABASE_URL": dedup.database_url, "XUEJI_HASH_KEY": NEW, "XUEJI_LOG_LEVEL": "WARNING"}
    result = CliRunner().invoke(cli, ["load-register", str(path)], env=env)
    assert result.exit_code == 0, result.output
    assert "共 4 行：导入 2，未导入 2" in result.output and "身份证件号重复" in result.output
    assert sorted(holding(dedup, population, "document_hash")) == sorted(
        document_hash(NEW, "1", x.resident_id) for x in people[:2]
    )
