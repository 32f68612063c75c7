"""The hot path of CheckDocument: one indexed statement on an autocommit connection.

A document check is read only and runs for every application, so it skips the unit of work: no
BEGIN/ROLLBACK, no pre-ping, one round trip for record holdings and open reservations together.
On PostgreSQL it also skips SQLAlchemy's statement execution (parameter processing, result
metadata, about half a millisecond on a loaded machine, as much as the lookup itself): a constant
SQL text, prepared once per pooled psycopg connection, on a connection taken from the engine's pool
(bench/dedup_check.py measures it against the raw lookup). SQLite (embedded mode) runs the same
statement through SQLAlchemy Core.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import bindparam, create_engine, literal, select, union_all
from sqlalchemy.engine import Engine

from xueji_dedup.adapters.tables import national_records as rec
from xueji_dedup.adapters.tables import national_reservations as res
from xueji_dedup.domain.checks import Holding, HoldingKind

_QUERY = union_all(
    select(
        literal("record").label("kind"),
        rec.c.record_id.label("holder_id"),
        rec.c.province_code,
        rec.c.school_code,
        rec.c.national_student_number,
        rec.c.application_id,
    ).where(rec.c.document_type == bindparam("t"), rec.c.document_hash == bindparam("h")),
    select(
        literal("reservation"),
        res.c.reservation_id,
        res.c.province_code,
        res.c.school_code,
        literal(""),
        res.c.application_id,
    ).where(
        res.c.document_type == bindparam("t"),
        res.c.document_hash == bindparam("h"),
        res.c.state == "active",
        res.c.expire_time >= bindparam("now"),
    ),
)

# The same statement for psycopg, as PostgreSQL gets it (constant text: psycopg prepares it once).
_PG_SQL = (
    "SELECT 'record', record_id, province_code, school_code, national_student_number, application_id"
    " FROM national_records WHERE document_type = %(t)s AND document_hash = %(h)s"
    " UNION ALL SELECT 'reservation', reservation_id, province_code, school_code, '', application_id"
    " FROM national_reservations WHERE document_type = %(t)s AND document_hash = %(h)s"
    " AND state = 'active' AND expire_time >= %(now)s"
)


def read_engine(engine: Engine) -> Engine:
    """An autocommit engine on the same database for read-only lookups (SQLite: the same engine)."""
    if engine.dialect.name != "postgresql":
        return engine
    return create_engine(
        engine.url, pool_size=10, max_overflow=10, pool_recycle=3600, isolation_level="AUTOCOMMIT"
    )


def holdings(
    engine: Engine, document_type: str, document_hash: str, now: dt.datetime, except_application: str = ""
) -> list[Holding]:
    params = {"t": document_type, "h": document_hash, "now": now}
    rows = (
        pooled_rows(engine, _PG_SQL, params)
        if engine.dialect.driver == "psycopg"
        else _core_rows(engine, params)
    )
    return [
        Holding(HoldingKind(kind), holder, province, school, number, application)
        for kind, holder, province, school, number, application in rows
        if not (except_application and application == except_application)
    ]


def _core_rows(engine: Engine, params: dict) -> list:
    with engine.connect() as conn:
        return conn.execute(_QUERY, params).all()


def pooled_rows(engine: Engine, sql: str, params: dict) -> list:
    """A constant statement, prepared, on a pooled connection; one that broke (server restarted) is
    discarded and the lookup retried."""
    # Hand-written, not tenacity: tenacity adds ~35 us to every successful call (bench/retry_overhead.py,
    # 7 December), ~28 % of this lookup's 0.124 ms raw SQL p50 (bench/README.md, dedup CheckDocument).
    for attempt in (1, 2):
        conn = engine.raw_connection()
        try:
            with conn.cursor() as cursor:
                cursor.execute(sql, params, prepare=True)
                return cursor.fetchall()
        except engine.dialect.loaded_dbapi.OperationalError:
            conn.invalidate()
            if attempt == 2:
                raise
        finally:
            conn.close()  # back to the pool (a no-op once invalidated)
    raise AssertionError("unreachable")
