"""The decision history of cases, and dedup results parked until their submission arrives.

Written in bulk: a batch's history rows with one COPY (PostgreSQL), its parked results with one
INSERT ... ON CONFLICT DO NOTHING, the results it took with one DELETE."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import delete, select, tuple_
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from xueji_common.db.bulk import insert_rows
from xueji_common.db.engine import utc
from xueji_common.orgunits import OrgLevel
from xueji_review.adapters.tables import review_case_history as h
from xueji_review.adapters.tables import review_gate_results as g
from xueji_review.domain.model import CaseEvent, CaseEventType
from xueji_review.service_layer.unit_of_work import ParkedKey


class HistoryRepository:
    def __init__(self, session: Session) -> None:
        self._session = session

    def add_all(self, events: list[CaseEvent]) -> None:
        insert_rows(  # COPY on PostgreSQL
            self._session,
            h,
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

    def parked_for(self, application_ids: list[str]) -> dict[ParkedKey, tuple[bool, str]]:
        rows = self._session.execute(
            select(g.c.application_id, g.c.revision, g.c.passed, g.c.reason).where(
                g.c.application_id.in_(set(application_ids))
            )
        )
        return {(r.application_id, r.revision): (bool(r.passed), r.reason) for r in rows}

    def park_many(self, results: list[tuple[ParkedKey, bool, str]], at: dt.datetime) -> None:
        """The first result of an (application, revision) is kept: later ones, in this batch or
        after it, are ignored."""
        rows: dict[ParkedKey, dict] = {}
        for (application_id, revision), passed, reason in results:
            rows.setdefault(
                (application_id, revision),
                dict(
                    application_id=application_id,
                    revision=revision,
                    passed=passed,
                    reason=reason,
                    received_at=at,
                ),
            )
        if not rows:
            return
        postgres = self._session.get_bind().dialect.name == "postgresql"
        statement = (pg_insert if postgres else sqlite_insert)(g).on_conflict_do_nothing()
        self._session.execute(statement, list(rows.values()))

    def remove_many(self, keys: list[ParkedKey]) -> None:
        if keys:
            self._session.execute(delete(g).where(tuple_(g.c.application_id, g.c.revision).in_(keys)))
