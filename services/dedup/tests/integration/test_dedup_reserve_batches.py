"""ReserveIdentities set-based (service_layer/national_reserve.py) on PostgreSQL and SQLite: a batch
answers and leaves the reservations as its items one by one through reserve_identity do (two fresh
databases), with a number of statements that does not grow with the batch; on PostgreSQL an item
that loses to a concurrent reservation gets its holder, the others their reservations. The rules on
the fakes: tests/unit/test_dedup_reserve_batch.py."""

from __future__ import annotations

import datetime as dt
import threading
import time

import pytest
from dedup_helpers import HASH_KEY, SCHOOL
from sqlalchemy import select, update

from xueji_common.config import Settings
from xueji_common.testing.statements import statements_sent
from xueji_dedup.adapters.tables import national_reservations as res
from xueji_dedup.domain.checks import Holding, HoldingKind
from xueji_dedup.service_layer import national, national_reserve
from xueji_dedup.service_layer.national import ReserveIdentity
from xueji_dedup.service_layer.unit_of_work import Reservation
from xueji_dedup.spec import SPEC


@pytest.fixture
def fresh_runtime(fresh_runtime_of):
    """fresh_runtime() → dedup on a fresh, migrated database, PostgreSQL then SQLite (conftest.py)."""
    return lambda: fresh_runtime_of(SPEC, Settings(metrics_port=0, hash_key=HASH_KEY))


def h(i: int) -> str:
    return f"{i:064x}"


def cmd(i: int, application_id: str, province: str = "330000") -> ReserveIdentity:
    return ReserveIdentity("A", h(i), application_id, province, SCHOOL)


# Before (seed): h1 a1's active reservation, h2 a2's lapsed one, h3 a record's (application x3), h4
# a4's committed to its record, h5 a5's active one, h8 a8's lapsed one.
ITEMS = [
    cmd(1, "a1"),  # own active: its expiry extended
    cmd(2, "a2"),  # own lapsed: a new reservation
    cmd(3, "a3"),  # held by a record
    cmd(4, "a4"),  # own committed: as it is
    cmd(5, "b5"),  # held by a5's reservation
    cmd(6, "n1"),  # new
    cmd(6, "n2", "320000"),  # the same document, another application: n1's reservation holds it
    cmd(6, "n1"),  # n1 again
    cmd(8, "b8"),  # a8's lapsed: b8 reserves it
    cmd(3, "x3"),  # the record's own application
    cmd(7, "a7"),
    cmd(7, "a7"),
]


def seed(rt) -> None:
    for c in (cmd(1, "a1"), cmd(2, "a2"), cmd(4, "a4"), cmd(5, "a5"), cmd(8, "a8")):
        r = national.reserve_identity(rt.uow_factory(), c)
        if c.application_id == "a4":
            national.commit_reservation(rt.uow_factory(), r.reservation_id, "r4", "L33010220150601****")
    national.register_record(
        rt.uow_factory(),
        national.RegisterRecord("r3", "A", h(3), "x3", "330000", SCHOOL, "L33010220150601****"),
    )
    with rt.engine.begin() as conn:
        conn.execute(
            update(res)
            .where(res.c.application_id.in_(["a2", "a8"]))
            .values(expire_time=dt.datetime(2020, 1, 1, tzinfo=dt.UTC))
        )


def single(rt, cmds) -> list[Reservation | Holding]:
    out: list[Reservation | Holding] = []
    for c in cmds:
        try:
            out.append(national.reserve_identity(rt.uow_factory(), c))
        except national.HeldElsewhere as exc:
            out.append(exc.holding)
    return out


def rows(rt) -> dict[str, tuple]:
    with rt.engine.connect() as conn:
        return {
            r.reservation_id: (r.document_hash[-1], r.application_id, r.state, r.record_id)
            for r in conn.execute(select(res))
        }


def described(rt, outcomes) -> list[tuple]:
    """The outcomes without ids or times: a reservation holding named by its document and application."""
    by_id = rows(rt)
    return [
        ("reservation", o.document_hash[-1], o.application_id, o.state, o.record_id)
        if isinstance(o, Reservation)
        else (o.kind.value, o.application_id, o.province_code, by_id.get(o.holder_id, o.holder_id))
        for o in outcomes
    ]


def test_a_batch_answers_and_stores_as_its_items_one_by_one(fresh_runtime):
    batched, one_by_one = fresh_runtime(), fresh_runtime()
    seed(batched), seed(one_by_one)
    got = national_reserve.reserve_identities(batched.uow_factory(), ITEMS)
    assert described(batched, got) == described(one_by_one, single(one_by_one, ITEMS))
    assert sorted(rows(batched).values()) == sorted(rows(one_by_one).values())
    assert [o.kind for o in got if isinstance(o, Holding)] == [
        HoldingKind.RECORD,
        *[HoldingKind.RESERVATION] * 2,
    ]
    assert got[5].reservation_id == got[7].reservation_id == got[6].holder_id  # type: ignore[union-attr]
    assert got[0].expire_time > dt.datetime.now(dt.UTC) + dt.timedelta(days=179)  # type: ignore[union-attr]
    again = national_reserve.reserve_identities(batched.uow_factory(), ITEMS)
    key = [o.reservation_id if isinstance(o, Reservation) else o.holder_id for o in got]
    assert [o.reservation_id if isinstance(o, Reservation) else o.holder_id for o in again] == key


def statements(rt, cmds) -> int:
    with statements_sent(rt.engine) as counted:
        national_reserve.reserve_identities(rt.uow_factory(), cmds)
    return len(counted)


def test_a_batch_costs_the_same_statements_for_5_items_as_for_50(fresh_runtime):
    rt = fresh_runtime()
    seed(rt)
    mixed = [*ITEMS[:5]]  # an own active one (extended), a record's, a reservation's...
    five = statements(rt, [*mixed, *(cmd(100 + i, f"p{i}") for i in range(5))])
    fifty = statements(rt, [*mixed, *(cmd(200 + i, f"q{i}") for i in range(50))])
    assert five == fifty
    assert len(rows(rt)) == 5 + 1 + 5 + 50  # seeded, a2's new one, the new ones


def test_an_item_that_lost_to_a_concurrent_reservation_gets_its_holder(fresh_runtime):
    rt = fresh_runtime()
    if rt.engine.dialect.name != "postgresql":
        pytest.skip("SQLite serializes writers: no concurrent reservation")
    with rt.engine.connect() as other:  # reserves h9 for c9, not committed yet
        other.execute(
            res.insert().values(
                reservation_id="concurrent",
                document_type="A",
                document_hash=h(9),
                application_id="c9",
                province_code="320000",
                school_code=SCHOOL,
                state="active",
                record_id="",
                national_student_number="",
                release_reason="",
                create_time=_now(),
                expire_time=_now() + national.RESERVATION_TTL,
                update_time=_now(),
            )
        )
        got: list = []
        batch = threading.Thread(
            target=lambda: got.extend(
                national_reserve.reserve_identities(
                    rt.uow_factory(), [cmd(9, "n9"), cmd(10, "n10"), cmd(9, "c9")]
                )
            )
        )
        batch.start()
        time.sleep(0.5)  # the batch's insert waits on h9's uncommitted reservation
        assert not got
        other.commit()
        batch.join(10)
    assert [type(o).__name__ for o in got] == ["Holding", "Reservation", "Reservation"]
    assert (got[0].holder_id, got[0].application_id) == ("concurrent", "c9")
    assert got[2].reservation_id == "concurrent" and got[1].application_id == "n10"
    assert {r[:2] for r in rows(rt).values()} == {("9", "c9"), ("a", "n10")}


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)
