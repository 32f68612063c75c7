"""national_numbers.reserve_student_numbers on the in-memory unit of work: each item the number
reserve_student_number gives it (the reference), the common cases taken with one bulk insert, the
others through the single rule (a taken G, a G kept under an old key, an owner asked twice).
Over gRPC and on both databases: tests/integration/test_dedup_number_batches.py."""

from __future__ import annotations

import datetime as dt
import random

from dedup_fakes import FakeDataKeys, FakeDedupUoW
from test_dedup_national_use_cases import KEY, TREE

from xueji_common.errors import AlreadyExists
from xueji_dedup.domain.numbers import NumberKind
from xueji_dedup.service_layer import national, national_numbers

BIRTH = dt.date(2015, 6, 1)
ID1, ID2 = "330102201506011236", "330102201506011252"


def nation() -> FakeDedupUoW:
    return FakeDedupUoW(TREE, scope="national", hash_key=KEY, data_keys=FakeDataKeys("nation"))


def commands() -> list[national.ReserveNumber]:
    return [
        national.ReserveNumber(NumberKind.TEMPORARY, "r1", "330102", BIRTH),
        national.ReserveNumber(NumberKind.FORMAL, "r2", resident_id=ID1),
        national.ReserveNumber(NumberKind.FORMAL, "r3", resident_id=ID1),  # r2's G: taken
        national.ReserveNumber(NumberKind.PROVINCIAL, "r4", "330102", BIRTH),
        national.ReserveNumber(NumberKind.PROVINCIAL, "r5", "330102", BIRTH),  # r4's first draw: next
        national.ReserveNumber(NumberKind.TEMPORARY, "r1", "330102", BIRTH),  # asked twice
        national.ReserveNumber(NumberKind.FORMAL, "r6", resident_id=ID2),
    ]


def one_by_one(uow: FakeDedupUoW, cmds: list[national.ReserveNumber]) -> list[str]:
    out = []
    for cmd in cmds:
        try:
            out.append(national.reserve_student_number(uow, cmd, KEY, random.Random(7)))
        except AlreadyExists:
            out.append("taken")
    return out


def test_a_batch_reserves_what_one_by_one_would_with_one_bulk_insert():
    batch = nation()
    outcomes = national_numbers.reserve_student_numbers(batch, commands(), KEY, random.Random(7))
    got = [o.number or ("taken" if isinstance(o.refusal, AlreadyExists) else "?") for o in outcomes]
    assert got == one_by_one(nation(), commands())
    assert batch.national.bulk_takes == 1 and batch.commits == 1
    assert sorted(n.owner_id for n in batch.national.numbers.values()) == ["r1", "r2", "r4", "r5", "r6"]
    again = national_numbers.reserve_student_numbers(batch, commands(), KEY)
    assert [o.number for o in again] == [o.number for o in outcomes]  # idempotent per owner


def test_a_formal_number_kept_under_an_old_key_is_keyed_anew_in_a_batch():
    uow = nation()
    cmd = national.ReserveNumber(NumberKind.FORMAL, "r2", resident_id=ID1)
    national.reserve_student_number(uow, cmd, "old-key")
    [outcome] = national_numbers.reserve_student_numbers(uow, [cmd], KEY)
    assert outcome.number == "G" + ID1
    [kept] = uow.national.numbers.values()
    assert kept.number_hash == national.number_key(KEY)("G" + ID1)
