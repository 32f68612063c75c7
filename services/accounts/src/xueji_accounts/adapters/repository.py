"""Reading and writing users, refresh tokens and the two audit trails."""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict

from sqlalchemy import delete, func, insert, select, update

from xueji_accounts.adapters.tables import account_changes, refresh_tokens, sign_in_attempts, users
from xueji_accounts.domain.model import User, UserState
from xueji_common.auth import Role


def _aware(value: dt.datetime | None) -> dt.datetime | None:
    """SQLite hands back naive datetimes; every time here is UTC."""
    if value is not None and value.tzinfo is None:
        return value.replace(tzinfo=dt.UTC)
    return value


def _user(row) -> User:
    return User(
        login_name=row.login_name,
        display_name=row.display_name,
        role=Role(row.role),
        org_unit=row.org_unit,
        state=UserState(row.state),
        password_hash=row.password_hash,
        must_change_password=row.must_change_password,
        failures=row.failures,
        locks=row.locks,
        locked_until=_aware(row.locked_until),
        last_sign_in=_aware(row.last_sign_in),
        created_at=_aware(row.created_at),
    )


def _row(user: User) -> dict:
    values = asdict(user)
    values["role"], values["state"] = user.role.value, user.state.value
    return values


class AccountsRepository:
    def __init__(self, session) -> None:
        self.session = session

    # -- users -------------------------------------------------------------------------------
    def user(self, login_name: str, for_update: bool = False) -> User | None:
        query = select(users).where(users.c.login_name == login_name)
        row = self.session.execute(query.with_for_update() if for_update else query).first()
        return _user(row) if row else None

    def add_user(self, user: User) -> None:
        self.session.execute(insert(users).values(**_row(user)))

    def save_user(self, user: User) -> None:
        values = _row(user)
        del values["created_at"]
        self.session.execute(update(users).where(users.c.login_name == user.login_name).values(**values))

    def list_users(
        self,
        units: list[str] | None,
        role: str | None,
        state: str | None,
        contains: str,
        offset: int,
        limit: int,
    ) -> tuple[list[User], int]:
        query = select(users)
        if units is not None:
            query = query.where(users.c.org_unit.in_(units))
        if role:
            query = query.where(users.c.role == role)
        if state:
            query = query.where(users.c.state == state)
        if contains:
            query = query.where(users.c.login_name.contains(contains.lower(), autoescape=True))
        total = self.session.execute(select(func.count()).select_from(query.subquery())).scalar_one()
        rows = self.session.execute(query.order_by(users.c.login_name).offset(offset).limit(limit)).all()
        return [_user(r) for r in rows], total

    def count_users(self) -> int:
        return self.session.execute(select(func.count()).select_from(users)).scalar_one()

    # -- refresh tokens ------------------------------------------------------------------------
    def add_refresh(
        self, token_hash: str, family: str, login_name: str, at: dt.datetime, expires: dt.datetime
    ) -> None:
        self.session.execute(
            insert(refresh_tokens).values(
                token_hash=token_hash,
                family_id=family,
                login_name=login_name,
                created_at=at,
                expires_at=expires,
            )
        )

    def refresh(self, token_hash: str) -> dict | None:
        row = self.session.execute(
            select(refresh_tokens).where(refresh_tokens.c.token_hash == token_hash).with_for_update()
        ).first()
        if row is None:
            return None
        found = row._asdict()
        for key in ("created_at", "expires_at", "used_at", "revoked_at"):
            found[key] = _aware(found[key])
        return found

    def spend_refresh(self, token_hash: str, at: dt.datetime) -> None:
        self.session.execute(
            update(refresh_tokens).where(refresh_tokens.c.token_hash == token_hash).values(used_at=at)
        )

    def revoke_family(self, family: str, at: dt.datetime) -> None:
        self.session.execute(
            update(refresh_tokens)
            .where(refresh_tokens.c.family_id == family, refresh_tokens.c.revoked_at.is_(None))
            .values(revoked_at=at)
        )

    def purge_expired_refresh(self, login_name: str, at: dt.datetime) -> int:
        """Delete the login's refresh tokens that have expired: a spent one is kept only while its
        reuse could still be presented as live (until its own expiry), so nothing is lost."""
        return self.session.execute(
            delete(refresh_tokens).where(
                refresh_tokens.c.login_name == login_name, refresh_tokens.c.expires_at <= at
            )
        ).rowcount

    def revoke_user(self, login_name: str, at: dt.datetime) -> None:
        self.session.execute(
            update(refresh_tokens)
            .where(refresh_tokens.c.login_name == login_name, refresh_tokens.c.revoked_at.is_(None))
            .values(revoked_at=at)
        )

    # -- audit ----------------------------------------------------------------------------------
    def record_attempt(
        self, at: dt.datetime, login_name: str, org_unit: str, source: str, outcome: str
    ) -> None:
        self.session.execute(
            insert(sign_in_attempts).values(
                at=at,
                login_name=login_name[:64],
                org_unit=org_unit,
                source_address=source[:100],
                outcome=outcome,
            )
        )

    def record_change(
        self, at: dt.datetime, actor: str, login_name: str, org_unit: str, action: str, detail: str
    ) -> None:
        self.session.execute(
            insert(account_changes).values(
                at=at,
                actor=actor,
                login_name=login_name,
                org_unit=org_unit,
                action=action,
                detail=detail[:500],
            )
        )

    def list_attempts(
        self, units: list[str] | None, login_name: str, offset: int, limit: int
    ) -> tuple[list[dict], int]:
        return self._list_audit(sign_in_attempts, units, login_name, offset, limit)

    def list_changes(
        self, units: list[str] | None, login_name: str, offset: int, limit: int
    ) -> tuple[list[dict], int]:
        return self._list_audit(account_changes, units, login_name, offset, limit)

    def _list_audit(
        self, table, units: list[str] | None, login_name: str, offset: int, limit: int
    ) -> tuple[list[dict], int]:
        query = select(table)
        if units is not None:
            query = query.where(table.c.org_unit.in_(units))
        if login_name:
            query = query.where(table.c.login_name == login_name)
        total = self.session.execute(select(func.count()).select_from(query.subquery())).scalar_one()
        rows = self.session.execute(query.order_by(table.c.id.desc()).offset(offset).limit(limit)).all()
        return [{**r._asdict(), "at": _aware(r.at)} for r in rows], total
