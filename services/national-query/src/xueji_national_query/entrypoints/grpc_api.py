"""gRPC bindings of national-query: NationalQuery (lookup, captcha, bulk load) and PreschoolRecords."""

from __future__ import annotations

from xueji.v1 import national_query_pb2_grpc
from xueji_common.grpcserver.server import GrpcBinding
from xueji_national_query.config import lookup_policy_from_env
from xueji_national_query.entrypoints.grpc_lookup import NationalQueryServicer
from xueji_national_query.entrypoints.grpc_preschool import PreschoolRecordsServicer


def bindings(runtime, policy=None) -> list[GrpcBinding]:
    lookups = NationalQueryServicer(runtime, policy or lookup_policy_from_env(runtime.settings))
    runtime.on_close(lookups.close)  # the queued audit entries are committed before the engine goes
    return [
        GrpcBinding(
            "xueji.v1.NationalQuery", national_query_pb2_grpc.add_NationalQueryServicer_to_server, lookups
        ),
        GrpcBinding(
            "xueji.v1.PreschoolRecords",
            national_query_pb2_grpc.add_PreschoolRecordsServicer_to_server,
            PreschoolRecordsServicer(runtime),
        ),
    ]
