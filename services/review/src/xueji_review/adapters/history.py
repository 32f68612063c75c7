"""The decision history of cases, and dedup results parked until their submission arrives."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import delete, insert, select
from sqlalchemy.orm import Session

from xueji_common.db.engine import utc
from xueji_common.orgunits import OrgLevel
from xueji_review.adapters.tables import review_case_history as h
from xueji_review.adapters.tables import review_gate_results as g
from xueji_review.domain.model import CaseEvent, CaseEventType


class HistoryRepository:
    def __init__(self, session: Session) -> None:
        self._session = session

    def add_all(self, events: list[CaseEvent]) -> None:
        if not events:
            return
        self._session.execute(
            insert(h),
            [
                dict(
                    application_id=e.application_id,
                    revision=e.revision,
                    event_type=e.type.value,
                    level=int(e.level or 0),
                    unit_code=e.unit_code,
                    user_id=e.user_id,
                    role=e.role,
                    opinion=e.opinion,
                    occurred_at=e.at,
                )
                for e in events
            ],
        )

    def for_application(self, application_id: str) -> list[CaseEvent]:
        """Every entry of the case, oldest first, across all revisions."""
        rows = self._session.execute(select(h).where(h.c.application_id == application_id).order_by(h.c.id))
        return [
            CaseEvent(
                r.application_id,
                r.revision,
                CaseEventType(r.event_type),
                OrgLevel(r.level) if r.level else None,
                r.unit_code,
                r.user_id,
                r.role,
                utc(r.occurred_at),
                r.opinion,
            )
            for r in rows
        ]


class GateResultRepository:
    def __init__(self, session: Session) -> None:
        self._session = session

    def park(self, application_id: str, revision: int, passed: bool, reason: str, at: dt.datetime) -> None:
        exists = self._session.execute(
            select(g.c.revision).where(g.c.application_id == application_id, g.c.revision == revision)
        ).first()
        if not exists:
            self._session.execute(
                insert(g).values(
                    application_id=application_id,
                    revision=revision,
                    passed=passed,
                    reason=reason,
                    received_at=at,
                )
            )

    def take(self, application_id: str, revision: int) -> tuple[bool, str] | None:
        """The parked result of this revision (removed from the table), or None."""
        row = self._session.execute(
            select(g.c.passed, g.c.reason).where(
                g.c.application_id == application_id, g.c.revision == revision
            )
        ).first()
        if row is None:
            return None
        self._session.execute(delete(g).where(g.c.application_id == application_id, g.c.revision <= revision))
        return bool(row.passed), row.reason
