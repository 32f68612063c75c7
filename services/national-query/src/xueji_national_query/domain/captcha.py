"""Captcha challenges (验证码) of the national lookup: one answer, one use, a short life.

A challenge belongs to the user it was issued to. Redeeming it is a one-time claim (the repository
marks it used atomically whatever the answer), so a challenge can neither be reused after a right
answer nor retried after a wrong one; a lookup without one is refused.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import secrets
from dataclasses import dataclass

from xueji_common.errors import FieldViolation, InvalidArgument

# No look-alike characters (0/O, 1/I/L): the answer is typed from a distorted image.
ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
LENGTH = 4
FIELD = "captcha_answer"


def new_answer() -> str:
    return "".join(secrets.choice(ALPHABET) for _ in range(LENGTH))


def answer_digest(key: str, captcha_id: str, answer: str) -> str:
    """The stored form of an answer: keyed, bound to its challenge, case-insensitive."""
    message = f"{captcha_id}:{answer.strip().upper()}".encode()
    return hmac.new(key.encode(), message, hashlib.sha256).hexdigest()


@dataclass(frozen=True)
class Challenge:
    captcha_id: str
    answer_digest: str
    user_id: str
    expire_time: dt.datetime
    used_time: dt.datetime | None = None


def refuse(description: str) -> InvalidArgument:
    return InvalidArgument(FieldViolation(FIELD, description))


def check_redeemed(
    challenge: Challenge | None, *, claimed: bool, user_id: str, answer: str, key: str, now: dt.datetime
) -> None:
    """After the claim: raises InvalidArgument on field captcha_answer unless the answer is good.

    `claimed` is False when the challenge had been used before this call.
    """
    if challenge is None or challenge.user_id != user_id:
        raise refuse("验证码无效，请刷新验证码")
    if not claimed:
        raise refuse("验证码已使用，请刷新验证码")
    if now >= challenge.expire_time:
        raise refuse("验证码已过期，请刷新验证码")
    if not hmac.compare_digest(challenge.answer_digest, answer_digest(key, challenge.captcha_id, answer)):
        raise refuse("验证码错误，请刷新验证码后重新输入")
