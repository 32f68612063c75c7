"""What the accounts use cases need besides a unit of work: hasher, signer, settings, org tree."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from xueji_accounts.config import AccountsSettings
from xueji_common import paging
from xueji_common.errors import FieldViolation, InvalidArgument


@dataclass(frozen=True)
class Accounts:
    uow: Callable[[], object]
    hasher: object          # adapters.hasher.Argon2Hasher
    signer: object          # xueji_common.auth.TokenService: mints with the issuer's key
    settings: AccountsSettings
    tree: object            # xueji_common.orgunits.OrgTree


@dataclass(frozen=True)
class Page:
    offset: int
    size: int

    @classmethod
    def of(cls, size: int, token: str) -> "Page":
        """The page a request asks for, in the one token format of every service (xueji_common.paging)."""
        try:
            offset = paging.decode_offset(token)
        except ValueError:
            raise InvalidArgument(FieldViolation("page.page_token", "分页标记无效")) from None
        return cls(offset, min(size or paging.DEFAULT_PAGE_SIZE, paging.MAX_PAGE_SIZE))

    def next_token(self, total: int) -> str:
        return paging.encode_offset(self.offset + self.size) if self.offset + self.size < total else ""
