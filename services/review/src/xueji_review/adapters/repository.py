"""Review cases in SQL. Updates check the version column (optimistic concurrency)."""
from __future__ import annotations

from dataclasses import fields

from sqlalchemy import func, insert, select, update
from sqlalchemy.orm import Session

from xueji_common.db.engine import utc
from xueji_common.errors import ConcurrentModification
from xueji_review.adapters.tables import review_cases as t
from xueji_review.domain.model import CaseState, GateStatus, PendingSummary, ReviewCase

_COLUMNS = [f.name for f in fields(ReviewCase)]


def _row_to_case(row) -> ReviewCase:
    values = dict(row._mapping)
    values["state"] = CaseState(values["state"])
    values["gate"] = GateStatus(values["gate"])
    values["submitted_at"] = utc(values["submitted_at"])
    return ReviewCase(**values)


def _values(case: ReviewCase) -> dict:
    values = {name: getattr(case, name) for name in _COLUMNS}
    values["state"] = case.state.value
    values["gate"] = case.gate.value
    return values


class ReviewCaseRepository:
    def __init__(self, session: Session) -> None:
        self._session = session

    def get(self, application_id: str) -> ReviewCase | None:
        row = self._session.execute(select(t).where(t.c.application_id == application_id)).first()
        return _row_to_case(row) if row else None

    def add(self, case: ReviewCase) -> None:
        self._session.execute(insert(t).values(**_values(case)))

    def save(self, case: ReviewCase, expected_version: int) -> None:
        result = self._session.execute(
            update(t)
            .where(t.c.application_id == case.application_id, t.c.version == expected_version)
            .values(**_values(case))
        )
        if result.rowcount != 1:
            raise ConcurrentModification("该学生的审核状态已被他人更新，请刷新后重试")

    def pending_summary(self, school_code: str, category: str | None = None) -> PendingSummary:
        query = (
            select(t.c.category, func.count())
            .where(t.c.school_code == school_code, t.c.state == CaseState.AWAITING_SCHOOL_REVIEW.value)
            .group_by(t.c.category)
        )
        if category:
            query = query.where(t.c.category == category)
        counts = dict(self._session.execute(query).all())
        return PendingSummary(school_code, sum(counts.values()), counts)
