"""One server interceptor for every RPC: authenticate, measure, map domain errors, log.

It wraps each method's behaviour (rather than acting in `intercept_service`) so that the caller is
set on the thread that runs the handler and the status code is known when the call ends.
"""
from __future__ import annotations

import logging
import time
from contextlib import contextmanager

import grpc

from xueji_common import metrics
from xueji_common.auth import TokenError, TokenService
from xueji_common.errors import DomainError
from xueji_common.grpcserver.context import reset_principal, set_principal
from xueji_common.grpcserver.errors import abort_with

log = logging.getLogger("xueji.grpc")

# Methods callable without a token. Others may add theirs (the captcha lookup) via `public_methods`.
ALWAYS_PUBLIC = ("/grpc.health.v1.Health/", "/grpc.reflection.")


class ServerInterceptor(grpc.ServerInterceptor):
    def __init__(self, tokens: TokenService, public_methods: frozenset[str] = frozenset()) -> None:
        self._tokens = tokens
        self._public = public_methods

    def intercept_service(self, continuation, handler_call_details):
        handler = continuation(handler_call_details)
        if handler is None:
            return None
        method = handler_call_details.method
        public = method.startswith(ALWAYS_PUBLIC) or method in self._public
        service, _, name = method.strip("/").rpartition("/")
        if handler.unary_unary:
            return grpc.unary_unary_rpc_method_handler(
                self._wrap(handler.unary_unary, service, name, public, False),
                handler.request_deserializer, handler.response_serializer)
        if handler.unary_stream:
            return grpc.unary_stream_rpc_method_handler(
                self._wrap(handler.unary_stream, service, name, public, True),
                handler.request_deserializer, handler.response_serializer)
        if handler.stream_unary:
            return grpc.stream_unary_rpc_method_handler(
                self._wrap(handler.stream_unary, service, name, public, False),
                handler.request_deserializer, handler.response_serializer)
        return grpc.stream_stream_rpc_method_handler(
            self._wrap(handler.stream_stream, service, name, public, True),
            handler.request_deserializer, handler.response_serializer)

    def _authenticate(self, context: grpc.ServicerContext, public: bool):
        header = dict(context.invocation_metadata()).get("authorization", "")
        if not header:
            if public:
                return None
            context.abort(grpc.StatusCode.UNAUTHENTICATED, "缺少访问令牌 (missing bearer token)")
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token:
            context.abort(grpc.StatusCode.UNAUTHENTICATED, "访问令牌格式错误 (expected 'Bearer <token>')")
        try:
            return self._tokens.verify(token)
        except TokenError as exc:
            context.abort(grpc.StatusCode.UNAUTHENTICATED, f"访问令牌无效或已过期 ({exc})")

    @contextmanager
    def _call(self, service: str, name: str, context, public: bool):
        """Around one RPC: caller on this thread, domain errors mapped, status and latency measured."""
        started = time.perf_counter()
        metrics.GRPC_STARTED.labels(service, name).inc()
        token = set_principal(None)
        code = "OK"
        try:
            set_principal(self._authenticate(context, public))
            yield
        except DomainError as exc:
            code = exc.status
            abort_with(context, exc)
        except NotImplementedError:
            # The generated base class for methods a later issue implements: a clean UNIMPLEMENTED.
            code = "UNIMPLEMENTED"
            context.abort(grpc.StatusCode.UNIMPLEMENTED, f"{service}/{name} 尚未实现 (not implemented yet)")
        except Exception:
            code = context.code().name if context.code() is not None else "UNKNOWN"
            if code == "UNKNOWN":
                log.exception("unhandled error", extra={"fields": {"method": f"{service}/{name}"}})
            raise
        finally:
            if code == "OK" and context.code() not in (None, grpc.StatusCode.OK):
                code = context.code().name  # the servicer set a code without raising
            reset_principal(token)
            metrics.GRPC_HANDLED.labels(service, name, code).inc()
            metrics.GRPC_LATENCY.labels(service, name).observe(time.perf_counter() - started)

    def _wrap(self, behavior, service: str, name: str, public: bool, streaming: bool):
        def unary(request, context):
            with self._call(service, name, context, public):
                return behavior(request, context)

        def stream(request, context):
            with self._call(service, name, context, public):
                yield from behavior(request, context)

        return stream if streaming else unary
