"""What the accounts use cases need besides a unit of work: hasher, signer, settings, org tree."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from xueji_accounts.config import AccountsSettings
from xueji_common.paging import Page  # noqa: F401  (the use cases page with it)

if TYPE_CHECKING:
    from xueji_accounts.service_layer.unit_of_work import AccountsUoW


@dataclass(frozen=True)
class Accounts:
    uow: Callable[[], AccountsUoW]
    hasher: object  # adapters.hasher.Argon2Hasher
    signer: object  # xueji_common.auth.TokenService: mints with the issuer's key
    settings: AccountsSettings
    tree: object  # xueji_common.orgunits.OrgTree
