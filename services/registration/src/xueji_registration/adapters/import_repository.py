"""Imports and their per-row outcomes in SQL."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

from sqlalchemy import ARRAY, String, any_, bindparam, insert, select
from sqlalchemy.orm import Session

from xueji_common.db.bulk import insert_shared
from xueji_common.db.engine import utc
from xueji_registration.adapters import import_purge
from xueji_registration.adapters.preschool_tables import import_rows as r
from xueji_registration.adapters.preschool_tables import imports as t
from xueji_registration.adapters.tables import applications as a
from xueji_registration.domain.model import ACTIVE_STATES, first_holders
from xueji_registration.service_layer.repositories import ImportRecord, StoredRow


class ImportRepository:
    def __init__(self, session: Session) -> None:
        self._session = session

    def add(self, record: ImportRecord) -> None:
        self._session.execute(insert(t).values(**record.__dict__))

    def get(self, import_id: str) -> ImportRecord | None:
        row = self._session.execute(select(t).where(t.c.import_id == import_id)).first()
        return _record(row) if row else None

    def by_request(self, school_code: str, request_id: str) -> ImportRecord | None:
        row = self._session.execute(
            select(t).where(t.c.school_code == school_code, t.c.request_id == request_id)
        ).first()
        return _record(row) if row else None

    def add_rows(self, import_id: str, rows: list[StoredRow]) -> None:
        """One statement per batch (COPY on PostgreSQL, executemany elsewhere)."""
        insert_shared(self._session, r, {"import_id": import_id}, StoredRow._fields, rows)

    def active_application_holders(self, hashes: list[str]) -> dict:
        """Which of these document hashes an application not withdrawn holds (one query per batch):
        hash → DocumentHolder."""
        if not hashes:
            return {}
        if self._session.get_bind().dialect.name == "postgresql":  # one array parameter, not 1000
            matching = a.c.document_hash == any_(bindparam("hashes", hashes, type_=ARRAY(String)))
        else:
            matching = a.c.document_hash.in_(hashes)
        return first_holders(
            self._session.execute(
                select(a.c.document_hash, a.c.school_code, a.c.province_code, a.c.state).where(
                    matching, a.c.state.in_([s.value for s in ACTIVE_STATES])
                )
            ).all()
        )

    def failed_rows_after(self, import_id: str, after: int, limit: int) -> list[StoredRow]:
        """A page of failed rows, their reasons only (not their cells): the first `limit` after row
        number `after`, in the primary key's order."""
        query = select(r.c.row_number, r.c.errors).where(
            r.c.import_id == import_id, r.c.row_number > after, r.c.created_id.is_(None)
        )
        return [
            StoredRow(row.row_number, None, None, row.errors)
            for row in self._session.execute(query.order_by(r.c.row_number).limit(limit))
        ]

    def created_ids(self, import_id: str) -> list[str]:
        """What the passed rows created, in row order (at most Limits.max_rows of them)."""
        query = select(r.c.created_id).where(r.c.import_id == import_id, r.c.created_id.is_not(None))
        return list(self._session.execute(query.order_by(r.c.row_number)).scalars())

    def rows(self, import_id: str, *, failed_only: bool = False) -> Iterator[StoredRow]:
        query = select(r).where(r.c.import_id == import_id)
        if failed_only:
            query = query.where(r.c.created_id.is_(None))
        for row in self._session.execute(query.order_by(r.c.row_number)).yield_per(1000):
            yield StoredRow(row.row_number, row.created_id, row.cells, row.errors)

    def oldest_before(self, cutoff: dt.datetime, limit: int) -> list[str]:
        return import_purge.oldest_before(self._session, cutoff, limit)

    def delete(self, import_ids: list[str]) -> None:
        import_purge.delete_imports(self._session, import_ids)


def _record(row) -> ImportRecord:
    values = dict(row._mapping)
    values["created_at"] = utc(values["created_at"])
    return ImportRecord(**values)
