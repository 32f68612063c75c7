"""Sign-in, refresh, sign-out, password change and service tokens.

A refusal of credentials never says whether the login name exists: an unknown name, a wrong
password and a wrong password on a locked or disabled account all get the same answer (and the
unknown name costs the same argon2 check). Only the right password learns that the account is
locked, disabled or must change its password. Every attempt is recorded.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import secrets
import uuid
from dataclasses import dataclass, replace

from xueji_accounts.domain import passwords
from xueji_accounts.domain.model import User, UserState, normalise_login
from xueji_accounts.service_layer.context import Accounts
from xueji_accounts.service_layer.unit_of_work import AccountsUoW
from xueji_common.auth import Role
from xueji_common.db.engine import now
from xueji_common.errors import FieldViolation, InvalidArgument, PreconditionFailed, Unauthenticated

BAD_CREDENTIALS = "用户名或密码错误"
SESSION_ENDED = "登录已失效，请重新登录"
BEIJING = dt.timezone(dt.timedelta(hours=8))


@dataclass(frozen=True)
class Tokens:
    access_token: str
    expires_in: int
    refresh_token: str
    refresh_expires_in: int
    user: User


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _refusal(user: User | None, ok: bool, at: dt.datetime) -> tuple[str, Exception | None]:
    """(outcome recorded, error raised) of an attempt; (succeeded, None) lets it in."""
    if user is None:
        return "unknown_login", Unauthenticated(BAD_CREDENTIALS)
    if not ok:
        return (
            "bad_password"
            if user.state is UserState.ACTIVE and not user.locked_at(at)
            else f"bad_password_{'disabled' if user.state is UserState.DISABLED else 'locked'}"
        ), Unauthenticated(BAD_CREDENTIALS)
    if user.state is UserState.DISABLED:
        return "disabled", Unauthenticated("账号已停用，请联系本单位用户管理员")
    if user.state is UserState.LOCKED:
        return "locked", Unauthenticated("账号已被管理员锁定，请联系本单位用户管理员")
    if user.locked_until is not None and user.locked_at(at):  # LOCKED by an administrator: above
        until = user.locked_until.astimezone(BEIJING).strftime("%H:%M")
        return "locked", Unauthenticated(f"登录失败次数过多，账号已锁定，请于 {until}（北京时间）后再试")
    return "succeeded", None


def _check_password(
    accounts: Accounts, uow: AccountsUoW, login_name: str, password: str, source: str, at: dt.datetime
) -> tuple[User | None, str, Exception | None]:
    """The user when the password is right and the account may sign in; records the attempt and
    counts a failure otherwise. Returns (user, outcome, error)."""
    user = uow.repo.user(login_name, for_update=True) if login_name else None
    ok = accounts.hasher.verify(user.password_hash if user else None, password)
    outcome, error = _refusal(user, ok, at)
    if user is not None and outcome == "bad_password":
        uow.repo.save_user(user.failed(at))
    if error is None and user is not None and accounts.hasher.needs_rehash(user.password_hash):
        user = replace(user, password_hash=accounts.hasher.hash(password))
        uow.repo.save_user(user)
    return user, outcome, error


def sign_in(accounts: Accounts, login_name: str, password: str, source: str) -> Tokens:
    name, at = normalise_login(login_name), now()
    with accounts.uow() as uow:
        user, outcome, error = _check_password(accounts, uow, name, password, source, at)
        # no error: a known user (_refusal)
        if error is None and user is not None and user.must_change_password:
            outcome = "must_change_password"
            error = PreconditionFailed("首次登录或密码重置后须先修改密码")
        tokens = None
        if error is None and user is not None:
            user = user.signed_in(at)
            uow.repo.save_user(user)
            uow.repo.purge_expired_refresh(user.login_name, at)  # the table stays bounded per user
            tokens = _issue(accounts, uow, user, uuid.uuid4().hex, at)
        uow.repo.record_attempt(at, name or login_name, user.org_unit if user else "", source, outcome)
        uow.commit()
    if tokens is None:
        raise error or Unauthenticated(BAD_CREDENTIALS)
    return tokens


def _issue(accounts: Accounts, uow: AccountsUoW, user: User, family: str, at: dt.datetime) -> Tokens:
    s = accounts.settings
    refresh = secrets.token_urlsafe(32)
    uow.repo.add_refresh(
        _hash(refresh), family, user.login_name, at, at + dt.timedelta(seconds=s.refresh_ttl_seconds)
    )
    access = accounts.signer.mint(user.login_name, user.role, user.org_unit, ttl_seconds=s.access_ttl_seconds)
    return Tokens(access, s.access_ttl_seconds, refresh, s.refresh_ttl_seconds, user)


def refresh(accounts: Accounts, refresh_token: str) -> Tokens:
    """A new pair for a live refresh token, which is spent. A spent one presented again means a
    copy is in other hands: every token of its sign-in is revoked."""
    at = now()
    with accounts.uow() as uow:
        row = uow.repo.refresh(_hash(refresh_token)) if refresh_token else None
        if row is None or row["revoked_at"] is not None or row["expires_at"] <= at:
            raise Unauthenticated(SESSION_ENDED)
        if row["used_at"] is not None:
            uow.repo.revoke_family(row["family_id"], at)
            uow.commit()
            raise Unauthenticated("刷新令牌已被使用过，本次登录的全部令牌已作废，请重新登录")
        user = uow.repo.user(row["login_name"])
        if (
            user is None
            or user.state is not UserState.ACTIVE
            or user.locked_at(at)
            or user.must_change_password
        ):
            uow.repo.revoke_family(row["family_id"], at)
            uow.commit()
            raise Unauthenticated(SESSION_ENDED)
        uow.repo.spend_refresh(_hash(refresh_token), at)
        tokens = _issue(accounts, uow, user, row["family_id"], at)
        uow.commit()
    return tokens


def sign_out(accounts: Accounts, refresh_token: str) -> None:
    with accounts.uow() as uow:
        row = uow.repo.refresh(_hash(refresh_token)) if refresh_token else None
        if row is not None:
            uow.repo.revoke_family(row["family_id"], now())
            uow.commit()


def change_password(accounts: Accounts, login_name: str, current: str, new: str, source: str) -> None:
    name, at = normalise_login(login_name), now()
    passwords.check(new, name)
    if new == current:
        raise InvalidArgument(FieldViolation("new_password", "新密码不能与原密码相同"))
    with accounts.uow() as uow:
        user, outcome, error = _check_password(accounts, uow, name, current, source, at)
        if error is None and user is not None:  # no error: a known user (_refusal)
            outcome = "password_changed"
            uow.repo.save_user(
                replace(
                    user,
                    password_hash=accounts.hasher.hash(new),
                    must_change_password=False,
                    failures=0,
                    locks=0,
                    locked_until=None,
                )
            )
            uow.repo.revoke_user(user.login_name, at)
            uow.repo.record_change(at, user.login_name, user.login_name, user.org_unit, "change_password", "")
        uow.repo.record_attempt(at, name or login_name, user.org_unit if user else "", source, outcome)
        uow.commit()
    if error is not None:
        raise error


def service_token(accounts: Accounts, client_id: str, secret: str) -> tuple[str, int]:
    """A system token for a registered service (client credentials), for its province or the nation."""
    client = accounts.settings.service_clients.get(client_id)
    expected = client.secret_sha256 if client else "0" * 64
    if not hmac.compare_digest(expected, hashlib.sha256(secret.encode()).hexdigest()) or client is None:
        raise Unauthenticated("服务身份认证失败 (unknown client or wrong secret)")
    ttl = accounts.settings.service_ttl_seconds
    return accounts.signer.mint(f"service:{client_id}", Role.SYSTEM, client.unit, ttl_seconds=ttl), ttl
