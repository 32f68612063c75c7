"""Users of the accounts service and the rules about them (no framework imports)."""

from __future__ import annotations

import datetime as dt
import enum
from dataclasses import dataclass, replace

from xueji_common.auth import Role, role_fits_unit
from xueji_common.errors import FieldViolation, InvalidArgument
from xueji_common.orgunits import OrgTree

MAX_FAILURES = 5  # failed sign-ins in a row before a lock
FIRST_LOCK = dt.timedelta(minutes=15)  # doubled at each further lock
USER_ROLES = (Role.SCHOOL_REGISTRAR, Role.SCHOOL_LEADER, Role.DEPARTMENT_REGISTRAR, Role.USER_ADMIN)


class UserState(str, enum.Enum):
    ACTIVE = "active"
    LOCKED = "locked"  # by an administrator
    DISABLED = "disabled"

    @property
    def label_zh(self) -> str:
        return {UserState.ACTIVE: "正常", UserState.LOCKED: "锁定", UserState.DISABLED: "停用"}[self]


@dataclass(frozen=True)
class User:
    login_name: str
    display_name: str
    role: Role
    org_unit: str
    state: UserState
    password_hash: str
    must_change_password: bool = True
    failures: int = 0  # failed sign-ins since the last success or lock
    locks: int = 0  # automatic locks since the last success
    locked_until: dt.datetime | None = None
    last_sign_in: dt.datetime | None = None
    created_at: dt.datetime | None = None

    def locked_at(self, now: dt.datetime) -> bool:
        return self.state is UserState.LOCKED or (self.locked_until is not None and self.locked_until > now)

    def failed(self, now: dt.datetime) -> User:
        """One more failed sign-in: the fifth in a row locks for 15 minutes, the next lock 30..."""
        failures = self.failures + 1
        if failures < MAX_FAILURES:
            return replace(self, failures=failures)
        return replace(
            self, failures=0, locks=self.locks + 1, locked_until=now + FIRST_LOCK * (2**self.locks)
        )

    def signed_in(self, now: dt.datetime) -> User:
        return replace(self, failures=0, locks=0, locked_until=None, last_sign_in=now)


def normalise_login(login_name: str) -> str:
    return login_name.strip().lower()


def check_login_name(login_name: str, field: str = "login_name") -> str:
    name = normalise_login(login_name)
    if not (3 <= len(name) <= 64) or not all(c.isascii() and (c.isalnum() or c in "._-@") for c in name):
        raise InvalidArgument(FieldViolation(field, "登录名须为 3-64 位字母、数字或 . _ - @"))
    return name


def check_role_fits(
    tree: OrgTree,
    role: Role | None,
    org_unit: str,
    role_field: str = "role",
    unit_field: str = "org_unit_code",
) -> Role:
    """School roles at a school, department roles at a department (教育部、省、地市、区县); the role."""
    if role is None or role not in USER_ROLES:
        raise InvalidArgument(FieldViolation(role_field, "请选择用户角色（系统角色只用于服务身份）"))
    if org_unit not in tree:
        raise InvalidArgument(FieldViolation(unit_field, f"未知的机构代码 {org_unit}"))
    unit = tree.get(org_unit)
    if not role_fits_unit(role, org_unit) or role.at_school != unit.is_school:
        where = "学校" if role.at_school else "教育行政部门"
        raise InvalidArgument(
            FieldViolation(
                role_field,
                f"角色（{role.label_zh}）只能属于{where}，与机构 {unit.name}（{unit.level.label_zh}）不符",
            )
        )
    return role
