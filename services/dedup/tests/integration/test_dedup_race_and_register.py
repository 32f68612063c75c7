"""Two applications racing for one document on PostgreSQL: exactly one reservation wins. The
population register down, then back: nothing is lost, no result goes out until it answers."""

from __future__ import annotations

import threading

import pytest
from dedup_helpers import SCHOOL, SCHOOL_JS, deliver, published, resident, start_server
from sqlalchemy import func, select

from xueji.v1 import events_pb2, population_register_pb2_grpc
from xueji_common.errors import AlreadyExists
from xueji_common.grpcserver.server import GrpcBinding
from xueji_common.testing.infra import free_port
from xueji_dedup.adapters.peers import PeerUnavailable
from xueji_dedup.adapters.tables import national_reservations, province_applications
from xueji_dedup.entrypoints.grpc_register import PopulationRegisterServicer
from xueji_dedup.service_layer import national, province


def test_concurrent_reservations_of_one_document_one_wins(dedup):
    for round_ in range(10):
        document_hash = f"{round_:064x}"
        barrier = threading.Barrier(2)
        results = []

        def reserve(
            application_id,
            school,
            province_code,
            barrier=barrier,
            document_hash=document_hash,
            results=results,
        ):
            uow = dedup.uow_factory()
            barrier.wait()
            try:
                r = national.reserve_identity(
                    uow, national.ReserveIdentity("A", document_hash, application_id, province_code, school)
                )
                results.append(("won", r.application_id))
            except AlreadyExists as exc:
                results.append(("lost", exc.holding.application_id))

        threads = [
            threading.Thread(target=reserve, args=("zj", SCHOOL, "330000")),
            threading.Thread(target=reserve, args=("js", SCHOOL_JS, "320000")),
        ]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        winners = [app for outcome, app in results if outcome == "won"]
        losers = [holder for outcome, holder in results if outcome == "lost"]
        assert len(winners) == 1 and losers == winners, results
    with dedup.session_factory() as s:
        assert s.execute(select(func.count()).select_from(national_reservations)).scalar_one() == 10


def test_register_down_then_back(make_dedup, people, monkeypatch):
    register_address = f"127.0.0.1:{free_port()}"  # nothing listens there yet
    rt = make_dedup(peers={"population-register": register_address})
    monkeypatch.setattr(province, "REGISTER_RETRY_DELAYS", (0.05, 0.1))
    event = resident(people[5])
    with pytest.raises(PeerUnavailable):
        deliver(rt, event, event_id="submitted-1")
    assert published(rt) == []  # no result: the application stays 未查重认证
    with rt.session_factory() as s:  # and nothing half-written, the inbox included
        assert s.execute(select(func.count()).select_from(province_applications)).scalar_one() == 0
        assert s.execute(select(func.count()).select_from(rt.spec.inbox)).scalar_one() == 0

    register = start_server(
        rt,
        [
            GrpcBinding(
                "xueji.v1.PopulationRegister",
                population_register_pb2_grpc.add_PopulationRegisterServicer_to_server,
                PopulationRegisterServicer(rt),
            )
        ],
        register_address,
    )
    try:
        monkeypatch.setattr(province, "REGISTER_RETRY_DELAYS", (0.5, 1.0, 2.0, 4.0))  # the channel reconnects
        assert deliver(rt, event, event_id="submitted-1") == "handled"  # the bus delivers it again
    finally:
        register.stop(0)
    [done] = published(rt, "DedupCompleted")
    assert done.outcome == events_pb2.DEDUP_OUTCOME_PASSED
