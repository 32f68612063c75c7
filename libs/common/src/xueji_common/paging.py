"""Page tokens of the List methods (AIP-158): one opaque format for every service.

A token is the base64 of "o:<offset>". It is bounded (length and offset) so that a forged token can
only be refused: a 60-digit offset once reached SQLite as "Python int too large to convert to SQLite
INTEGER". The edge validator (grpcserver.validation) decodes every PageRequest with `decode_offset`
before a handler runs; the services decode with the same function.
"""
from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass

from xueji_common.errors import FieldViolation, InvalidArgument

DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE = 50, 500
MAX_OFFSET = 10**9          # far beyond any list a caller can page through
MAX_TOKEN_LENGTH = 64


def encode_offset(offset: int) -> str:
    """The token of the page starting at `offset` ("" for the first page)."""
    return base64.urlsafe_b64encode(f"o:{offset}".encode()).decode() if offset else ""


def decode_offset(token: str) -> int:
    """The offset a token stands for; ValueError for a token no service made."""
    if not token:
        return 0
    if len(token) > MAX_TOKEN_LENGTH:
        raise ValueError("page token too long")
    try:
        text = base64.urlsafe_b64decode(token.encode("ascii")).decode("ascii")
    except (binascii.Error, UnicodeError):
        raise ValueError("page token is not base64") from None
    kind, _, digits = text.partition(":")
    if kind != "o" or not digits.isascii() or not digits.isdigit() or len(digits) > len(str(MAX_OFFSET)):
        raise ValueError("not a page token")
    offset = int(digits)
    if offset > MAX_OFFSET:
        raise ValueError("page token offset out of range")
    return offset


def page_size(requested: int) -> int:
    """The number of items to return: 0 is the default, above the maximum is capped (proto comment)."""
    if requested < 0:
        raise ValueError("negative page size")
    return min(requested or DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE)


@dataclass(frozen=True)
class Page:
    """The slice of a list a request asks for (offset and size), and the token of the next one."""

    offset: int
    size: int

    @classmethod
    def of(cls, size: int, token: str) -> "Page":
        try:
            offset = decode_offset(token)
        except ValueError:
            raise InvalidArgument(FieldViolation("page.page_token", "分页标记无效")) from None
        return cls(offset, min(size or DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE))

    def next_token(self, total: int) -> str:
        return encode_offset(self.offset + self.size) if self.offset + self.size < total else ""
