"""gRPC entrypoint of the PreschoolTransfers service (学前调档, 学前档案信息补录)."""
from __future__ import annotations

from xueji.v1 import registration_pb2_grpc


class PreschoolTransfersServicer(registration_pb2_grpc.PreschoolTransfersServicer):
    """Preschool transfers (issue #3); methods not overridden answer UNIMPLEMENTED."""

    def __init__(self, runtime) -> None:
        self._rt = runtime
