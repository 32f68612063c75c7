"""Dedup.CommitReservations over gRPC on PostgreSQL: each item decided as CommitReservation decides
it and answered in the order asked, a retry answers the same and writes nothing more, the limit and
each item's missing fields named, the system role only."""

from __future__ import annotations

import grpc
import pytest
from dedup_helpers import SCHOOL
from sqlalchemy import func, select

from xueji.v1 import dedup_pb2, dedup_pb2_grpc
from xueji_common.auth import Role
from xueji_common.grpcserver.client import bearer
from xueji_common.grpcserver.errors import field_violations
from xueji_dedup.adapters.tables import national_records
from xueji_dedup.service_layer import national


def test_commit_reservations_over_grpc(dedup):
    ids = [
        national.reserve_identity(
            dedup.uow_factory(), national.ReserveIdentity("A", f"{i:064x}", f"app-{i}", "330000", SCHOOL)
        ).reservation_id
        for i in (1, 2)
    ]
    national.release_reservation(dedup.uow_factory(), ids[1], "WITHDRAWN")
    system = bearer(dedup.tokens.mint("service:dedup", Role.SYSTEM, "000000"))
    asked = [
        dedup_pb2.CommitReservationRequest(
            reservation_id=ids[0], record_id="r1", national_student_number="L1"
        ),
        dedup_pb2.CommitReservationRequest(reservation_id=ids[1], record_id="r2"),
        dedup_pb2.CommitReservationRequest(reservation_id="no-such-reservation", record_id="r3"),
    ]

    def held() -> int:
        with dedup.session_factory() as s:
            return s.execute(select(func.count()).select_from(national_records)).scalar_one()

    with grpc.insecure_channel(dedup.settings.grpc_address) as channel:
        stub = dedup_pb2_grpc.DedupStub(channel)
        first = stub.CommitReservations(
            dedup_pb2.CommitReservationsRequest(reservations=asked), metadata=system
        )
        assert [r.WhichOneof("outcome") for r in first.results] == ["reservation", "refused", "refused"]
        assert first.results[0].reservation.state == dedup_pb2.RESERVATION_STATE_COMMITTED
        assert first.results[0].reservation.record_id == "r1"
        assert [r.refused.code for r in first.results[1:]] == ["RELEASED", "NOT_FOUND"]
        assert held() == 1
        again = stub.CommitReservations(
            dedup_pb2.CommitReservationsRequest(reservations=asked), metadata=system
        )
        assert again == first and held() == 1

        other = dedup_pb2.CommitReservationRequest(reservation_id=ids[0], record_id="r9")
        [refused] = stub.CommitReservations(
            dedup_pb2.CommitReservationsRequest(reservations=[other]), metadata=system
        ).results
        assert refused.refused.code == "COMMITTED_TO_ANOTHER_RECORD"

        bad = [asked[0], dedup_pb2.CommitReservationRequest(reservation_id=ids[0])]
        with pytest.raises(grpc.RpcError) as err:
            stub.CommitReservations(dedup_pb2.CommitReservationsRequest(reservations=bad), metadata=system)
        assert err.value.code() == grpc.StatusCode.INVALID_ARGUMENT
        assert [f for f, _ in field_violations(err.value)] == ["reservations[1].record_id"]

        with pytest.raises(grpc.RpcError) as err:
            stub.CommitReservations(
                dedup_pb2.CommitReservationsRequest(reservations=asked[:1] * 501), metadata=system
            )
        assert field_violations(err.value) == [("reservations", "一次最多提交 500 个预留")]

        with pytest.raises(grpc.RpcError) as err:
            stub.CommitReservations(
                dedup_pb2.CommitReservationsRequest(reservations=asked),
                metadata=bearer(dedup.tokens.mint("u", Role.SCHOOL_REGISTRAR, SCHOOL)),
            )
        assert err.value.code() == grpc.StatusCode.PERMISSION_DENIED
