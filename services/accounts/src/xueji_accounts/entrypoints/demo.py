"""Embedded mode's demo accounts: one administrator with a password printed once, and a user of
each role at each level of one branch of each demo province (passwords set by a command)."""

from __future__ import annotations

from xueji_accounts.domain.model import User, UserState
from xueji_accounts.entrypoints.wiring import accounts_of
from xueji_accounts.service_layer import admin
from xueji_common.auth import MINISTRY, Role
from xueji_common.db.engine import now
from xueji_common.orgunits import OrgLevel

NO_PASSWORD = "!"  # matches no password: set one with `xueji-accounts reset-password LOGIN`


def demo_users(tree) -> list[tuple[str, str, Role, str]]:
    """(login, display name, role, unit): 用户管理员 and 教育部门学籍管理员 at the ministry and at each
    province's first city and county, 学校学籍管理员 and 主管领导 at its first school."""
    wanted = [("moe-registrar", "教育部学籍管理员", Role.DEPARTMENT_REGISTRAR, MINISTRY)]
    for province in tree.units(OrgLevel.PROVINCE):
        unit = province
        while True:
            if unit.is_school:
                wanted += [
                    (f"registrar-{unit.code}", f"{unit.name}学籍管理员", Role.SCHOOL_REGISTRAR, unit.code),
                    (f"leader-{unit.code}", f"{unit.name}主管领导", Role.SCHOOL_LEADER, unit.code),
                ]
                break
            wanted += [
                (f"admin-{unit.code}", f"{unit.name}用户管理员", Role.USER_ADMIN, unit.code),
                (f"registrar-{unit.code}", f"{unit.name}学籍管理员", Role.DEPARTMENT_REGISTRAR, unit.code),
            ]
            below = [u for u in tree.descendants(unit.code) if u.parent_code == unit.code]
            if not below:
                break
            unit = sorted(below, key=lambda u: u.code)[0]
    return wanted


def seed_demo_accounts(runtime) -> None:
    accounts = accounts_of(runtime)
    with accounts.uow() as uow:
        if uow.repo.count_users():
            return
        at = now()
        for login, name, role, unit in demo_users(runtime.tree):
            uow.repo.add_user(User(login, name, role, unit, UserState.ACTIVE, NO_PASSWORD, created_at=at))
        uow.commit()
    _, password = admin.create_user(accounts, None, "admin", "系统用户管理员", Role.USER_ADMIN, MINISTRY)
    logins = "  ".join(login for login, *_ in demo_users(runtime.tree))
    print(
        f"""
演示账号已创建 (demo accounts created; shown once):
  administrator: admin   password: {password}   (change it at first sign-in: \
.venv/bin/xueji login --user admin)
  other accounts (no password yet; set one with .venv/bin/xueji-accounts reset-password LOGIN):
  {logins}
""",
        flush=True,
    )
