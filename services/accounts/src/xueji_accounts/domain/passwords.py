"""The password policy: at least 10 characters of 3 classes, not the login name, not a common one."""

from __future__ import annotations

import functools
import secrets
import string
from importlib import resources

from xueji_common.errors import FieldViolation, InvalidArgument

MIN_LENGTH = 10


@functools.cache
def common_passwords() -> frozenset[str]:
    text = resources.files("xueji_accounts.data").joinpath("common_passwords.txt").read_text(encoding="utf-8")
    return frozenset(
        line.strip().lower() for line in text.splitlines() if line.strip() and not line.startswith("#")
    )


def _classes(password: str) -> int:
    return sum(
        (
            any(c.islower() for c in password),
            any(c.isupper() for c in password),
            any(c.isdigit() for c in password),
            any(not c.isalnum() for c in password),
        )
    )


def problems(password: str, login_name: str) -> list[str]:
    found = []
    if len(password) < MIN_LENGTH:
        found.append(f"密码长度不能少于 {MIN_LENGTH} 位")
    if _classes(password) < 3:
        found.append("密码须包含大写字母、小写字母、数字、符号中的至少三类")
    lowered = password.lower()
    if login_name and login_name.lower() in lowered:
        found.append("密码不能包含登录名")
    if lowered in common_passwords():
        found.append("密码过于常见，请换一个")
    return found


def check(password: str, login_name: str, field: str = "new_password") -> None:
    found = problems(password, login_name)
    if found:
        raise InvalidArgument([FieldViolation(field, p) for p in found])


def temporary() -> str:
    """A random password that meets the policy (shown once; changed at first sign-in)."""
    alphabet = string.ascii_letters + string.digits
    while True:
        candidate = "".join(secrets.choice(alphabet) for _ in range(12)) + secrets.choice("!#%+-=@")
        if not problems(candidate, ""):
            return candidate
