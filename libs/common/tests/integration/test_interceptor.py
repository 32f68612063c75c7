"""The shared server interceptor over a real socket: methods without an implementation, domain errors,
unexpected errors (INTERNAL with an error id), the edge validation of every request, and the shape
of the token's claims."""

from __future__ import annotations

import base64
import gc
import logging
import re
import threading
import time

import grpc
import pytest
from google.protobuf.timestamp_pb2 import Timestamp

from xueji.v1 import special_ed_pb2, special_ed_pb2_grpc
from xueji_common import metrics, paging
from xueji_common.auth import Role
from xueji_common.errors import FieldViolation, InvalidArgument
from xueji_common.grpcserver.client import bearer
from xueji_common.grpcserver.errors import field_violations
from xueji_common.grpcserver.server import GrpcBinding, GrpcServer
from xueji_common.logs import context_fields
from xueji_common.testing.infra import free_port
from xueji_common.testing.issuer import TestIssuer


class PartialServicer(special_ed_pb2_grpc.SpecialEdServicer):
    """Implements one method; the generated base class answers the others."""

    reached = 0

    def GetSpecialEdInfo(self, request, context):
        raise InvalidArgument(FieldViolation("student_id", "请指定学生"))

    def UpdateSpecialEdInfo(self, request, context):
        raise RuntimeError("(sqlite3.OperationalError) LIKE or GLOB pattern too complex [SQL: SELECT secret]")

    def ListSpecialEdStudents(self, request, context):
        PartialServicer.reached += 1
        return special_ed_pb2.ListSpecialEdStudentsResponse()


@pytest.fixture(scope="module")
def stub():
    tokens = TestIssuer().token_service()
    address = f"127.0.0.1:{free_port()}"
    server = GrpcServer(
        [
            GrpcBinding(
                "xueji.v1.SpecialEd", special_ed_pb2_grpc.add_SpecialEdServicer_to_server, PartialServicer()
            )
        ],
        address,
        tokens,
    )
    server.start()
    with grpc.insecure_channel(address) as channel:
        client = special_ed_pb2_grpc.SpecialEdStub(channel)
        client.channel = channel  # for raw calls
        client.tokens = tokens
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
    raw = client.channel.unary_unary("/xueji.v1.SpecialEd/GetSpecialEdInfo")  # bytes in, bytes out
    with pytest.raises(grpc.RpcError) as err:
        raw(b"\x0a\x02\xff\xfe", metadata=metadata)  # record_id (field 1): 2 bytes of invalid UTF-8
    assert err.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "UTF-8" in field_violations(err.value)[0][1]


def test_a_nul_character_in_a_string_is_a_field_error(stub):
    """PostgreSQL cannot store NUL in text: refused up front rather than failing in the database."""
    client, metadata = stub
    with pytest.raises(grpc.RpcError) as err:
        client.GetSpecialEdInfo(special_ed_pb2.GetSpecialEdInfoRequest(record_id="r\x001"), metadata=metadata)
    assert err.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert [f for f, _ in field_violations(err.value)] == ["record_id"]


def test_an_unexpected_error_is_internal_with_an_error_id_the_log_carries_with_the_traceback(stub, caplog):
    client, metadata = stub
    with pytest.raises(grpc.RpcError) as err:
        client.UpdateSpecialEdInfo(special_ed_pb2.UpdateSpecialEdInfoRequest(), metadata=metadata)
    assert err.value.code() == grpc.StatusCode.INTERNAL
    details = err.value.details()
    assert "SQL" not in details and "OperationalError" not in details and "secret" not in details
    error_id = re.search(r"错误编号 ([0-9a-f]{16})", details).group(1)
    [record] = [r for r in caplog.records if r.getMessage() == "unhandled error"]
    assert record.fields["error_id"] == error_id
    assert "LIKE or GLOB pattern too complex" in str(record.exc_info[1])


@pytest.mark.parametrize(
    "request_,field",
    [
        (special_ed_pb2.ListSpecialEdStudentsRequest(name="张" * 60_000), "name"),
        (special_ed_pb2.ListSpecialEdStudentsRequest(org_unit_code="1" * 1001), "org_unit_code"),
        (special_ed_pb2.ListSpecialEdStudentsRequest(disability_type=999), "disability_type"),
        (special_ed_pb2.ListSpecialEdStudentsRequest(page_size=-1), "page_size"),
        (
            special_ed_pb2.ListSpecialEdStudentsRequest(
                page_token=base64.urlsafe_b64encode(b"o:" + b"9" * 40).decode()
            ),
            "page_token",
        ),
        (special_ed_pb2.ListSpecialEdStudentsRequest(page_token="!" * 10_000), "page_token"),
        (special_ed_pb2.ListSpecialEdStudentsRequest(page_token="not a token"), "page_token"),
        (
            special_ed_pb2.ListSpecialEdStudentsRequest(
                name="李",
                page_token=paging.encode(
                    50, paging.binding(special_ed_pb2.ListSpecialEdStudentsRequest(name="张"))
                ),
            ),
            "page_token",
        ),
    ],
    ids=[
        "long_name",
        "long_code",
        "undefined_enum",
        "negative_page_size",
        "huge_offset",
        "huge_token",
        "forged_token",
        "other_filters_token",
    ],
)
def test_every_request_is_validated_at_the_edge_before_its_handler(stub, request_, field):
    client, metadata = stub
    before = PartialServicer.reached
    with pytest.raises(grpc.RpcError) as err:
        client.ListSpecialEdStudents(request_, metadata=metadata)
    assert err.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert [f for f, _ in field_violations(err.value)] == [field]
    assert PartialServicer.reached == before


def test_timestamps_outside_the_valid_range_are_field_errors():
    """No RPC of SpecialEd takes a Timestamp: the walk is checked on a request that does."""
    from xueji.v1 import registration_pb2
    from xueji_common.grpcserver.validation import violations

    request = registration_pb2.ListApplicationsRequest(submitted_after=Timestamp(seconds=2**62))
    assert [v.field for v in violations(request)] == ["submitted_after"]
    request = registration_pb2.ListApplicationsRequest(submitted_before=Timestamp(seconds=0, nanos=-1))
    assert [v.field for v in violations(request)] == ["submitted_before"]


def test_a_valid_request_reaches_its_handler(stub):
    client, metadata = stub
    before = PartialServicer.reached
    request = special_ed_pb2.ListSpecialEdStudentsRequest(name="张" * 100, disability_type=1, page_size=10)
    request.page_token = paging.encode(50, paging.binding(request))  # as the previous page answered it
    client.ListSpecialEdStudents(request, metadata=metadata)
    assert PartialServicer.reached == before + 1


@pytest.mark.parametrize(
    "role,org",
    [
        (Role.SCHOOL_REGISTRAR, ""),
        (Role.SCHOOL_REGISTRAR, None),
        (Role.SCHOOL_REGISTRAR, ["1330102001"]),
        (Role.SCHOOL_REGISTRAR, 1330102001),
        (Role.SCHOOL_REGISTRAR, "330102"),
        (Role.SCHOOL_LEADER, "330102"),
        (Role.SCHOOL_LEADER, "9999999999"),
        (Role.DEPARTMENT_REGISTRAR, "1330102001"),
        (Role.DEPARTMENT_REGISTRAR, ""),
        (Role.SYSTEM, ""),
        (Role.SYSTEM, "330100"),
    ],
    ids=repr,
)
def test_claims_of_the_wrong_shape_are_unauthenticated_before_any_handler(stub, role, org):
    client, _ = stub
    before = PartialServicer.reached
    with pytest.raises(grpc.RpcError) as err:
        client.ListSpecialEdStudents(
            special_ed_pb2.ListSpecialEdStudentsRequest(), metadata=bearer(client.tokens.mint("u", role, org))
        )
    assert err.value.code() == grpc.StatusCode.UNAUTHENTICATED
    assert PartialServicer.reached == before


@pytest.mark.parametrize(
    "role,org",
    [
        (Role.SCHOOL_REGISTRAR, "1330102001"),
        (Role.SCHOOL_LEADER, "1330102001"),
        (Role.DEPARTMENT_REGISTRAR, "330102"),
        (Role.DEPARTMENT_REGISTRAR, "000000"),
        (Role.SYSTEM, "000000"),
    ],
    ids=repr,
)
def test_claims_of_the_right_shape_reach_the_handler(stub, role, org):
    client, _ = stub
    before = PartialServicer.reached
    client.ListSpecialEdStudents(
        special_ed_pb2.ListSpecialEdStudentsRequest(), metadata=bearer(client.tokens.mint("u", role, org))
    )
    assert PartialServicer.reached == before + 1


def test_an_empty_subject_is_unauthenticated(stub):
    client, _ = stub
    with pytest.raises(grpc.RpcError) as err:
        client.ListSpecialEdStudents(
            special_ed_pb2.ListSpecialEdStudentsRequest(),
            metadata=bearer(client.tokens.mint("", Role.SYSTEM, "000000")),
        )
    assert err.value.code() == grpc.StatusCode.UNAUTHENTICATED


def _reflection_calls_ended() -> dict[str, float]:
    """How many reflection calls ended, by the status code the interceptor counted."""
    return {
        sample.labels["grpc_code"]: sample.value
        for metric in metrics.GRPC_HANDLED.collect()
        for sample in metric.samples
        if sample.name.endswith("_total") and sample.labels["grpc_method"] == "ServerReflectionInfo"
    }


def test_a_client_that_cancels_its_request_stream_is_not_an_unhandled_error(stub, caplog):
    """Reflection clients (grpcurl, the test's descriptor database) hang up mid-stream: no error log.

    Which code the call ends with is grpc's race: the cancellation (CANCELLED), or, when the stream's
    end reaches the servicer's request iterator before it, a clean end of the requests (OK)."""
    from grpc_reflection.v1alpha import reflection_pb2, reflection_pb2_grpc

    client, _ = stub
    caplog.set_level(logging.INFO, logger="xueji.grpc")
    hold = threading.Event()

    def requests():
        yield reflection_pb2.ServerReflectionRequest(list_services="")
        hold.wait(10)  # the stream stays open until the client cancels it

    before = _reflection_calls_ended()
    call = reflection_pb2_grpc.ServerReflectionStub(client.channel).ServerReflectionInfo(requests())
    assert next(call).list_services_response.service
    call.cancel()
    deadline = time.monotonic() + 10
    try:
        while sum(_reflection_calls_ended().values()) == sum(before.values()):
            assert time.monotonic() < deadline, caplog.text
            gc.collect()  # grpc may leave the abandoned response generator to the cycle collector to close
            time.sleep(0.05)
    finally:
        hold.set()
    ended = {code: n - before.get(code, 0) for code, n in _reflection_calls_ended().items()}
    assert {code for code, n in ended.items() if n} <= {"CANCELLED", "OK"}, ended
    assert "unhandled error" not in caplog.text
    if ended.get("CANCELLED"):
        assert "call cancelled by the client" in caplog.text


def test_a_callers_request_id_is_kept_and_a_missing_one_made(stub, caplog):
    client, _metadata = stub
    caplog.set_level(logging.INFO, logger="xueji")
    seen = []
    handler = logging.Handler()
    handler.emit = lambda record: seen.append(context_fields())  # read on the serving thread
    logging.getLogger("xueji.access").addHandler(handler)
    person = bearer(client.tokens.mint("leader-1", Role.SCHOOL_LEADER, "1330102001"))
    try:
        client.ListSpecialEdStudents(
            special_ed_pb2.ListSpecialEdStudentsRequest(), metadata=[*person, ("x-request-id", "req-abc")]
        )
        client.ListSpecialEdStudents(special_ed_pb2.ListSpecialEdStudentsRequest(), metadata=person)
        client.ListSpecialEdStudents(
            special_ed_pb2.ListSpecialEdStudentsRequest(),
            metadata=[*person, ("x-request-id", "bad id\\u00e9" * 20)],
        )
    finally:
        logging.getLogger("xueji.access").removeHandler(handler)
    given, made, replaced = seen
    assert given == {"request_id": "req-abc", "user": "leader-1"}
    assert len(made["request_id"]) == 32 and made["user"] == "leader-1"
    assert len(replaced["request_id"]) == 32
    line = next(
        r
        for r in caplog.records
        if r.getMessage() == "rpc" and r.fields["method"].endswith("ListSpecialEdStudents")
    )
    assert line.levelno == logging.INFO and line.fields["code"] == "OK"
