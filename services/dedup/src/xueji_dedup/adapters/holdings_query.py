"""The hot path of CheckDocument: one indexed statement on an autocommit connection.

A document check is read only and runs for every application, so it skips the unit of work: no
BEGIN/ROLLBACK, no pre-ping, one round trip for record holdings and open reservations together
(bench/dedup_check.py measures it against the raw lookup).
"""
from __future__ import annotations

import datetime as dt

from sqlalchemy import bindparam, create_engine, literal, select, union_all
from sqlalchemy.engine import Engine

from xueji_dedup.adapters.tables import national_records as rec
from xueji_dedup.adapters.tables import national_reservations as res
from xueji_dedup.domain.checks import Holding, HoldingKind

_QUERY = union_all(
    select(literal("record").label("kind"), rec.c.record_id.label("holder_id"), rec.c.province_code,
           rec.c.school_code, rec.c.national_student_number, rec.c.application_id)
    .where(rec.c.document_type == bindparam("t"), rec.c.document_hash == bindparam("h")),
    select(literal("reservation"), res.c.reservation_id, res.c.province_code, res.c.school_code,
           literal(""), res.c.application_id)
    .where(res.c.document_type == bindparam("t"), res.c.document_hash == bindparam("h"),
           res.c.state == "active", res.c.expire_time >= bindparam("now")),
)


def read_engine(engine: Engine) -> Engine:
    """An autocommit engine on the same database for read-only lookups (SQLite: the same engine)."""
    if engine.dialect.name != "postgresql":
        return engine
    return create_engine(engine.url, pool_size=10, max_overflow=10, pool_recycle=3600,
                         isolation_level="AUTOCOMMIT")


def holdings(engine: Engine, document_type: str, document_hash: str, now: dt.datetime,
             except_application: str = "") -> list[Holding]:
    with engine.connect() as conn:
        rows = conn.execute(_QUERY, {"t": document_type, "h": document_hash, "now": now}).all()
    return [Holding(HoldingKind(r.kind), r.holder_id, r.province_code, r.school_code, r.national_student_number,
                    r.application_id)
            for r in rows if not (except_application and r.application_id == except_application)]
