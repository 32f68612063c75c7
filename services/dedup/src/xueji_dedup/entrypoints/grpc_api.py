"""gRPC entrypoint of dedup: the Dedup surface, problem records, and the default population register."""

from __future__ import annotations

from xueji.v1 import dedup_pb2_grpc, population_register_pb2_grpc
from xueji_common.grpcserver.server import GrpcBinding
from xueji_dedup.entrypoints.grpc_dedup import DedupServicer
from xueji_dedup.entrypoints.grpc_problems import ProblemRecordsServicer
from xueji_dedup.entrypoints.grpc_register import PopulationRegisterServicer


def bindings(runtime) -> list[GrpcBinding]:
    return [
        GrpcBinding("xueji.v1.Dedup", dedup_pb2_grpc.add_DedupServicer_to_server, DedupServicer(runtime)),
        GrpcBinding(
            "xueji.v1.ProblemRecords",
            dedup_pb2_grpc.add_ProblemRecordsServicer_to_server,
            ProblemRecordsServicer(runtime),
        ),
        GrpcBinding(
            "xueji.v1.PopulationRegister",
            population_register_pb2_grpc.add_PopulationRegisterServicer_to_server,
            PopulationRegisterServicer(runtime),
        ),
    ]
