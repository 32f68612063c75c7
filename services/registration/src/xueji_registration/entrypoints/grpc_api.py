"""The gRPC services registration serves."""

from xueji.v1 import registration_pb2_grpc
from xueji_common.grpcserver.server import GrpcBinding
from xueji_registration.adapters.metrics import export_applications_by_state
from xueji_registration.entrypoints.grpc_preschool import PreschoolTransfersServicer
from xueji_registration.entrypoints.grpc_registrations import RegistrationsServicer


def bindings(runtime) -> list[GrpcBinding]:
    """The servicers, and the applications-by-state gauge that the gRPC process exports."""
    export_applications_by_state(runtime.session_factory)
    return [
        GrpcBinding(
            "xueji.v1.Registrations",
            registration_pb2_grpc.add_RegistrationsServicer_to_server,
            RegistrationsServicer(runtime),
        ),
        GrpcBinding(
            "xueji.v1.PreschoolTransfers",
            registration_pb2_grpc.add_PreschoolTransfersServicer_to_server,
            PreschoolTransfersServicer(runtime),
        ),
    ]
