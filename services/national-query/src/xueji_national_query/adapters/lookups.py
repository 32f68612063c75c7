"""Captcha challenges and the lookup audit in SQL."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import delete, insert, select, update
from sqlalchemy.orm import Session

from xueji_common.db.engine import utc
from xueji_national_query.adapters.tables import captchas as c
from xueji_national_query.adapters.tables import lookup_audit as a
from xueji_national_query.domain.captcha import Challenge
from xueji_national_query.domain.lookup import AuditEntry


class CaptchaRepository:
    def __init__(self, session: Session) -> None:
        self._session = session

    def add(self, challenge: Challenge) -> None:
        self._session.execute(
            insert(c).values(
                captcha_id=challenge.captcha_id,
                answer_digest=challenge.answer_digest,
                user_id=challenge.user_id,
                expire_time=challenge.expire_time,
            )
        )

    def claim(self, captcha_id: str, now: dt.datetime) -> tuple[Challenge | None, bool]:
        """Marks the challenge used; (challenge, True) when this call was the first to use it.

        A conditional UPDATE: of two concurrent claims only one matches `used_time IS NULL`.
        """
        claimed = (
            self._session.execute(
                update(c).where(c.c.captcha_id == captcha_id, c.c.used_time.is_(None)).values(used_time=now)
            ).rowcount
            == 1
        )
        row = self._session.execute(select(c).where(c.c.captcha_id == captcha_id)).first()
        if row is None:
            return None, False
        return Challenge(
            row.captcha_id, row.answer_digest, row.user_id, utc(row.expire_time), utc(row.used_time)
        ), claimed

    def purge_expired(self, before: dt.datetime) -> None:
        self._session.execute(delete(c).where(c.c.expire_time < before))


class AuditLog:
    def __init__(self, session: Session) -> None:
        self._session = session

    def record(self, entry: AuditEntry) -> None:
        self._session.execute(insert(a).values(**entry._asdict()))

    def entries(self, user_id: str | None = None) -> list[dict]:
        query = select(a).order_by(a.c.id)
        if user_id is not None:
            query = query.where(a.c.user_id == user_id)
        return [dict(r._mapping) for r in self._session.execute(query)]
