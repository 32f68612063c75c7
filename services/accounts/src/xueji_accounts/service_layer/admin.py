"""Administration by level: a unit's user administrator manages the users of its unit and of the
units below it, never above or beside. Every change is recorded (who, when, what). Each use case
checks its caller first (xueji_common.authz)."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from xueji_accounts.domain import passwords
from xueji_accounts.domain.model import User, UserState, check_login_name, check_role_fits
from xueji_accounts.service_layer.context import Accounts
from xueji_accounts.service_layer.unit_of_work import AccountsUoW
from xueji_common.auth import Principal, Role
from xueji_common.authz import authorize
from xueji_common.db.engine import now
from xueji_common.errors import AlreadyExists, FieldViolation, InvalidArgument, NotFound, PreconditionFailed
from xueji_common.paging import Page

ADMINS = (Role.USER_ADMIN,)


def _within(accounts: Accounts, admin: Principal, unit: str) -> None:
    authorize(
        admin,
        ADMINS,
        tree=accounts.tree,
        unit=unit,
        out_of_area=f"无权管理机构 {unit} 的用户（超出本单位管辖范围）",
    )


def _managed(accounts: Accounts, uow: AccountsUoW, admin: Principal, login_name: str) -> User:
    user = uow.repo.user(login_name.strip().lower(), for_update=True) if login_name.strip() else None
    if user is None:
        raise NotFound(f"未找到用户 {login_name}")
    _within(accounts, admin, user.org_unit)
    return user


def _display(display_name: str) -> str:
    name = display_name.strip()
    if not name or len(name) > 100:
        raise InvalidArgument(FieldViolation("display_name", "请填写姓名（不超过 100 个字符）"))
    return name


def create_user(
    accounts: Accounts,
    admin: Principal | None,
    login_name: str,
    display_name: str,
    role: Role | None,
    org_unit: str,
    password: str = "",
) -> tuple[User, str]:
    """A new user (with a temporary password to change at first sign-in). `admin` None: the first
    administrator, from the command line."""
    if admin is not None:
        authorize(admin, ADMINS)
    name, display = check_login_name(login_name), _display(display_name)
    role = check_role_fits(accounts.tree, role, org_unit)
    if admin is not None:
        _within(accounts, admin, org_unit)
    password = password or passwords.temporary()
    passwords.check(password, name, field="password")
    at = now()
    with accounts.uow() as uow:
        if uow.repo.user(name) is not None:
            raise AlreadyExists(f"登录名 {name} 已被使用")
        user = User(
            name,
            display,
            role,
            org_unit,
            UserState.ACTIVE,
            accounts.hasher.hash(password),
            must_change_password=True,
            created_at=at,
        )
        uow.repo.add_user(user)
        uow.repo.record_change(
            at,
            admin.user_id if admin else "cli",
            name,
            org_unit,
            "create",
            f"role={role.value} org_unit={org_unit}",
        )
        uow.commit()
    return user, password


UPDATABLE = ("display_name", "role", "org_unit")


def update_user(accounts: Accounts, admin: Principal, login_name: str, changes: dict[str, Any]) -> User:
    """Changes the fields in `changes` (keys of UPDATABLE, the update_mask's); the others stay."""
    authorize(admin, ADMINS)
    with accounts.uow() as uow:
        user = _managed(accounts, uow, admin, login_name)
        new = {k: v for k, v in changes.items() if k in UPDATABLE}
        if "display_name" in new:
            new["display_name"] = _display(new["display_name"])
        if "org_unit" in new:
            new["org_unit"] = new["org_unit"].strip()
        changed = replace(user, **new)
        check_role_fits(accounts.tree, changed.role, changed.org_unit)
        _within(accounts, admin, changed.org_unit)
        detail = " ".join(
            f"{k}={getattr(changed, k).value if k == 'role' else getattr(changed, k)}"
            for k in ("display_name", "role", "org_unit")
            if getattr(changed, k) != getattr(user, k)
        )
        uow.repo.save_user(changed)
        if changed.role != user.role or changed.org_unit != user.org_unit:
            uow.repo.revoke_user(user.login_name, now())  # its sessions carry the old role or unit
        uow.repo.record_change(now(), admin.user_id, user.login_name, changed.org_unit, "update", detail)
        uow.commit()
    return changed


def reset_password(accounts: Accounts, admin: Principal, login_name: str) -> tuple[User, str]:
    authorize(admin, ADMINS)
    password = passwords.temporary()
    with accounts.uow() as uow:
        user = _managed(accounts, uow, admin, login_name)
        user = replace(
            user,
            password_hash=accounts.hasher.hash(password),
            must_change_password=True,
            failures=0,
            locks=0,
            locked_until=None,
        )
        uow.repo.save_user(user)
        uow.repo.revoke_user(user.login_name, now())
        uow.repo.record_change(now(), admin.user_id, user.login_name, user.org_unit, "reset_password", "")
        uow.commit()
    return user, password


_STATES = {"lock": UserState.LOCKED, "unlock": UserState.ACTIVE, "disable": UserState.DISABLED}


def set_state(accounts: Accounts, admin: Principal, login_name: str, action: str) -> User:
    """lock, unlock (also ends a lock after failed sign-ins) or disable."""
    authorize(admin, ADMINS)
    with accounts.uow() as uow:
        user = _managed(accounts, uow, admin, login_name)
        if user.login_name == admin.user_id and action != "unlock":
            raise PreconditionFailed("不能锁定或停用自己的账号")
        user = replace(user, state=_STATES[action])
        if action == "unlock":
            user = replace(user, failures=0, locks=0, locked_until=None)
        else:
            uow.repo.revoke_user(user.login_name, now())
        uow.repo.save_user(user)
        uow.repo.record_change(now(), admin.user_id, user.login_name, user.org_unit, action, "")
        uow.commit()
    return user


def _units(accounts: Accounts, admin: Principal, unit: str) -> list[str]:
    authorize(admin, ADMINS)
    unit = unit.strip() or admin.org_unit
    if unit not in accounts.tree:
        raise InvalidArgument(FieldViolation("org_unit_code", f"未知的机构代码 {unit}"))
    _within(accounts, admin, unit)
    return [unit, *(u.code for u in accounts.tree.descendants(unit))]


def list_users(
    accounts: Accounts,
    admin: Principal,
    unit: str,
    role: Role | None,
    state: UserState | None,
    contains: str,
    page: Page,
) -> tuple[list[User], int]:
    with accounts.uow() as uow:
        return uow.repo.list_users(
            _units(accounts, admin, unit),
            role.value if role else None,
            state.value if state else None,
            contains.strip(),
            page.offset,
            page.size,
        )


def list_attempts(
    accounts: Accounts, admin: Principal, login_name: str, page: Page
) -> tuple[list[dict[str, Any]], int]:
    """Attempts on the logins of the caller's jurisdiction; at the root of the tree also those
    naming no known login (someone guessing)."""
    units = _units(accounts, admin, "")
    if accounts.tree.get(admin.org_unit).parent_code is None:
        units.append("")
    with accounts.uow() as uow:
        return uow.repo.list_attempts(units, login_name.strip().lower(), page.offset, page.size)


def list_changes(
    accounts: Accounts, admin: Principal, login_name: str, page: Page
) -> tuple[list[dict[str, Any]], int]:
    with accounts.uow() as uow:
        return uow.repo.list_changes(
            _units(accounts, admin, ""), login_name.strip().lower(), page.offset, page.size
        )
