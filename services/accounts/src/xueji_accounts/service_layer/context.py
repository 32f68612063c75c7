"""What the accounts use cases need besides a unit of work: hasher, signer, settings, org tree."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from xueji_accounts.config import AccountsSettings
from xueji_common.errors import FieldViolation, InvalidArgument

DEFAULT_PAGE, MAX_PAGE = 50, 500


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
        if token and not token.isdigit():
            raise InvalidArgument(FieldViolation("page.page_token", "分页标记无效"))
        return cls(int(token or 0), min(size or DEFAULT_PAGE, MAX_PAGE))

    def next_token(self, total: int) -> str:
        return str(self.offset + self.size) if self.offset + self.size < total else ""
