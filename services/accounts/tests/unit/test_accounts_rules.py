"""Rules of the accounts domain: password policy, lockout arithmetic, roles fitting units."""

import datetime as dt

import pytest

from xueji_accounts.domain import passwords
from xueji_accounts.domain.model import User, UserState, check_role_fits
from xueji_common.auth import Role
from xueji_common.errors import InvalidArgument
from xueji_common.orgunits import load_default_tree

NOW = dt.datetime(2026, 12, 7, 8, 0, tzinfo=dt.UTC)


@pytest.mark.parametrize(
    "password,reason",
    [
        ("Ab1!short", "不能少于 10 位"),
        ("alllowercase12", "至少三类"),
        ("Zhang.San-2026", "包含登录名"),
        ("Password1234", "过于常见"),
    ],
)
def test_the_password_policy_names_what_is_wrong(password, reason):
    with pytest.raises(InvalidArgument) as err:
        passwords.check(password, "zhang.san")
    assert any(reason in v.description for v in err.value.violations)
    assert all(v.field == "new_password" for v in err.value.violations)


def test_a_good_password_and_every_temporary_one_pass_the_policy():
    passwords.check("Qiu-Shi.Campus9", "zhang.san")
    for _ in range(50):
        passwords.check(passwords.temporary(), "zhang.san")


def _user(**kw) -> User:
    return User("u", "用户", Role.SCHOOL_REGISTRAR, "1330102001", UserState.ACTIVE, "h", **kw)


def test_the_fifth_failure_locks_for_15_minutes_and_each_further_lock_doubles():
    user = _user()
    for _ in range(4):
        user = user.failed(NOW)
    assert not user.locked_at(NOW) and user.failures == 4
    user = user.failed(NOW)
    assert user.locked_until == NOW + dt.timedelta(minutes=15) and user.failures == 0
    later = NOW + dt.timedelta(minutes=16)
    assert not user.locked_at(later)
    for _ in range(5):
        user = user.failed(later)
    assert user.locked_until == later + dt.timedelta(minutes=30)
    assert user.signed_in(later + dt.timedelta(hours=1)).locks == 0


@pytest.mark.parametrize(
    "role,unit,fits",
    [
        (Role.SCHOOL_REGISTRAR, "1330102001", True),
        (Role.SCHOOL_LEADER, "1330102001", True),
        (Role.DEPARTMENT_REGISTRAR, "330102", True),
        (Role.USER_ADMIN, "000000", True),
        (Role.USER_ADMIN, "330100", True),
        (Role.SCHOOL_REGISTRAR, "330102", False),
        (Role.DEPARTMENT_REGISTRAR, "1330102001", False),
        (Role.USER_ADMIN, "1330102001", False),
        (Role.SYSTEM, "330000", False),
    ],
)
def test_roles_fit_the_level_of_their_unit(role, unit, fits):
    tree = load_default_tree()
    if fits:
        check_role_fits(tree, role, unit)
    else:
        with pytest.raises(InvalidArgument) as err:
            check_role_fits(tree, role, unit)
        assert err.value.violations[0].field == "role"


def test_accounts_settings_read_their_variables_and_name_a_bad_one(monkeypatch):
    from xueji_accounts.config import AccountsSettings
    from xueji_common.config import ConfigError

    monkeypatch.setenv("XUEJI_ACCESS_TOKEN_TTL", "600")
    monkeypatch.setenv("XUEJI_SERVICE_CLIENTS", '{"registration": {"unit": "330000", "secret_sha256": "AB"}}')
    settings = AccountsSettings.from_env()
    assert settings.access_ttl_seconds == 600 and settings.refresh_ttl_seconds == 8 * 3600
    assert settings.service_clients["registration"].secret_sha256 == "ab"
    monkeypatch.setenv("XUEJI_ARGON2_TIME_COST", "two")
    monkeypatch.setenv("XUEJI_SERVICE_CLIENTS", "registration=330000")
    with pytest.raises(
        ConfigError, match=r"^XUEJI_ARGON2_TIME_COST: .*; XUEJI_SERVICE_CLIENTS: must be JSON"
    ):
        AccountsSettings.from_env()
