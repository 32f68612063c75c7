"""The accounts unit of work as the use cases see it: users, tokens and audit rows in one transaction.

`AccountsUoW` is what the use cases see (a protocol: the SQL one is adapters/unit_of_work.py, the
in-memory one tests/unit/accounts_fakes.py); `AccountsRepo` is the one repository on it.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Protocol

from xueji_accounts.domain.model import User
from xueji_common.db.uow import UnitOfWork


class AccountsRepo(Protocol):
    def user(self, login_name: str, for_update: bool = False) -> User | None: ...
    def add_user(self, user: User) -> None: ...
    def save_user(self, user: User) -> None: ...
    def list_users(
        self,
        units: list[str] | None,
        role: str | None,
        state: str | None,
        contains: str,
        offset: int,
        limit: int,
    ) -> tuple[list[User], int]: ...
    def count_users(self) -> int: ...
    def add_refresh(
        self, token_hash: str, family: str, login_name: str, at: dt.datetime, expires: dt.datetime
    ) -> None: ...
    def refresh(self, token_hash: str) -> dict[str, Any] | None: ...  # the refresh_tokens row
    def spend_refresh(self, token_hash: str, at: dt.datetime) -> None: ...
    def revoke_family(self, family: str, at: dt.datetime) -> None: ...
    def purge_expired_refresh(self, login_name: str, at: dt.datetime) -> int: ...
    def revoke_user(self, login_name: str, at: dt.datetime) -> None: ...
    def record_attempt(
        self, at: dt.datetime, login_name: str, org_unit: str, source: str, outcome: str
    ) -> None: ...
    def record_change(
        self, at: dt.datetime, actor: str, login_name: str, org_unit: str, action: str, detail: str
    ) -> None: ...
    def list_attempts(
        self, units: list[str] | None, login_name: str, offset: int, limit: int
    ) -> tuple[list[dict[str, Any]], int]: ...  # audit rows
    def list_changes(
        self, units: list[str] | None, login_name: str, offset: int, limit: int
    ) -> tuple[list[dict[str, Any]], int]: ...  # audit rows


class AccountsUoW(UnitOfWork, Protocol):
    @property
    def repo(self) -> AccountsRepo: ...  # read-only, so that a fake's own repository class fulfils it
