"""DomainError → gRPC status with google.rpc details (BadRequest field violations)."""
from __future__ import annotations

import grpc
from google.protobuf import any_pb2
from google.rpc import code_pb2, error_details_pb2, status_pb2
from grpc_status import rpc_status

from xueji_common.errors import DomainError, InvalidArgument, PreconditionFailed


def to_rpc_status(error: DomainError) -> status_pb2.Status:
    code = getattr(code_pb2, error.status)
    status = status_pb2.Status(code=code, message=error.message)
    if isinstance(error, InvalidArgument):
        bad_request = error_details_pb2.BadRequest(
            field_violations=[
                error_details_pb2.BadRequest.FieldViolation(field=v.field, description=v.description)
                for v in error.violations
            ]
        )
        detail = any_pb2.Any()
        detail.Pack(bad_request)
        status.details.append(detail)
    if isinstance(error, PreconditionFailed) and error.violations:
        failure = error_details_pb2.PreconditionFailure(
            violations=[
                error_details_pb2.PreconditionFailure.Violation(type=v.type, subject=v.subject, description=v.description)
                for v in error.violations
            ]
        )
        detail = any_pb2.Any()
        detail.Pack(failure)
        status.details.append(detail)
    return status


def abort_with(context: grpc.ServicerContext, error: DomainError) -> None:
    context.abort_with_status(rpc_status.to_status(to_rpc_status(error)))


def field_violations(error: grpc.RpcError) -> list[tuple[str, str]]:
    """Client side: the (field, description) pairs of an INVALID_ARGUMENT error."""
    status = rpc_status.from_call(error)
    if status is None:
        return []
    found = []
    for detail in status.details:
        if detail.Is(error_details_pb2.BadRequest.DESCRIPTOR):
            bad_request = error_details_pb2.BadRequest()
            detail.Unpack(bad_request)
            found.extend((v.field, v.description) for v in bad_request.field_violations)
    return found


def precondition_violations(error: grpc.RpcError) -> list[tuple[str, str, str]]:
    """Client side: the (type, subject, description) triples of a FAILED_PRECONDITION error."""
    status = rpc_status.from_call(error)
    if status is None:
        return []
    found = []
    for detail in status.details:
        if detail.Is(error_details_pb2.PreconditionFailure.DESCRIPTOR):
            failure = error_details_pb2.PreconditionFailure()
            detail.Unpack(failure)
            found.extend((v.type, v.subject, v.description) for v in failure.violations)
    return found
