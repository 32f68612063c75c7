"""gRPC entrypoint of dedup. Every method answers UNIMPLEMENTED until issue #4 (generated base)."""
from __future__ import annotations

from xueji.v1 import dedup_pb2_grpc
from xueji_common.grpcserver.server import GrpcBinding


class DedupServicer(dedup_pb2_grpc.DedupServicer):
    """Document check, identity and number reservations (issue #4)."""


class ProblemRecordsServicer(dedup_pb2_grpc.ProblemRecordsServicer):
    """Problem records (问题学籍): list, detail, resolve (issue #4)."""


def bindings(runtime) -> list[GrpcBinding]:
    return [
        GrpcBinding("xueji.v1.Dedup", dedup_pb2_grpc.add_DedupServicer_to_server, DedupServicer()),
        GrpcBinding("xueji.v1.ProblemRecords", dedup_pb2_grpc.add_ProblemRecordsServicer_to_server,
                    ProblemRecordsServicer()),
    ]
