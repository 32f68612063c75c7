"""DomainError → gRPC status with google.rpc details (BadRequest field violations)."""

from __future__ import annotations

import grpc
from google.protobuf import any_pb2
from google.rpc import code_pb2, error_details_pb2, status_pb2
from grpc_status import rpc_status

from xueji_common.errors import DomainError, InvalidArgument, PreconditionFailed

# A status travels in HTTP/2 trailers (grpc-message percent-encoded, the details base64), and
# clients drop trailers beyond 8-16 KiB: an error echoing a huge input (a 100,000-character school
# code in "无权访问学校 …") reached the caller as RESOURCE_EXHAUSTED "Stream removed" instead of
# itself. So each text is clipped and the violations are kept within a byte budget.
MAX_TEXT = 300  # characters of a message, field, subject or description
DETAILS_BUDGET = 2000  # bytes of violations; the ones beyond are counted in a last entry


def clip(text: str, limit: int = MAX_TEXT) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _within_budget(violations: list, make, omitted) -> list:
    kept, size = [], 0
    for v in violations:
        item = make(v)
        size += item.ByteSize()
        if size > DETAILS_BUDGET:
            return [*kept, omitted(len(violations) - len(kept))]
        kept.append(item)
    return kept


def to_rpc_status(error: DomainError) -> status_pb2.Status:
    code = getattr(code_pb2, error.status)
    status = status_pb2.Status(code=code, message=clip(error.message))
    if isinstance(error, InvalidArgument):
        field = error_details_pb2.BadRequest.FieldViolation
        bad_request = error_details_pb2.BadRequest(
            field_violations=_within_budget(
                error.violations,
                lambda v: field(field=clip(v.field), description=clip(v.description)),
                lambda n: field(field="", description=f"另有{n}处错误未列出"),
            )
        )
        detail = any_pb2.Any()
        detail.Pack(bad_request)
        status.details.append(detail)
    if isinstance(error, PreconditionFailed) and error.violations:
        violation = error_details_pb2.PreconditionFailure.Violation
        failure = error_details_pb2.PreconditionFailure(
            violations=_within_budget(
                error.violations,
                lambda v: violation(
                    type=clip(v.type), subject=clip(v.subject), description=clip(v.description)
                ),
                lambda n: violation(type="", subject="", description=f"另有{n}项未列出"),
            )
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
