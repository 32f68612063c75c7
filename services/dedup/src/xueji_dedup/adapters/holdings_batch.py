"""The batch form of the CheckDocument lookup (Dedup.CheckDocuments): every document of one call in
one statement, so a call of 500 costs one round trip and one plan instead of 500.

PostgreSQL gets the documents as two comma-joined strings split into arrays and joined against the
index; the arrays are cast to the columns' type (varchar), since a text parameter against a varchar
index column can keep the planner from the index. (Keys are hex and type codes one letter: no
comma.) SQLite (embedded mode) runs the same join through SQLAlchemy Core with row values.
bench/dedup_check.py measures it per document against the raw single lookup."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import literal, select, tuple_, union_all
from sqlalchemy.engine import Engine

from xueji_dedup.adapters.holdings_query import pooled_rows
from xueji_dedup.adapters.tables import national_records as rec
from xueji_dedup.adapters.tables import national_reservations as res
from xueji_dedup.domain.checks import Holding, HoldingKind

Document = tuple[str, str]  # (document type code, keyed hash)

_PG_SQL = (
    "WITH asked(t, h) AS (SELECT * FROM unnest(string_to_array(%(ts)s, ',')::varchar[],"
    " string_to_array(%(hs)s, ',')::varchar[]))"
    " SELECT 'record', r.document_type, r.document_hash, r.record_id, r.province_code, r.school_code,"
    " r.national_student_number, r.application_id"
    " FROM national_records r JOIN asked ON r.document_type = asked.t AND r.document_hash = asked.h"
    " UNION ALL SELECT 'reservation', s.document_type, s.document_hash, s.reservation_id, s.province_code,"
    " s.school_code, '', s.application_id"
    " FROM national_reservations s JOIN asked ON s.document_type = asked.t AND s.document_hash = asked.h"
    " WHERE s.state = 'active' AND s.expire_time >= %(now)s"
)


def _core_rows(engine: Engine, asked: list[Document], now: dt.datetime) -> list:
    query = union_all(
        select(
            literal("record"),
            rec.c.document_type,
            rec.c.document_hash,
            rec.c.record_id,
            rec.c.province_code,
            rec.c.school_code,
            rec.c.national_student_number,
            rec.c.application_id,
        ).where(tuple_(rec.c.document_type, rec.c.document_hash).in_(asked)),
        select(
            literal("reservation"),
            res.c.document_type,
            res.c.document_hash,
            res.c.reservation_id,
            res.c.province_code,
            res.c.school_code,
            literal(""),
            res.c.application_id,
        ).where(
            tuple_(res.c.document_type, res.c.document_hash).in_(asked),
            res.c.state == "active",
            res.c.expire_time >= now,
        ),
    )
    with engine.connect() as conn:
        return conn.execute(query).all()


def holdings_of_each(
    engine: Engine, documents: list[Document], now: dt.datetime
) -> dict[Document, list[Holding]]:
    """Every holding of each asked document (an unheld document maps to an empty list)."""
    found: dict[Document, list[Holding]] = {d: [] for d in documents}
    if not documents:
        return found
    asked = list(found)  # each document once: a class may list a document twice
    if engine.dialect.driver == "psycopg":
        # two comma-joined strings, not two arrays: psycopg dumps a 500-item list item by item (~5 ms)
        params = {"ts": ",".join(t for t, _ in asked), "hs": ",".join(h for _, h in asked), "now": now}
        rows = pooled_rows(engine, _PG_SQL, params)
    else:
        rows = _core_rows(engine, asked, now)
    for kind, document_type, hash_, holder, province, school, number, application in rows:
        found[(document_type, hash_)].append(
            Holding(HoldingKind(kind), holder, province, school, number, application)
        )
    return found
