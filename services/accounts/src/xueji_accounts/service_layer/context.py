"""What the accounts use cases need besides a unit of work: hasher, signer, settings, org tree."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from xueji_accounts.config import AccountsSettings
from xueji_common.auth import TokenService
from xueji_common.orgunits import OrgTree
from xueji_common.paging import Page as Page  # the use cases page with it

if TYPE_CHECKING:
    from xueji_accounts.service_layer.unit_of_work import AccountsUoW


class PasswordHasher(Protocol):
    """adapters.hasher.Argon2Hasher; the unit tests' fake is faster."""

    def hash(self, password: str) -> str: ...
    def verify(self, password_hash: str | None, password: str) -> bool: ...
    def needs_rehash(self, password_hash: str) -> bool: ...


@dataclass(frozen=True)
class Accounts:
    uow: Callable[[], AccountsUoW]
    hasher: PasswordHasher
    signer: TokenService  # mints with the issuer's key
    settings: AccountsSettings
    tree: OrgTree
