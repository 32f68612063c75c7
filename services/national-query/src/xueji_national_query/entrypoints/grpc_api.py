"""gRPC entrypoint of national-query. Every method answers UNIMPLEMENTED until issue #6."""
from __future__ import annotations

from xueji.v1 import national_query_pb2_grpc
from xueji_common.grpcserver.server import GrpcBinding


class NationalQueryServicer(national_query_pb2_grpc.NationalQueryServicer):
    """National lookup with captcha, bulk load (issue #6)."""


class PreschoolRecordsServicer(national_query_pb2_grpc.PreschoolRecordsServicer):
    """Preschool record matching for registration (issue #6)."""


def bindings(runtime) -> list[GrpcBinding]:
    return [
        GrpcBinding("xueji.v1.NationalQuery", national_query_pb2_grpc.add_NationalQueryServicer_to_server,
                    NationalQueryServicer()),
        GrpcBinding("xueji.v1.PreschoolRecords", national_query_pb2_grpc.add_PreschoolRecordsServicer_to_server,
                    PreschoolRecordsServicer()),
    ]
