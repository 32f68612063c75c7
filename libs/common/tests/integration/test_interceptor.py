"""The shared server interceptor over a real socket: methods without an implementation, domain errors."""
from __future__ import annotations

import grpc
import pytest

from xueji.v1 import special_ed_pb2, special_ed_pb2_grpc
from xueji_common.auth import Role, TokenService
from xueji_common.errors import FieldViolation, InvalidArgument
from xueji_common.grpcserver.client import bearer
from xueji_common.grpcserver.errors import field_violations
from xueji_common.grpcserver.server import GrpcBinding, GrpcServer
from xueji_common.testing.infra import free_port

KEY = "interceptor-test-key-of-32-bytes-or-more"


class PartialServicer(special_ed_pb2_grpc.SpecialEdServicer):
    """Implements one method; the generated base class answers the others."""

    def GetSpecialEdInfo(self, request, context):
        raise InvalidArgument(FieldViolation("student_id", "请指定学生"))


@pytest.fixture(scope="module")
def stub():
    tokens = TokenService(KEY)
    address = f"127.0.0.1:{free_port()}"
    server = GrpcServer([GrpcBinding("xueji.v1.SpecialEd", special_ed_pb2_grpc.add_SpecialEdServicer_to_server,
                                     PartialServicer())], address, tokens)
    server.start()
    with grpc.insecure_channel(address) as channel:
        yield special_ed_pb2_grpc.SpecialEdStub(channel), bearer(tokens.mint("u", Role.SYSTEM, "000000"))
    server.stop(grace=1)


def test_a_method_without_implementation_answers_unimplemented_cleanly(stub, caplog):
    client, metadata = stub
    with pytest.raises(grpc.RpcError) as err:
        client.ListCandidates(special_ed_pb2.ListCandidatesRequest(), metadata=metadata)
    assert err.value.code() == grpc.StatusCode.UNIMPLEMENTED
    assert "尚未实现" in err.value.details()
    assert "unhandled error" not in caplog.text


def test_domain_errors_become_status_codes_with_field_violations(stub):
    client, metadata = stub
    with pytest.raises(grpc.RpcError) as err:
        client.GetSpecialEdInfo(special_ed_pb2.GetSpecialEdInfoRequest(), metadata=metadata)
    assert err.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert field_violations(err.value) == [("student_id", "请指定学生")]
