"""Calling Xueji services: channels and per-call bearer credentials."""
from __future__ import annotations

import grpc

from xueji_common.auth import Role, TokenService

MAX_MESSAGE_BYTES = 64 * 1024 * 1024


def channel(address: str) -> grpc.Channel:
    return grpc.insecure_channel(
        address,
        options=[
            ("grpc.max_receive_message_length", MAX_MESSAGE_BYTES),
            ("grpc.max_send_message_length", MAX_MESSAGE_BYTES),
        ],
    )


def bearer(token: str) -> list[tuple[str, str]]:
    """Call metadata for a token: `stub.Method(request, metadata=bearer(token))`."""
    return [("authorization", f"Bearer {token}")]


class ServiceCaller:
    """Service-to-service calls as the system role, with a short-lived token minted per caller."""

    def __init__(self, tokens: TokenService, service_name: str) -> None:
        self._tokens = tokens
        self._service = service_name

    def metadata(self) -> list[tuple[str, str]]:
        return bearer(self._tokens.mint(f"service:{self._service}", Role.SYSTEM, "000000", ttl_seconds=300))
