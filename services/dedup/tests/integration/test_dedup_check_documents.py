"""Dedup.CheckDocuments, the batch of CheckDocument: the same answers as one call per document (on
PostgreSQL's prepared array join and on SQLite's row values), in the order asked, with the limit and
each item's errors named."""

from __future__ import annotations

import grpc
import pytest
from dedup_helpers import SCHOOL

from xueji.v1 import common_pb2, dedup_pb2, dedup_pb2_grpc
from xueji_common.auth import Role
from xueji_common.config import Settings
from xueji_common.grpcserver.client import bearer
from xueji_common.grpcserver.errors import field_violations
from xueji_common.runtime.bootstrap import ServiceRuntime
from xueji_dedup.adapters.holdings_reads import SqlHoldingsReader
from xueji_dedup.service_layer import national

PASSPORT = common_pb2.DOCUMENT_TYPE_PASSPORT


def h(i: int) -> str:
    return f"{i:064x}"


def holdings_of(rt) -> list[national.DocumentCheck]:
    """Two records, one open reservation, and documents nobody holds: what a class's check meets."""
    for i in (1, 2):
        reservation = national.reserve_identity(
            rt.uow_factory(), national.ReserveIdentity("A", h(i), f"a{i}", "330000", SCHOOL)
        )
        national.commit_reservation(
            rt.uow_factory(), reservation.reservation_id, f"r{i}", f"L33010220150601000{i}"
        )
    national.reserve_identity(rt.uow_factory(), national.ReserveIdentity("A", h(3), "a3", "320000", SCHOOL))
    return [national.DocumentCheck("A", h(i)) for i in (4, 1, 3, 5, 2, 1)] + [
        national.DocumentCheck("A", h(3), except_application="a3"),  # its own reservation does not count
        national.DocumentCheck("B", h(1)),
    ]  # another type, same hash: not held


def assert_batch_answers_as_single_checks(rt) -> None:
    checks, reads = holdings_of(rt), SqlHoldingsReader(rt.engine)
    batch = national.check_documents(reads, checks)
    single = [
        national.check_document(reads, c.document_type, c.document_hash, c.except_application) for c in checks
    ]
    assert batch == single
    assert [bool(held) for held in batch] == [False, True, True, False, True, True, False, False]


def test_the_batch_answers_as_one_check_per_document_on_postgresql(service_runtime):
    from xueji_dedup.spec import SPEC

    assert_batch_answers_as_single_checks(service_runtime(SPEC, Settings()))


def test_the_batch_answers_as_one_check_per_document_on_sqlite(tmp_path):
    from xueji_dedup.spec import SPEC

    rt = ServiceRuntime(SPEC, Settings(), database_url=f"sqlite:///{tmp_path / 'dedup.db'}")
    rt.migrate()
    try:
        assert_batch_answers_as_single_checks(rt)
    finally:
        rt.close()


def test_check_documents_over_grpc_in_order_with_the_limit_and_named_items(dedup):
    system = bearer(dedup.tokens.mint("service:registration", Role.SYSTEM, "000000"))
    holdings_of(dedup)
    with grpc.insecure_channel(dedup.settings.grpc_address) as channel:
        stub = dedup_pb2_grpc.DedupStub(channel)
        asked = [dedup_pb2.CheckDocumentRequest(document_type=PASSPORT, document_hash=h(i)) for i in (2, 4)]
        answer = stub.CheckDocuments(dedup_pb2.CheckDocumentsRequest(documents=asked), metadata=system)
        assert [r.available for r in answer.results] == [False, True]
        assert answer.results[0].holdings[0].holder_id == "r2"
        assert answer.results[0].holdings[0].kind == dedup_pb2.HOLDING_KIND_RECORD

        bad = [*asked, dedup_pb2.CheckDocumentRequest(document_type=PASSPORT, document_hash="330102...")]
        with pytest.raises(grpc.RpcError) as err:
            stub.CheckDocuments(dedup_pb2.CheckDocumentsRequest(documents=bad), metadata=system)
        assert err.value.code() == grpc.StatusCode.INVALID_ARGUMENT
        assert [f for f, _ in field_violations(err.value)] == ["documents[2].document_hash"]

        too_many = asked[:1] * 501
        with pytest.raises(grpc.RpcError) as err:
            stub.CheckDocuments(dedup_pb2.CheckDocumentsRequest(documents=too_many), metadata=system)
        assert field_violations(err.value) == [("documents", "一次最多查询 500 个证件")]

        with pytest.raises(grpc.RpcError) as err:
            stub.CheckDocuments(
                dedup_pb2.CheckDocumentsRequest(documents=asked),
                metadata=bearer(dedup.tokens.mint("u", Role.SCHOOL_REGISTRAR, SCHOOL)),
            )
        assert err.value.code() == grpc.StatusCode.PERMISSION_DENIED
