"""Registration over a real gRPC socket on PostgreSQL, with a test double of national-query's
`PreschoolRecords` (the peer contract: MatchPreschoolRecord and its batch) for the preschool matching."""

from __future__ import annotations

from dataclasses import dataclass

import grpc
import pytest
from sqlalchemy import func, select

from xueji.v1 import common_pb2, national_query_pb2, national_query_pb2_grpc, registration_pb2_grpc
from xueji_common.auth import Role
from xueji_common.config import Settings
from xueji_common.grpcserver import client
from xueji_common.grpcserver.guard import require_role
from xueji_common.grpcserver.server import GrpcBinding, GrpcServer
from xueji_common.testing.infra import free_port
from xueji_registration.spec import SPEC

SCHOOL = "1330102001"
OTHER_SCHOOL = "1330105001"


class FakePreschoolRecords(national_query_pb2_grpc.PreschoolRecordsServicer):
    """Answers from `by_number` (document number → candidates) and `by_name` (name → candidates).
    `batches` lists the sizes of the MatchPreschoolRecords calls; `batch_refusal` is the code every
    batch call fails with (UNIMPLEMENTED: a national-query without that call), None to answer."""

    def __init__(self) -> None:
        self.by_number: dict[str, list[common_pb2.PreschoolRecordCandidate]] = {}
        self.by_name: dict[str, list[common_pb2.PreschoolRecordCandidate]] = {}
        self.formal: dict[str, list[common_pb2.FormalRecordHolder]] = {}  # document number → formal records
        self.calls = 0  # MatchPreschoolRecord calls
        self.batches: list[int] = []
        self.batch_refusal: grpc.StatusCode | None = None
        self.unavailable = False

    def _answer(self, request) -> national_query_pb2.MatchPreschoolRecordResponse:
        formal = []
        if request.WhichOneof("key") == "document":
            found = self.by_number.get(request.document.number, [])
            formal = self.formal.get(request.document.number, [])
        else:
            found = self.by_name.get(request.person.name, [])
        return national_query_pb2.MatchPreschoolRecordResponse(candidates=found, formal_records=formal)

    def MatchPreschoolRecord(self, request, context):
        require_role(Role.SYSTEM)
        self.calls += 1
        if self.unavailable:
            context.abort(grpc.StatusCode.UNAVAILABLE, "down")
        return self._answer(request)

    def MatchPreschoolRecords(self, request, context):
        require_role(Role.SYSTEM)
        if self.batch_refusal is not None:
            context.abort(self.batch_refusal, "refused")
        self.batches.append(len(request.identities))
        if self.unavailable:
            context.abort(grpc.StatusCode.UNAVAILABLE, "down")
        return national_query_pb2.MatchPreschoolRecordsResponse(
            results=[self._answer(r) for r in request.identities]
        )


def record(record_id: str, name: str = "张三") -> common_pb2.PreschoolRecordCandidate:
    return common_pb2.PreschoolRecordCandidate(
        record_id=record_id,
        name=name,
        kindergarten_name="阳光幼儿园",
        national_student_number="L33010220150601" + record_id[-4:].zfill(4),
    )


@dataclass
class Intake:
    runtime: object
    registrations: registration_pb2_grpc.RegistrationsStub
    preschool: registration_pb2_grpc.PreschoolTransfersStub
    records: FakePreschoolRecords
    address: str = ""

    def call(self, method: str, request, role: Role = Role.SCHOOL_REGISTRAR, org: str = SCHOOL):
        stub = self.preschool if hasattr(self.preschool, method) else self.registrations
        token = self.runtime.tokens.mint("u1", role, org)
        return getattr(stub, method)(request, metadata=client.bearer(token), timeout=60)

    def count(self, table: str) -> int:
        with self.runtime.session_factory() as s:
            return s.execute(select(func.count()).select_from(SPEC.metadata.tables[table])).scalar_one()


@pytest.fixture
def intake(service_runtime, tmp_path, monkeypatch):
    monkeypatch.setenv("XUEJI_FILES_DIR", str(tmp_path / "files"))
    nq_address = f"127.0.0.1:{free_port()}"
    runtime = service_runtime(SPEC, Settings(data_dir=tmp_path, peers={"national-query": nq_address}))
    fake = FakePreschoolRecords()
    peer = GrpcServer(
        [
            GrpcBinding(
                "xueji.v1.PreschoolRecords",
                national_query_pb2_grpc.add_PreschoolRecordsServicer_to_server,
                fake,
            )
        ],
        nq_address,
        runtime.tokens,
    )
    server = GrpcServer(
        SPEC.grpc_bindings(runtime),
        f"127.0.0.1:{free_port()}",
        runtime.tokens,
        public_methods=SPEC.public_methods,
    )
    peer.start()
    server.start()
    channel = client.channel(server.address)
    yield Intake(
        runtime,
        registration_pb2_grpc.RegistrationsStub(channel),
        registration_pb2_grpc.PreschoolTransfersStub(channel),
        fake,
        server.address,
    )
    channel.close()
    server.stop(0)
    peer.stop(0)
