"""The shared server interceptor over a real socket: methods without an implementation, domain errors."""
from __future__ import annotations

import grpc
import pytest

from xueji.v1 import special_ed_pb2, special_ed_pb2_grpc
from xueji_common.auth import Role
from xueji_common.errors import FieldViolation, InvalidArgument
from xueji_common.grpcserver.client import bearer
from xueji_common.grpcserver.errors import field_violations
from xueji_common.grpcserver.server import GrpcBinding, GrpcServer
from xueji_common.testing.infra import free_port
from xueji_common.testing.issuer import TestIssuer

class PartialServicer(special_ed_pb2_grpc.SpecialEdServicer):
    """Implements one method; the generated base class answers the others."""

    def GetSpecialEdInfo(self, request, context):
        raise InvalidArgument(FieldViolation("student_id", "请指定学生"))


@pytest.fixture(scope="module")
def stub():
    tokens = TestIssuer().token_service()
    address = f"127.0.0.1:{free_port()}"
    server = GrpcServer([GrpcBinding("xueji.v1.SpecialEd", special_ed_pb2_grpc.add_SpecialEdServicer_to_server,
                                     PartialServicer())], address, tokens)
    server.start()
    with grpc.insecure_channel(address) as channel:
        client = special_ed_pb2_grpc.SpecialEdStub(channel)
        client.channel = channel   # for raw calls
        yield client, bearer(tokens.mint("u", Role.SYSTEM, "000000"))
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



def test_a_request_that_does_not_parse_is_invalid_argument_not_internal(stub):
    """Invalid UTF-8 in a string field: grpc itself would answer INTERNAL."""
    client, metadata = stub
    raw = client.channel.unary_unary("/xueji.v1.SpecialEd/GetSpecialEdInfo")   # bytes in, bytes out
    with pytest.raises(grpc.RpcError) as err:
        raw(b"\x0a\x02\xff\xfe", metadata=metadata)   # record_id (field 1): 2 bytes of invalid UTF-8
    assert err.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "UTF-8" in field_violations(err.value)[0][1]


def test_a_nul_character_in_a_string_is_a_field_error(stub):
    """PostgreSQL cannot store NUL in text: refused up front rather than failing in the database."""
    client, metadata = stub
    with pytest.raises(grpc.RpcError) as err:
        client.GetSpecialEdInfo(special_ed_pb2.GetSpecialEdInfoRequest(record_id="r\x001"), metadata=metadata)
    assert err.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert [f for f, _ in field_violations(err.value)] == ["record_id"]
