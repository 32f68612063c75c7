"""Dedup.ReserveStudentNumbers over gRPC: each item the answer ReserveStudentNumber gives it (a G
number held by another record is that item's ALREADY_EXISTS, the others reserved all the same), the
same numbers on a retry, the contract's limits and the system role only. The rule per item:
tests/unit/test_dedup_number_batch_rules.py."""

from __future__ import annotations

import datetime as dt

import grpc
import pytest
from dedup_helpers import HASH_KEY
from google.rpc import code_pb2
from test_dedup_surface import stub, system  # noqa: F401 (fixture)

from xueji.v1 import common_pb2, dedup_pb2
from xueji_common.auth import Role
from xueji_common.config import Settings
from xueji_common.errors import AlreadyExists
from xueji_common.grpcserver.client import bearer
from xueji_common.runtime.bootstrap import ServiceRuntime
from xueji_dedup.domain.numbers import NumberKind
from xueji_dedup.service_layer import national, national_numbers
from xueji_dedup.spec import SPEC
from xueji_registration.adapters.dedup_numbers import GrpcStudentNumbers
from xueji_registration.domain.records import NumberKind as RecordKind
from xueji_registration.service_layer.ports import NumberRequest

BIRTH = common_pb2.Date(year=2015, month=6, day=1)
BORN = dt.date(2015, 6, 1)
L, J, G = (
    common_pb2.STUDENT_NUMBER_KIND_TEMPORARY,
    common_pb2.STUDENT_NUMBER_KIND_PROVINCIAL,
    common_pb2.STUDENT_NUMBER_KIND_FORMAL,
)


def item(kind, owner, resident_id="", division="330102"):
    if kind == G:
        return dedup_pb2.ReserveStudentNumberRequest(
            kind=kind, owner_id=owner, resident_id_number=resident_id
        )
    return dedup_pb2.ReserveStudentNumberRequest(
        kind=kind, owner_id=owner, division_code=division, birth_date=BIRTH
    )


def test_each_number_of_a_batch_gets_its_own_outcome_and_a_retry_the_same(dedup, stub, people):
    held = people[1].resident_id
    stub.ReserveStudentNumber(item(G, "elsewhere", held), metadata=system(dedup))
    asked = [
        item(L, "r1"),
        item(G, "r3", people[0].resident_id),
        item(G, "r4", held),  # held by another record
        item(J, "r2"),
        item(J, "r6"),  # the same first draw as r2's: the next one
        item(L, "r1"),  # asked twice
    ]
    request = dedup_pb2.ReserveStudentNumbersRequest(numbers=asked)
    first = stub.ReserveStudentNumbers(request, metadata=system(dedup)).results
    assert [r.code for r in first] == [code_pb2.OK, code_pb2.OK, code_pb2.ALREADY_EXISTS, *[code_pb2.OK] * 3]
    numbers = [r.reservation.national_student_number for r in first]
    assert numbers[0].startswith("L33010220150601") and numbers[5] == numbers[0]
    assert numbers[1] == "G" + people[0].resident_id and first[2].message and not numbers[2]
    assert (numbers[3][:18], numbers[4][:18]) == ("J33010220150601001", "J33010220150601002")
    assert [(r.reservation.owner_id, r.reservation.kind) for r in first if r.code == code_pb2.OK] == [
        ("r1", L),
        ("r3", G),
        ("r2", J),
        ("r6", J),
        ("r1", L),
    ]
    again = stub.ReserveStudentNumbers(request, metadata=system(dedup)).results
    assert list(again) == list(first)
    single = stub.ReserveStudentNumber(item(L, "r1"), metadata=system(dedup))
    assert single.national_student_number == numbers[0]


def test_a_batch_is_refused_whole_for_a_bad_item_or_more_than_500_and_for_others_than_the_system(
    dedup,
    stub,
):
    bad = dedup_pb2.ReserveStudentNumbersRequest(numbers=[item(L, "r1"), item(L, "r2", division="33")])
    with pytest.raises(grpc.RpcError) as err:
        stub.ReserveStudentNumbers(bad, metadata=system(dedup))
    assert err.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "numbers[1].division_code" in str(err.value.trailing_metadata())
    long_owner = dedup_pb2.ReserveStudentNumbersRequest(numbers=[item(L, "r" * 65)])
    with pytest.raises(grpc.RpcError) as err:  # was INTERNAL on PostgreSQL (owner_id is 64 wide)
        stub.ReserveStudentNumbers(long_owner, metadata=system(dedup))
    assert err.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "numbers[0].owner_id" in str(err.value.trailing_metadata())
    with pytest.raises(grpc.RpcError) as err:
        stub.ReserveStudentNumber(item(J, "r" * 65), metadata=system(dedup))
    assert err.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    many = dedup_pb2.ReserveStudentNumbersRequest(numbers=[item(L, f"r{i}") for i in range(501)])
    with pytest.raises(grpc.RpcError) as err:
        stub.ReserveStudentNumbers(many, metadata=system(dedup))
    assert err.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    registrar = bearer(dedup.tokens.mint("u1", Role.SCHOOL_REGISTRAR, "1330102001"))
    with pytest.raises(grpc.RpcError) as err:
        stub.ReserveStudentNumbers(
            dedup_pb2.ReserveStudentNumbersRequest(numbers=[item(L, "r1")]), metadata=registrar
        )
    assert err.value.code() == grpc.StatusCode.PERMISSION_DENIED
    assert (
        stub.ReserveStudentNumbers(dedup_pb2.ReserveStudentNumbersRequest(), metadata=system(dedup)).results
        == []
    )


def test_on_sqlite_the_bulk_take_skips_what_is_held_as_on_postgresql(tmp_path, people):
    rt = ServiceRuntime(
        SPEC, Settings(metrics_port=0, hash_key=HASH_KEY), database_url=f"sqlite:///{tmp_path / 'd.db'}"
    )
    rt.migrate()
    try:
        cmds = [
            national.ReserveNumber(NumberKind.FORMAL, "r1", resident_id=people[0].resident_id),
            national.ReserveNumber(NumberKind.FORMAL, "r2", resident_id=people[0].resident_id),
            national.ReserveNumber(NumberKind.PROVINCIAL, "r3", "330102", dt.date(2015, 6, 1)),
            national.ReserveNumber(NumberKind.PROVINCIAL, "r4", "330102", dt.date(2015, 6, 1)),
        ]
        outcomes = national_numbers.reserve_student_numbers(rt.uow_factory(), cmds, HASH_KEY)
        assert [o.number[:18] for o in outcomes] == [
            ("G" + people[0].resident_id)[:18],
            "",
            "J33010220150601001",
            "J33010220150601002",
        ]
        assert isinstance(outcomes[1].refusal, AlreadyExists)
        again = national_numbers.reserve_student_numbers(rt.uow_factory(), cmds, HASH_KEY)
        assert [o.number for o in again] == [o.number for o in outcomes]
    finally:
        rt.close()


def test_registrations_number_port_reads_the_real_tiers_outcomes(dedup, people):
    """The peer contract registration's reserve_many relies on, against this service itself."""
    with grpc.insecure_channel(dedup.settings.grpc_address) as channel:
        port = GrpcStudentNumbers(lambda: channel, lambda: system(dedup))
        held, free = people[2].resident_id, people[3].resident_id
        port.reserve(
            kind=RecordKind.FORMAL,
            owner_id="elsewhere",
            division_code="",
            birth_date=BORN,
            resident_id_number=held,
        )
        got = port.reserve_many(
            [
                NumberRequest(RecordKind.FORMAL, "r1", "330102", BORN, held),
                NumberRequest(RecordKind.FORMAL, "r2", "330102", BORN, free),
                NumberRequest(RecordKind.TEMPORARY, "r3", "330102", BORN),
            ]
        )
    assert got[0] is None and got[1] == "G" + free
    assert got[2] is not None and got[2].startswith("L33010220150601") and len(got[2]) == 19
