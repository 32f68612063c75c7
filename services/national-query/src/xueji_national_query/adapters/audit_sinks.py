"""Where BufferedAuditWriter commits a group of audit entries: one COPY on PostgreSQL (one round
trip, its own transaction), one executemany INSERT in a transaction elsewhere (SQLite)."""

from __future__ import annotations

import psycopg
from sqlalchemy import insert
from sqlalchemy.engine import Engine, make_url

from xueji_national_query.adapters.pg_connections import conninfo
from xueji_national_query.adapters.tables import lookup_audit
from xueji_national_query.domain.lookup import AuditEntry

_COPY = f"COPY lookup_audit ({', '.join(AuditEntry._fields)}) FROM STDIN"


def audit_sink(runtime):
    if make_url(runtime.database_url).get_backend_name() == "postgresql":
        info = conninfo(runtime.database_url)
        return PostgresAuditSink(lambda: psycopg.connect(info, autocommit=True))
    return CoreAuditSink(runtime.engine)


class PostgresAuditSink:
    def __init__(self, connect) -> None:
        self._connect = connect
        self._conn: psycopg.Connection | None = None  # used by the writer's thread only

    def write(self, entries: list[AuditEntry]) -> None:
        if self._conn is None or self._conn.closed:
            self._conn = self._connect()
        try:
            with self._conn.cursor() as cursor, cursor.copy(_COPY) as copy:
                for entry in entries:
                    copy.write_row(entry)
        except BaseException:
            self._conn.close()
            raise

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()


class CoreAuditSink:
    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def write(self, entries: list[AuditEntry]) -> None:
        with self._engine.begin() as conn:
            conn.execute(insert(lookup_audit), [e._asdict() for e in entries])

    def close(self) -> None:
        pass
