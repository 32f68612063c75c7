"""Page tokens of the paged methods (AIP-158): one opaque format for every service (docs/API.md).

A request pages with top-level `page_size` and `page_token`; a response answers `next_page_token`
(and `total_size`). A token is bound to the request it continues: it holds a position (an offset, or
the last row seen) and a digest of the request's type and of every field except page_size and
page_token, so a token reused with other filters, another method, a changed position or random
bytes is refused as INVALID_ARGUMENT naming page_token. The digest is not keyed: a token grants
nothing (the caller could ask for any position of a list it may read anyway); binding it only makes a
mistaken reuse an error instead of a silently wrong page. Tokens are bounded (length, position) so
that a forged one can only be refused: a 60-digit offset once reached SQLite as "Python int too
large to convert to SQLite INTEGER".

The edge validator (grpcserver.validation) checks every request's token with `position_of` before a
handler runs; the handlers build their window with `Page.of(request)`.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from dataclasses import dataclass

from google.protobuf.message import Message

from xueji_common.errors import FieldViolation, InvalidArgument

DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE = 50, 500
MAX_OFFSET = 10**9  # far beyond any list a caller can page through
MAX_TOKEN_LENGTH = 64
_VERSION = b"\x01"
_DIGEST_BYTES = 12
_TOKEN_BYTES = len(_VERSION) + 4 + _DIGEST_BYTES
PAGING_FIELDS = ("page_size", "page_token")
INVALID_TOKEN = "分页标记无效或与本次查询条件不符，请从第一页重新查询"


def binding(request: Message) -> bytes:
    """What a token of `request` is bound to: its type and every field but the paging ones."""
    query = type(request)()
    query.CopyFrom(request)
    for name in PAGING_FIELDS:
        if name in query.DESCRIPTOR.fields_by_name:
            query.ClearField(name)
    bound: bytes = query.DESCRIPTOR.full_name.encode() + b"\n" + query.SerializeToString(deterministic=True)
    return bound


def _digest(bound: bytes, position: bytes) -> bytes:
    return hashlib.sha256(b"xueji page token v1\n" + position + bound).digest()[:_DIGEST_BYTES]


def encode(position: int, bound: bytes) -> str:
    """The token of the page after `position` of the request `bound` stands for ("" for 0)."""
    if not position:
        return ""
    if not 0 < position <= MAX_OFFSET:
        raise ValueError("page position out of range")
    packed = position.to_bytes(4, "big")
    return base64.urlsafe_b64encode(_VERSION + packed + _digest(bound, packed)).decode().rstrip("=")


def decode(token: str, bound: bytes) -> int:
    """The position a token stands for; ValueError for a token not made for this request."""
    if not token:
        return 0
    if len(token) > MAX_TOKEN_LENGTH:
        raise ValueError("page token too long")
    try:
        raw = base64.urlsafe_b64decode(token.encode("ascii") + b"=" * (-len(token) % 4))
    except (binascii.Error, UnicodeError, ValueError):
        raise ValueError("page token is not base64") from None
    if len(raw) != _TOKEN_BYTES or raw[:1] != _VERSION:
        raise ValueError("not a page token")
    packed, digest = raw[1:5], raw[5:]
    if digest != _digest(bound, packed):
        raise ValueError("page token made for another request")
    position = int.from_bytes(packed, "big")
    if not 0 < position <= MAX_OFFSET:
        raise ValueError("page token position out of range")
    return position


def position_of(request: Message) -> int:
    """The position of `request`'s page_token; InvalidArgument naming page_token if it is not one."""
    try:
        return decode(request.page_token, binding(request))
    except ValueError:
        raise InvalidArgument(FieldViolation("page_token", INVALID_TOKEN)) from None


def page_size(requested: int, default: int = DEFAULT_PAGE_SIZE, maximum: int = MAX_PAGE_SIZE) -> int:
    """The number of items to return: 0 is the default, above the maximum is capped (proto comment)."""
    if requested < 0:
        raise InvalidArgument(FieldViolation("page_size", "每页条数不能为负数"))
    return min(requested or default, maximum)


@dataclass(frozen=True)
class Page:
    """The window of a list a request asks for (offset and size), and the token of the next one."""

    offset: int
    size: int
    bound: bytes = b""

    @classmethod
    def of(cls, request: Message, default: int = DEFAULT_PAGE_SIZE, maximum: int = MAX_PAGE_SIZE) -> Page:
        return cls(position_of(request), page_size(request.page_size, default, maximum), binding(request))

    def next_token(self, total: int) -> str:
        """The token of the following page, "" when this one reaches `total`."""
        following = self.offset + self.size
        return encode(following, self.bound) if following < total else ""

    def token_after(self, position: int) -> str:
        """A token for a position the use case chose (e.g. the last row of this page)."""
        return encode(position, self.bound)
