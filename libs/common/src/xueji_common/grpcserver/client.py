"""Calling Xueji services: channels and per-call bearer credentials."""
from __future__ import annotations

import time

import grpc

from xueji_common.auth import Role, TokenService
from xueji_common.grpcserver.tls import ReloadingChannel, TlsConfig, split_address

MAX_MESSAGE_BYTES = 64 * 1024 * 1024


def channel(address: str, tls: TlsConfig | None = None) -> grpc.Channel:
    """A channel to `address`: over TLS when it reads `https://host[:port]` (the CA bundle and, for
    mutual TLS, the client certificate from `tls`; no CA bundle: the system's roots), else plaintext."""
    target, secure = split_address(address)
    options = [
        ("grpc.max_receive_message_length", MAX_MESSAGE_BYTES),
        ("grpc.max_send_message_length", MAX_MESSAGE_BYTES),
    ]
    if secure:
        return ReloadingChannel(target, tls or TlsConfig(), options)
    return grpc.insecure_channel(target, options=options)


def bearer(token: str) -> list[tuple[str, str]]:
    """Call metadata for a token: `stub.Method(request, metadata=bearer(token))`."""
    return [("authorization", f"Bearer {token}")]


class ServiceCaller:
    """Service-to-service calls as the system role, with a short-lived token.

    The token is reused until a minute before it expires: the same token on every call is what lets
    the called server's verified-token cache spare the signature check.
    """

    TTL_SECONDS = 300
    RENEW_BEFORE_SECONDS = 60

    def __init__(self, tokens: TokenService, service_name: str) -> None:
        self._tokens = tokens
        self._service = service_name
        self._current: tuple[list[tuple[str, str]], float] | None = None

    def metadata(self) -> list[tuple[str, str]]:
        current = self._current
        if current is None or current[1] <= time.time():
            token = self._tokens.mint(f"service:{self._service}", Role.SYSTEM, "000000", ttl_seconds=self.TTL_SECONDS)
            current = (bearer(token), time.time() + self.TTL_SECONDS - self.RENEW_BEFORE_SECONDS)
            self._current = current  # a race mints twice at worst: both tokens are valid
        return current[0]
