"""ReserveIdentities set-based (service_layer/national_reserve.py) on the fakes: a batch answers and
leaves the reservations as the same items one by one through reserve_identity do, with the same
number of store statements whatever its size. On PostgreSQL and SQLite:
tests/integration/test_dedup_reserve_batches.py."""

from __future__ import annotations

import datetime as dt

from dedup_fakes import FakeDedupUoW

from xueji_common.orgunits import load_default_tree
from xueji_dedup.domain.checks import Holding, HoldingKind
from xueji_dedup.service_layer import national, national_reserve
from xueji_dedup.service_layer.national import ReserveIdentity
from xueji_dedup.service_layer.unit_of_work import Reservation

TREE = load_default_tree()
SCHOOL = "1330102001"


def h(i: int) -> str:
    return f"{i:064x}"


def cmd(i: int, application_id: str, province: str = "330000") -> ReserveIdentity:
    return ReserveIdentity("A", h(i), application_id, province, SCHOOL)


def single(uow, cmds) -> list[Reservation | Holding]:
    out: list[Reservation | Holding] = []
    for c in cmds:
        try:
            out.append(national.reserve_identity(uow, c))
        except national.HeldElsewhere as exc:
            out.append(exc.holding)
    return out


# Before: h1 a1's active reservation, h2 a2's lapsed one, h3 a record's (application x3), h4 a4's
# reservation committed to its record, h5 a5's active one, h8 a8's lapsed one.
ITEMS = [
    cmd(1, "a1"),  # own active: its expiry extended
    cmd(2, "a2"),  # own lapsed: a new reservation
    cmd(3, "a3"),  # held by a record
    cmd(4, "a4"),  # own committed: as it is
    cmd(5, "b5"),  # held by a5's reservation
    cmd(6, "n1"),  # new
    cmd(6, "n2", "320000"),  # the same document, another application: n1's reservation holds it
    cmd(6, "n1"),  # n1 again: its reservation
    cmd(8, "b8"),  # a8's lapsed: b8 reserves it
    cmd(3, "x3"),  # the record's own application: reserves (its record is not counted against it)
    cmd(7, "a7"),
    cmd(7, "a7"),
]


def seed(uow: FakeDedupUoW) -> None:
    for c in (cmd(1, "a1"), cmd(2, "a2"), cmd(4, "a4"), cmd(5, "a5"), cmd(8, "a8")):
        national.reserve_identity(uow, c)
    national.register_record(
        uow, national.RegisterRecord("r3", "A", h(3), "x3", "330000", SCHOOL, "L33010220150601****")
    )
    [four] = [r for r in uow.national.reservations.values() if r.application_id == "a4"]
    national.commit_reservation(uow, four.reservation_id, "r4", "L33010220150601****")
    for r in uow.national.reservations.values():
        if r.application_id in ("a2", "a8"):
            r.expire_time = dt.datetime(2020, 1, 1, tzinfo=dt.UTC)


def described(uow: FakeDedupUoW, outcomes) -> list[tuple]:
    """The outcomes without ids or times: a reservation holding named by its document and application."""
    by_id = uow.national.reservations
    return [
        ("reservation", o.document_hash[-1], o.application_id, o.state, o.record_id)
        if isinstance(o, Reservation)
        else (
            o.kind.value,
            o.application_id,
            o.province_code,
            by_id[o.holder_id].document_hash[-1] if o.kind is HoldingKind.RESERVATION else o.holder_id,
        )
        for o in outcomes
    ]


def stored(uow: FakeDedupUoW) -> list[tuple]:
    return sorted(
        (r.document_hash[-1], r.application_id, r.state, r.record_id)
        for r in uow.national.reservations.values()
    )


def fresh() -> FakeDedupUoW:
    uow = FakeDedupUoW(TREE, scope="national")
    seed(uow)
    return uow


def test_a_batch_answers_and_stores_as_its_items_one_by_one():
    batched, one_by_one = fresh(), fresh()
    got = national_reserve.reserve_identities(batched, ITEMS)
    assert described(batched, got) == described(one_by_one, single(one_by_one, ITEMS))
    assert stored(batched) == stored(one_by_one)
    assert described(batched, got)[:7] == [
        ("reservation", "1", "a1", "active", ""),
        ("reservation", "2", "a2", "active", ""),
        ("record", "x3", "330000", "r3"),
        ("reservation", "4", "a4", "committed", "r4"),
        ("reservation", "a5", "330000", "5"),
        ("reservation", "6", "n1", "active", ""),
        ("reservation", "n1", "330000", "6"),
    ]
    assert got[5].reservation_id == got[7].reservation_id == got[6].holder_id  # type: ignore[union-attr]
    assert got[0].expire_time > dt.datetime.now(dt.UTC) + dt.timedelta(days=179)  # type: ignore[union-attr]


def test_a_repeated_batch_gives_the_same_reservations():
    uow = fresh()
    first = national_reserve.reserve_identities(uow, ITEMS)
    again = national_reserve.reserve_identities(uow, ITEMS)
    ids = [o.reservation_id if isinstance(o, Reservation) else o.holder_id for o in first]
    assert ids == [o.reservation_id if isinstance(o, Reservation) else o.holder_id for o in again]
    assert described(uow, again) == described(uow, first)


def test_a_batch_uses_the_same_store_statements_for_5_items_as_for_50():
    uow = fresh()
    national_reserve.reserve_identities(uow, [cmd(100 + i, f"p{i}") for i in range(5)])
    five = uow.national.bulk_reserve_statements
    national_reserve.reserve_identities(uow, [cmd(200 + i, f"q{i}") for i in range(50)])
    assert uow.national.bulk_reserve_statements - five == five == 4  # expire, two reads, the insert
    assert national_reserve.reserve_identities(uow, []) == []


def test_an_item_that_lost_to_a_concurrent_reservation_gets_its_holder():
    uow = fresh()
    store = uow.national
    real = store.try_reserve_many

    def concurrent_first(rows):  # another call reserves h9 for c9, and h10 for n10 itself, meanwhile
        store.try_reserve(dict(rows[0], application_id="c9", province_code="320000"))
        store.try_reserve(dict(rows[1]))
        return real(rows)

    store.try_reserve_many = concurrent_first  # type: ignore[method-assign]
    got = national_reserve.reserve_identities(
        uow, [cmd(9, "n9"), cmd(10, "n10"), cmd(9, "c9"), cmd(11, "n11")]
    )
    assert described(uow, got) == [
        ("reservation", "c9", "320000", "9"),
        ("reservation", "a", "n10", "active", ""),
        ("reservation", "9", "c9", "active", ""),
        ("reservation", "b", "n11", "active", ""),
    ]
