"""gRPC entrypoint of special-ed. Every method answers UNIMPLEMENTED until issue #6."""
from __future__ import annotations

from xueji.v1 import special_ed_pb2_grpc
from xueji_common.grpcserver.server import GrpcBinding


class SpecialEdServicer(special_ed_pb2_grpc.SpecialEdServicer):
    """Special-education information of disabled students (issue #6)."""


def bindings(runtime) -> list[GrpcBinding]:
    return [GrpcBinding("xueji.v1.SpecialEd", special_ed_pb2_grpc.add_SpecialEdServicer_to_server, SpecialEdServicer())]
