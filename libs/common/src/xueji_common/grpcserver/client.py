"""Calling Xueji services: channels and per-call bearer credentials."""

from __future__ import annotations

import time
from collections.abc import Callable

import grpc

from xueji_common import callcontext, tracing
from xueji_common.auth import Role, TokenService
from xueji_common.grpcserver.tls import ReloadingChannel, TlsConfig, split_address

MAX_MESSAGE_BYTES = 64 * 1024 * 1024


def channel(address: str, tls: TlsConfig | None = None) -> grpc.Channel:
    """A channel to `address`: over TLS when it reads `https://host[:port]` (the CA bundle and, for
    mutual TLS, the client certificate from `tls`; no CA bundle: the system's roots), else plaintext.
    With tracing on, calls on it carry the current trace (tracing.traced_channel)."""
    target, secure = split_address(address)
    options = [
        ("grpc.max_receive_message_length", MAX_MESSAGE_BYTES),
        ("grpc.max_send_message_length", MAX_MESSAGE_BYTES),
    ]
    if secure:
        tls = tls or TlsConfig.model_construct()  # none given: the defaults, not XUEJI_TLS_*
        return tracing.traced_channel(ReloadingChannel(target, tls, options))
    return tracing.traced_channel(grpc.insecure_channel(target, options=options))


def bearer(token: str) -> list[tuple[str, str]]:
    """Call metadata for a token: `stub.Method(request, metadata=bearer(token))`."""
    return [("authorization", f"Bearer {token}")]


class ServiceCaller:
    """Service-to-service calls as the system role, with a short-lived token.

    Production: the token comes from the accounts service (`Accounts/IssueServiceToken` with this
    service's client id and secret: role system, unit its province or the nation, 5 minutes).
    Embedded mode: minted with the development key. The token is reused until a minute before it
    expires: the same token on every call is what lets the called server's verified-token cache
    spare the signature check. One value renewed ahead of the lifetime its issuer answers, not a
    cache (a cachetools TTLCache has one lifetime for every entry, fixed when it is made).
    """

    TTL_SECONDS = 300
    RENEW_BEFORE_SECONDS = 60

    def __init__(
        self, tokens: TokenService, service_name: str, issue: Callable[[], tuple[str, int]] | None = None
    ) -> None:
        self._tokens = tokens
        self._service = service_name
        self._issue = issue
        self._current: tuple[list[tuple[str, str]], float] | None = None

    def metadata(self) -> list[tuple[str, str]]:
        """The token, and the request id this call is part of (callcontext), if any."""
        request_id = callcontext.request_id()
        if request_id:
            return [*self._token_metadata(), (callcontext.REQUEST_ID_HEADER, request_id)]
        return self._token_metadata()

    def _token_metadata(self) -> list[tuple[str, str]]:
        current = self._current
        if current is None or current[1] <= time.time():
            if self._issue is not None:
                token, ttl = self._issue()
            else:
                token, ttl = (
                    self._tokens.mint(
                        f"service:{self._service}", Role.SYSTEM, "000000", ttl_seconds=self.TTL_SECONDS
                    ),
                    self.TTL_SECONDS,
                )
            current = (bearer(token), time.time() + ttl - min(self.RENEW_BEFORE_SECONDS, ttl / 2))
            self._current = current  # a race fetches twice at worst: both tokens are valid
        return current[0]


def accounts_issuer(
    channel_of: Callable[[], grpc.Channel], client_id: str, secret: str
) -> Callable[[], tuple[str, int]]:
    """Fetches this service's token from the accounts service (client credentials)."""

    def issue() -> tuple[str, int]:
        from xueji.v1 import accounts_pb2, accounts_pb2_grpc

        response = accounts_pb2_grpc.AccountsStub(channel_of()).IssueServiceToken(
            accounts_pb2.IssueServiceTokenRequest(client_id=client_id, client_secret=secret), timeout=10
        )
        return response.access_token, response.expires_in_seconds

    return issue
