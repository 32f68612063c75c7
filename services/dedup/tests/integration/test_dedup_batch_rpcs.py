"""The batch RPCs the province tier calls for a batch of submissions (issue 16 step 2), over gRPC:
Dedup/ReserveIdentities and PopulationRegister/VerifyIdentities answer each item as the single call
does, in the order asked, with the limit and each item's errors named; and dedup's clients of them
(adapters/peers.py), Registrations/GetDocumentNumbers included."""

from __future__ import annotations

import datetime as dt

import grpc
import pytest
from dedup_helpers import SCHOOL, resident, store_in_registration

from xueji.v1 import (
    common_pb2,
    dedup_pb2,
    dedup_pb2_grpc,
    population_register_pb2,
    population_register_pb2_grpc,
)
from xueji_common.auth import Role
from xueji_common.grpcserver.client import bearer
from xueji_common.grpcserver.convert import date_to_pb
from xueji_common.grpcserver.errors import field_violations
from xueji_dedup.adapters.peers import Peers
from xueji_dedup.domain.checks import Holding, HoldingKind
from xueji_dedup.service_layer import national
from xueji_dedup.service_layer.ports import Identity, ToReserve

PASSPORT = common_pb2.DOCUMENT_TYPE_PASSPORT


def h(i: int) -> str:
    return f"{i:064x}"


def system(rt):
    return bearer(rt.tokens.mint("service:registration", Role.SYSTEM, "000000"))


def item(i: int, application_id: str, **kw) -> dedup_pb2.ReserveIdentityRequest:
    values = dict(
        document_type=PASSPORT, document_hash=h(i), application_id=application_id, province_code="330000"
    )
    return dedup_pb2.ReserveIdentityRequest(**{**values, "school_code": SCHOOL, **kw})


def test_reserve_identities_answers_each_item_as_reserve_identity(dedup):
    reservation = national.reserve_identity(
        dedup.uow_factory(), national.ReserveIdentity("A", h(9), "a9", "330000", SCHOOL)
    )
    national.commit_reservation(dedup.uow_factory(), reservation.reservation_id, "r9", "L330102201506010009")
    with grpc.insecure_channel(dedup.settings.grpc_address) as channel:
        stub = dedup_pb2_grpc.DedupStub(channel)
        asked = [item(1, "a1"), item(1, "a2"), item(2, "a3"), item(1, "a1"), item(9, "a4")]
        got = stub.ReserveIdentities(
            dedup_pb2.ReserveIdentitiesRequest(identities=asked), metadata=system(dedup)
        )
        kinds = ["held_by" if r.HasField("held_by") else "reservation" for r in got.results]
        assert kinds == ["reservation", "held_by", "reservation", "reservation", "held_by"]
        first = got.results[0].reservation
        assert got.results[3].reservation.reservation_id == first.reservation_id  # idempotent per application
        assert got.results[1].held_by.holder_id == first.reservation_id
        assert got.results[1].held_by.kind == dedup_pb2.HOLDING_KIND_RESERVATION
        assert (got.results[4].held_by.kind, got.results[4].held_by.holder_id) == (
            dedup_pb2.HOLDING_KIND_RECORD,
            "r9",
        )
        # the single call answers the same (its ALREADY_EXISTS: the holding of the batch's item)
        again = stub.ReserveIdentity(item(2, "a3"), metadata=system(dedup))
        assert again.reservation_id == got.results[2].reservation.reservation_id

        bad = [
            item(3, "a5"),
            item(4, "", school_code=""),
            dedup_pb2.ReserveIdentityRequest(document_hash="x"),
        ]
        with pytest.raises(grpc.RpcError) as err:
            stub.ReserveIdentities(dedup_pb2.ReserveIdentitiesRequest(identities=bad), metadata=system(dedup))
        assert err.value.code() == grpc.StatusCode.INVALID_ARGUMENT
        assert [f for f, _ in field_violations(err.value)] == [
            "identities[1].application_id",
            "identities[1].school_code",
            "identities[2].document_type",
            "identities[2].document_hash",
        ]
        assert national.check_document(_reads(dedup), "A", h(3)) == []  # nothing reserved
        with pytest.raises(grpc.RpcError) as err:
            stub.ReserveIdentities(
                dedup_pb2.ReserveIdentitiesRequest(identities=[item(5, "a6")] * 501), metadata=system(dedup)
            )
        assert field_violations(err.value) == [("identities", "一次最多预留 500 个身份")]
        with pytest.raises(grpc.RpcError) as err:
            stub.ReserveIdentities(
                dedup_pb2.ReserveIdentitiesRequest(identities=[item(5, "a6")]),
                metadata=bearer(dedup.tokens.mint("u", Role.SCHOOL_REGISTRAR, SCHOOL)),
            )
        assert err.value.code() == grpc.StatusCode.PERMISSION_DENIED


def _reads(rt):
    from xueji_dedup.adapters.holdings_reads import SqlHoldingsReader

    return SqlHoldingsReader(rt.engine)


def identity(person, **kw) -> population_register_pb2.VerifyIdentityRequest:
    values = dict(
        name=person.name,
        gender=int(person.gender),
        birth_date=date_to_pb(person.birth_date),
        resident_id_number=person.resident_id,
    )
    return population_register_pb2.VerifyIdentityRequest(**{**values, **kw})


def test_verify_identities_answers_each_item_as_verify_identity(dedup, people):
    p, q = people[0], people[1]
    unknown = "11010519491231002X"  # a valid number the register does not hold
    asked = [
        identity(p),
        identity(q, name=q.name + "某"),
        identity(p, birth_date=date_to_pb(dt.date(2001, 1, 1))),
        identity(q, resident_id_number=unknown),
        identity(p),
    ]
    with grpc.insecure_channel(dedup.settings.grpc_address) as channel:
        stub = population_register_pb2_grpc.PopulationRegisterStub(channel)
        got = stub.VerifyIdentities(
            population_register_pb2.VerifyIdentitiesRequest(identities=asked), metadata=system(dedup)
        ).results
        assert list(got) == [stub.VerifyIdentity(a, metadata=system(dedup)) for a in asked]
        assert [(r.exists, r.matches) for r in got] == [
            (True, True),
            (True, False),
            (True, False),
            (False, False),
            (True, True),
        ]
        bad = [identity(p), identity(q, resident_id_number="123", name=" ")]
        with pytest.raises(grpc.RpcError) as err:
            stub.VerifyIdentities(
                population_register_pb2.VerifyIdentitiesRequest(identities=bad), metadata=system(dedup)
            )
        assert [f for f, _ in field_violations(err.value)] == [
            "identities[1].resident_id_number",
            "identities[1].name",
        ]
        with pytest.raises(grpc.RpcError) as err:
            stub.VerifyIdentities(
                population_register_pb2.VerifyIdentitiesRequest(identities=[identity(p)] * 501),
                metadata=system(dedup),
            )
        assert err.value.code() == grpc.StatusCode.INVALID_ARGUMENT
        with pytest.raises(grpc.RpcError) as err:
            stub.VerifyIdentities(
                population_register_pb2.VerifyIdentitiesRequest(identities=[identity(p)]),
                metadata=bearer(dedup.tokens.mint("u", Role.SCHOOL_LEADER, SCHOOL)),
            )
        assert err.value.code() == grpc.StatusCode.PERMISSION_DENIED


def test_dedups_clients_of_the_batch_calls_answer_as_the_single_ones(dedup, people):
    peers = Peers(dedup)
    p, q = people[0], people[1]
    identities = [
        Identity(p.name, int(p.gender), p.birth_date, p.resident_id),
        Identity(q.name, int(q.gender), q.birth_date, "123"),  # not a valid number: NOT_FOUND, as verify says
        Identity(q.name + "某", int(q.gender), q.birth_date, q.resident_id),
    ]
    assert peers.register.verify_many(identities) == [peers.register.verify(*i) for i in identities]
    assert peers.register.verify_many(identities) == ["", "NOT_FOUND", "NAME_MISMATCH"]

    items = [ToReserve("A", h(7), "b1", "330000", SCHOOL), ToReserve("A", h(7), "b2", "330000", SCHOOL)]
    got = peers.national.reserve_many(items)
    assert isinstance(got[0], str) and isinstance(got[1], Holding)
    assert (got[1].kind, got[1].holder_id) == (HoldingKind.RESERVATION, got[0])
    assert peers.national.reserve(*items[0]) == got[0]

    events = [resident(p), resident(q, revision=3)]
    for e in events:
        store_in_registration(dedup, e.application)
    ids = [e.application.application_id for e in events]
    numbers = peers.registration.application_numbers([*ids, "missing"])
    assert numbers == {i: peers.registration.application_number(i) for i in ids}
    assert [(numbers[i].number, numbers[i].revision) for i in ids] == [(p.resident_id, 1), (q.resident_id, 3)]


class _Unimplemented(grpc.RpcError):
    def code(self):
        return grpc.StatusCode.UNIMPLEMENTED

    def details(self):
        return "Method not found!"


class _Older:
    """A peer of before the batch calls: they answer UNIMPLEMENTED, the single ones as they do."""

    def __init__(self, stub, *batch_calls: str) -> None:
        self._stub, self._batch = stub, batch_calls

    def __getattr__(self, name):
        if name in self._batch:

            def unimplemented(*args, **kwargs):
                raise _Unimplemented()

            return unimplemented
        return getattr(self._stub, name)


def test_a_peer_without_the_batch_calls_is_asked_one_by_one(dedup, people):
    peers = Peers(dedup)
    peers.register._stub = _Older(peers.register._stub, "VerifyIdentities")
    peers.national._stub = _Older(peers.national._stub, "ReserveIdentities")
    peers.registration._stub = _Older(peers.registration._stub, "GetDocumentNumbers")
    p = people[0]
    assert peers.register.verify_many([Identity(p.name, int(p.gender), p.birth_date, p.resident_id)]) == [""]
    items = [ToReserve("A", h(8), "c1", "330000", SCHOOL), ToReserve("A", h(8), "c2", "330000", SCHOOL)]
    got = peers.national.reserve_many(items)
    assert isinstance(got[0], str) and isinstance(got[1], Holding)
    e = resident(p)
    store_in_registration(dedup, e.application)
    numbers = peers.registration.application_numbers([e.application.application_id, "missing"])
    assert [n.number for n in numbers.values()] == [p.resident_id]
