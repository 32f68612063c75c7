"""Review cases in SQL. Updates check the version column (optimistic concurrency).

Batch use cases read their cases with `lock=True` (SELECT ... FOR UPDATE on PostgreSQL, rows locked
in list order by every batch, approve-all's and the intake's alike, so that two batches never wait
for each other crosswise: submit time, then case id, neither of which changes; SQLite transactions
already hold the database lock from their first statement) and write them back with one executemany
(new ones with one COPY), so that 10,000 decisions are a handful of statements, not 10,000 round trips.
"""

from __future__ import annotations

from dataclasses import fields

from sqlalchemy import and_, func, insert, select, update
from sqlalchemy.orm import Session

from xueji_common.db.bulk import insert_rows
from xueji_common.db.bulk_update import update_rows
from xueji_common.db.engine import utc
from xueji_common.errors import ConcurrentModification
from xueji_common.orgunits import OrgLevel
from xueji_review.adapters.tables import review_cases as t
from xueji_review.domain.model import CaseState, GateStatus, ReviewCase
from xueji_review.service_layer.unit_of_work import CaseQuery

_COLUMNS = [f.name for f in fields(ReviewCase) if f.name != "events"]
# What a decision or a report changes: batch writes send only these.
_STATE_COLUMNS = ["state", "gate", "gate_reason", "handling_unit", "current_level", "version", "updated_at"]
# What a resubmission writes (corrected fields, revision, trace): all but the key, as `save` does.
_RESUBMITTED_COLUMNS = [c for c in _COLUMNS if c != "application_id"]
_CONFLICT = "该学生的审核状态已被他人更新，请刷新后重试"
# List order (submit time, then case id): "several selected" and "all" follow it.
_ORDER = (t.c.submitted_at, t.c.application_id)


def _where(query: CaseQuery):
    conditions = [t.c.state.in_([s.value for s in query.states])]
    if query.school_codes:
        conditions.append(t.c.school_code.in_(query.school_codes))
    if query.handling_unit:
        conditions.append(t.c.handling_unit == query.handling_unit)
    if query.level is not None:
        conditions.append(t.c.current_level == int(query.level))
    if query.category:
        conditions.append(t.c.category == query.category)
    if query.kind:
        conditions.append(t.c.kind == query.kind)
    return and_(*conditions)


def _row_to_case(row) -> ReviewCase:
    values = dict(row._mapping)
    values["state"] = CaseState(values["state"])
    values["gate"] = GateStatus(values["gate"])
    values["current_level"] = OrgLevel(values["current_level"])
    values["submitted_at"] = utc(values["submitted_at"])
    values["updated_at"] = utc(values["updated_at"])
    return ReviewCase(**values)


def case_row(case: ReviewCase) -> dict:
    """The table row of a case."""
    values = {name: getattr(case, name) for name in _COLUMNS}
    values["state"] = case.state.value
    values["gate"] = case.gate.value
    values["current_level"] = int(case.current_level)
    return values


class ReviewCaseRepository:
    def __init__(self, session: Session) -> None:
        self._session = session

    def get(self, application_id: str) -> ReviewCase | None:
        row = self._session.execute(select(t).where(t.c.application_id == application_id)).first()
        return _row_to_case(row) if row else None

    def get_many(self, application_ids: list[str], *, lock: bool = False) -> dict[str, ReviewCase]:
        statement = select(t).where(t.c.application_id.in_(application_ids))
        if lock:  # in list order, as `find` locks: one order for every locker (no deadlock)
            statement = statement.order_by(*_ORDER).with_for_update()
        rows = self._session.execute(statement).all()
        return {row.application_id: _row_to_case(row) for row in rows}

    def add(self, case: ReviewCase) -> None:
        self._session.execute(insert(t).values(**case_row(case)))

    def add_all(self, cases: list[ReviewCase]) -> None:
        insert_rows(self._session, t, [case_row(case) for case in cases])  # COPY on PostgreSQL

    def save(self, case: ReviewCase, expected_version: int) -> None:
        result = self._session.execute(
            update(t)
            .where(t.c.application_id == case.application_id, t.c.version == expected_version)
            .values(**case_row(case))
        )
        if result.rowcount != 1:
            raise ConcurrentModification(_CONFLICT)

    def save_all(self, changes: list[tuple[ReviewCase, int]], *, identity: bool = False) -> None:
        """Write back the review state of many (case, expected version) pairs in one guarded UPDATE
        (xueji_common.db.bulk_update: one statement on PostgreSQL); ABORTED (and nothing kept: the
        caller's transaction rolls back) when any of them changed meanwhile. Only the columns
        decisions change are written (identity stays as submitted), unless `identity` (a resubmission)."""
        columns = _RESUBMITTED_COLUMNS if identity else _STATE_COLUMNS
        rows = []
        for case, expected in changes:
            values = case_row(case)
            rows.append(
                {"application_id": case.application_id, "read": expected, **{c: values[c] for c in columns}}
            )
        if update_rows(self._session, t, "application_id", "version", columns, rows) != len(rows):
            raise ConcurrentModification(_CONFLICT)

    def find(
        self, query: CaseQuery, *, offset: int = 0, limit: int | None = None, lock: bool = False
    ) -> list[ReviewCase]:
        statement = select(t).where(_where(query)).order_by(*_ORDER).offset(offset)
        if limit is not None:
            statement = statement.limit(limit)
        if lock:
            statement = statement.with_for_update()
        return [_row_to_case(row) for row in self._session.execute(statement)]

    def count(self, query: CaseQuery) -> int:
        return self._session.execute(select(func.count()).select_from(t).where(_where(query))).scalar_one()

    def counts(self, query: CaseQuery) -> list[tuple[str, str, str, GateStatus, int]]:
        """(school, category, kind, gate, count) of the matching cases."""
        statement = (
            select(t.c.school_code, t.c.category, t.c.kind, t.c.gate, func.count())
            .where(_where(query))
            .group_by(t.c.school_code, t.c.category, t.c.kind, t.c.gate)
        )
        return [(s, c, k, GateStatus(g), n) for s, c, k, g, n in self._session.execute(statement)]
