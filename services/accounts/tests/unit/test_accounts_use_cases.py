"""The accounts use cases on the in-memory unit of work (tests/unit/accounts_fakes.py): sign-in and its
refusals, lockout, refresh rotation and reuse, administration by level, audits. The SQL and the
gRPC wiring of the same are tests/integration's."""

from __future__ import annotations

import datetime as dt

import pytest
from accounts_fakes import fake_accounts

from xueji_accounts.domain.model import UserState
from xueji_accounts.service_layer import admin, signin
from xueji_common.auth import Principal, Role
from xueji_common.errors import (
    AlreadyExists,
    InvalidArgument,
    PermissionDenied,
    PreconditionFailed,
    Unauthenticated,
)

NEW = "Changed.Pass-2027"
ROOT = Principal("root", Role.USER_ADMIN, "000000")
COUNTY_ADMIN = Principal("county.admin", Role.USER_ADMIN, "330102")


@pytest.fixture
def accounts():
    return fake_accounts()


def ready(accounts, login="t.registrar", role=Role.SCHOOL_REGISTRAR, unit="1330102001"):
    """A user created by the ministry's administrator who has changed the temporary password."""
    _, temporary = admin.create_user(accounts[0], ROOT, login, "测试用户", role, unit)
    signin.change_password(accounts[0], login, temporary, NEW, "test")
    return login


def refusal(call, *args, error=Unauthenticated) -> str:
    with pytest.raises(error) as err:
        call(*args)
    return str(err.value)


def test_a_new_user_must_change_the_temporary_password_before_any_token(accounts):
    service, uow = accounts
    _, temporary = admin.create_user(service, ROOT, "t.new", "新用户", Role.SCHOOL_LEADER, "1330102001")
    assert "须先修改密码" in refusal(
        signin.sign_in, service, "t.new", temporary, "test", error=PreconditionFailed
    )
    assert not uow.repo.tokens
    signin.change_password(service, "t.new", temporary, NEW, "test")
    tokens = signin.sign_in(service, "t.new", NEW, "test")
    assert tokens.access_token and tokens.refresh_token and tokens.user.last_sign_in
    assert [a["outcome"] for a in uow.repo.attempts] == [
        "must_change_password",
        "password_changed",
        "succeeded",
    ]


def test_an_unknown_login_and_a_wrong_password_get_the_same_refusal(accounts):
    service, uow = accounts
    ready(accounts, "t.known")
    assert refusal(signin.sign_in, service, "nobody", NEW, "x") == refusal(
        signin.sign_in, service, "t.known", "Wrong.Password-1", "x"
    )
    assert {(a["login_name"], a["outcome"]) for a in uow.repo.attempts} >= {
        ("nobody", "unknown_login"),
        ("t.known", "bad_password"),
    }


def test_five_failures_lock_the_account_and_only_the_right_password_learns_why(accounts):
    service, _uow = accounts
    ready(accounts, "t.locked")
    for _ in range(5):
        refusal(signin.sign_in, service, "t.locked", "Wrong.Password-1", "x")
    assert "锁定" in refusal(signin.sign_in, service, "t.locked", NEW, "x")
    assert "锁定" not in refusal(signin.sign_in, service, "t.locked", "Wrong.Password-1", "x")
    admin.set_state(service, ROOT, "t.locked", "unlock")
    assert signin.sign_in(service, "t.locked", NEW, "x").access_token


def test_a_refresh_token_is_spent_on_use_and_its_reuse_revokes_the_sign_in(accounts):
    service, _uow = accounts
    first = signin.sign_in(service, ready(accounts), NEW, "x")
    second = signin.refresh(service, first.refresh_token)
    assert "已被使用过" in refusal(signin.refresh, service, first.refresh_token)
    assert "重新登录" in refusal(signin.refresh, service, second.refresh_token)  # the family is revoked


def test_a_sign_in_purges_the_users_expired_refresh_tokens(accounts):
    service, uow = accounts
    login = ready(accounts)
    signin.refresh(service, signin.sign_in(service, login, NEW, "x").refresh_token)
    for token in uow.repo.tokens.values():
        token["expires_at"] = dt.datetime(2020, 1, 1, tzinfo=dt.UTC)
    fresh = signin.sign_in(service, login, NEW, "x")
    assert len(uow.repo.tokens) == 1 and signin.refresh(service, fresh.refresh_token)


def test_an_administrator_manages_only_its_own_unit_and_below(accounts):
    service, uow = accounts
    admin.create_user(service, COUNTY_ADMIN, "t.school", "学校用户", Role.SCHOOL_REGISTRAR, "1330102001")
    with pytest.raises(PermissionDenied):
        admin.create_user(service, COUNTY_ADMIN, "t.beside", "别县用户", Role.SCHOOL_REGISTRAR, "1330105001")
    with pytest.raises(PermissionDenied):
        admin.create_user(service, COUNTY_ADMIN, "t.above", "市级用户", Role.DEPARTMENT_REGISTRAR, "330100")
    with pytest.raises(AlreadyExists):
        admin.create_user(service, ROOT, "t.school", "重名", Role.SCHOOL_REGISTRAR, "1330102001")
    assert [c["action"] for c in uow.repo.changes] == ["create"]
    assert [c["actor"] for c in uow.repo.changes] == ["county.admin"]


def test_a_role_must_fit_the_level_of_its_unit(accounts):
    service, _ = accounts
    with pytest.raises(InvalidArgument):
        admin.create_user(service, ROOT, "t.misfit", "错配", Role.DEPARTMENT_REGISTRAR, "1330102001")


def test_a_role_change_ends_the_users_sessions_and_is_audited(accounts):
    service, uow = accounts
    tokens = signin.sign_in(service, ready(accounts, "t.promoted"), NEW, "x")
    admin.update_user(service, ROOT, "t.promoted", {"role": Role.SCHOOL_LEADER})
    assert "重新登录" in refusal(signin.refresh, service, tokens.refresh_token)
    assert uow.repo.changes[-1]["detail"] == "role=school_leader"


def test_an_administrator_cannot_lock_or_disable_itself(accounts):
    service, _ = accounts
    admin.create_user(
        service, None, "root", "部用户管理员", Role.USER_ADMIN, "000000", "Ministry-Admin.2026x"
    )
    with pytest.raises(PreconditionFailed):
        admin.set_state(service, ROOT, "root", "disable")


def test_disabled_users_are_refused_and_listed_by_state(accounts):
    service, _ = accounts
    ready(accounts, "t.gone")
    ready(accounts, "t.stays")
    admin.set_state(service, ROOT, "t.gone", "disable")
    assert "停用" in refusal(signin.sign_in, service, "t.gone", NEW, "x")
    users, total = admin.list_users(service, ROOT, "", None, UserState.DISABLED, "t.", admin.Page(0, 20))
    assert [u.login_name for u in users] == ["t.gone"] and total == 1
