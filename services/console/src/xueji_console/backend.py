"""The public gRPC APIs the console calls, with the signed-in user's token, and what their errors
mean to a page. The console decides nothing: a refusal, a field error or a 403 is the service's."""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass, field

import grpc

from xueji.v1 import (
    accounts_pb2_grpc,
    dedup_pb2_grpc,
    national_query_pb2_grpc,
    registration_pb2_grpc,
    review_pb2_grpc,
    special_ed_pb2_grpc,
)
from xueji_common import logs
from xueji_common.grpcserver import client
from xueji_common.grpcserver.errors import field_violations, precondition_violations

log = logging.getLogger(__name__)
TIMEOUT_SECONDS = 30


class Backend:
    def __init__(self, settings) -> None:
        self._channels: dict[str, grpc.Channel] = {}
        self._tls = settings.tls  # for https:// peers (another tier's national-query): CA, client certificate
        accounts = self._channel(settings.peer("accounts"))
        registration = self._channel(settings.peer("registration"))
        review = self._channel(settings.peer("review"))
        self.accounts = accounts_pb2_grpc.AccountsStub(accounts)
        self.registrations = registration_pb2_grpc.RegistrationsStub(registration)
        self.transfers = registration_pb2_grpc.PreschoolTransfersStub(registration)
        self.reviews = review_pb2_grpc.ReviewsStub(review)
        self.reports = review_pb2_grpc.ReportsStub(review)
        self.problems = dedup_pb2_grpc.ProblemRecordsStub(self._channel(settings.peer("dedup")))
        self.national_query = national_query_pb2_grpc.NationalQueryStub(
            self._channel(settings.peer("national-query"))
        )
        self.special_ed = special_ed_pb2_grpc.SpecialEdStub(self._channel(settings.peer("special-ed")))

    def _channel(self, address: str) -> grpc.Channel:
        if address not in self._channels:
            self._channels[address] = client.channel(address, self._tls)
        return self._channels[address]

    def close(self) -> None:
        for channel in self._channels.values():
            channel.close()


@dataclass
class Failure(Exception):
    """A refused call as a page shows it."""

    status: int  # the HTTP status of the page
    message: str  # shown above the form or list (Chinese)
    fields: dict[str, str] = field(default_factory=dict)  # request field path -> reason
    error_id: str = ""


_HTTP = {
    grpc.StatusCode.PERMISSION_DENIED: 403,
    grpc.StatusCode.NOT_FOUND: 404,
    grpc.StatusCode.UNAUTHENTICATED: 401,
    grpc.StatusCode.INVALID_ARGUMENT: 400,
    grpc.StatusCode.FAILED_PRECONDITION: 409,
    grpc.StatusCode.ABORTED: 409,
    grpc.StatusCode.ALREADY_EXISTS: 409,
    grpc.StatusCode.RESOURCE_EXHAUSTED: 429,
}


def failure_of(error: grpc.RpcError) -> Failure:
    code = error.code()
    if code == grpc.StatusCode.INVALID_ARGUMENT:
        fields = dict(field_violations(error))
        return Failure(400, "" if fields else error.details() or "输入有误", fields)
    if code == grpc.StatusCode.FAILED_PRECONDITION:
        reasons = [d for _, _, d in precondition_violations(error) if d]
        return Failure(409, "；".join(reasons) or error.details() or "操作被拒绝")
    if code == grpc.StatusCode.ABORTED:
        return Failure(409, "该记录已被他人修改，请刷新后重试")
    if code == grpc.StatusCode.PERMISSION_DENIED:
        return Failure(403, "无权访问该页面或数据")
    if code == grpc.StatusCode.NOT_FOUND:
        return Failure(404, "记录不存在")
    if code == grpc.StatusCode.UNAUTHENTICATED:
        return Failure(401, error.details() or "请重新登录")
    if code in _HTTP:
        return Failure(_HTTP[code], error.details() or "操作被拒绝")
    # Unavailable, internal, deadline...: nothing of the service's text reaches the page.
    error_id = uuid.uuid4().hex[:12]
    log.error("backend call failed", extra=logs.fields(error_id=error_id, code=code.name))
    return Failure(500, f"系统繁忙，请稍后再试（错误编号 {error_id}）", error_id=error_id)


def call(method, request, token: str):
    """Call `method` (a stub's bound method) as the token's user; grpc errors become Failure."""
    try:
        return method(request, metadata=client.bearer(token), timeout=TIMEOUT_SECONDS)
    except grpc.RpcError as error:
        raise failure_of(error) from None


def stream(method, request, token: str, timeout: float = TIMEOUT_SECONDS):
    """The messages of a server-streaming `method` called as the token's user; errors as `call`'s.
    Closing the generator cancels the call."""
    try:
        yield from method(request, metadata=client.bearer(token), timeout=timeout)
    except grpc.RpcError as error:
        raise failure_of(error) from None


def call_public(method, request, metadata=()):
    """Call a public method (sign-in, refresh...): no token."""
    try:
        return method(request, metadata=list(metadata), timeout=TIMEOUT_SECONDS)
    except grpc.RpcError as error:
        raise failure_of(error) from None
