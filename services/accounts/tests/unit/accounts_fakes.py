"""The accounts unit of work in memory (service_layer/unit_of_work.py::AccountsUoW), and the use
cases' dependencies around it: argon2 at its cheapest, a test issuer, the demo org tree."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace

from xueji_accounts.adapters.hasher import Argon2Hasher
from xueji_accounts.config import AccountsSettings
from xueji_accounts.domain.model import User
from xueji_accounts.service_layer.context import Accounts
from xueji_common.orgunits import load_default_tree
from xueji_common.testing.fake_uow import FakeUnitOfWork
from xueji_common.testing.issuer import TestIssuer


class FakeAccountsRepo:
    def __init__(self) -> None:
        self.users: dict[str, User] = {}
        self.tokens: dict[str, dict] = {}
        self.attempts: list[dict] = []
        self.changes: list[dict] = []

    def user(self, login_name: str, for_update: bool = False) -> User | None:
        return self.users.get(login_name)

    def add_user(self, user: User) -> None:
        self.users[user.login_name] = user

    def save_user(self, user: User) -> None:
        self.users[user.login_name] = replace(user, created_at=self.users[user.login_name].created_at)

    def list_users(self, units, role, state, contains, offset, limit):
        found = sorted(
            (
                u
                for u in self.users.values()
                if (units is None or u.org_unit in units)
                and (not role or u.role.value == role)
                and (not state or u.state.value == state)
                and contains.lower() in u.login_name
            ),
            key=lambda u: u.login_name,
        )
        return found[offset : offset + limit], len(found)

    def count_users(self) -> int:
        return len(self.users)

    def add_refresh(self, token_hash, family, login_name, at, expires) -> None:
        self.tokens[token_hash] = dict(
            token_hash=token_hash,
            family_id=family,
            login_name=login_name,
            created_at=at,
            expires_at=expires,
            used_at=None,
            revoked_at=None,
        )

    def refresh(self, token_hash):
        found = self.tokens.get(token_hash)
        return dict(found) if found else None

    def spend_refresh(self, token_hash, at) -> None:
        self.tokens[token_hash]["used_at"] = at

    def _revoke(self, at: dt.datetime, **match) -> None:
        for token in self.tokens.values():
            if token["revoked_at"] is None and all(token[k] == v for k, v in match.items()):
                token["revoked_at"] = at

    def revoke_family(self, family, at) -> None:
        self._revoke(at, family_id=family)

    def revoke_user(self, login_name, at) -> None:
        self._revoke(at, login_name=login_name)

    def purge_expired_refresh(self, login_name, at) -> int:
        gone = [h for h, t in self.tokens.items() if t["login_name"] == login_name and t["expires_at"] <= at]
        for h in gone:
            del self.tokens[h]
        return len(gone)

    def record_attempt(self, at, login_name, org_unit, source, outcome) -> None:
        self.attempts.append(
            dict(
                at=at,
                login_name=login_name[:64],
                org_unit=org_unit,
                source_address=source[:100],
                outcome=outcome,
            )
        )

    def record_change(self, at, actor, login_name, org_unit, action, detail) -> None:
        self.changes.append(
            dict(
                at=at,
                actor=actor,
                login_name=login_name,
                org_unit=org_unit,
                action=action,
                detail=detail[:500],
            )
        )

    def _listed(self, rows, units, login_name, offset, limit):
        found = [
            r
            for r in reversed(rows)
            if (units is None or r["org_unit"] in units) and (not login_name or r["login_name"] == login_name)
        ]
        return found[offset : offset + limit], len(found)

    def list_attempts(self, units, login_name, offset, limit):
        return self._listed(self.attempts, units, login_name, offset, limit)

    def list_changes(self, units, login_name, offset, limit):
        return self._listed(self.changes, units, login_name, offset, limit)


class FakeAccountsUoW(FakeUnitOfWork):
    def __init__(self) -> None:
        super().__init__("accounts")
        self.repo = FakeAccountsRepo()


def fake_accounts(**settings) -> tuple[Accounts, FakeAccountsUoW]:
    """The use cases' dependencies on one in-memory unit of work (every `accounts.uow()` is it)."""
    uow = FakeAccountsUoW()
    config = AccountsSettings(argon2_time_cost=1, argon2_memory_kib=8, **settings)
    issuer = TestIssuer()
    return Accounts(
        lambda: uow, Argon2Hasher(config), issuer.token_service(), config, load_default_tree()
    ), uow
