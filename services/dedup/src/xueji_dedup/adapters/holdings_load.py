"""Writing the holdings of a bulk load (LoadRecordHoldings) in the unit of work's transaction.

PostgreSQL: one COPY for the whole load, straight into `national_records` when it is empty (a new
deployment: its indexes dropped first and built once at the end, xueji_common.db.bulk.drop_indexes),
else into a temporary staging table merged at the end with one INSERT ... ON CONFLICT (record_id)
(loading again replaces a holding). SQLite (embedded mode): an upsert per batch. Either way nothing
is visible before the unit of work commits, and a failed load leaves nothing."""

from __future__ import annotations

import datetime as dt
from contextlib import ExitStack

from sqlalchemy.orm import Session

from xueji_common.db.bulk import drop_indexes
from xueji_dedup.adapters.national_store import _insert
from xueji_dedup.adapters.tables import national_records as rec

FIELDS = (
    "record_id",
    "document_type",
    "document_hash",
    "application_id",
    "province_code",
    "school_code",
    "national_student_number",
    "update_time",
)


def holdings_writer(session: Session, at: dt.datetime):
    dialect = session.get_bind().dialect.name
    return (
        PostgresHoldingsWriter(session, at) if dialect == "postgresql" else SqliteHoldingsWriter(session, at)
    )


class PostgresHoldingsWriter:
    def __init__(self, session: Session, at: dt.datetime) -> None:
        self._conn = session.connection()
        self._conn.exec_driver_sql("LOCK TABLE national_records IN SHARE ROW EXCLUSIVE MODE")
        self._empty = self._conn.exec_driver_sql("SELECT 1 FROM national_records LIMIT 1").first() is None
        target, self._rebuild = "national_records", []
        if self._empty:  # a new deployment: no index kept up row by row, each built once at the end
            self._rebuild = drop_indexes(self._conn)
        else:
            self._conn.exec_driver_sql(
                "CREATE TEMP TABLE dedup_load (LIKE national_records INCLUDING DEFAULTS) ON COMMIT DROP"
            )
            target = "dedup_load"
        self._tail = f"\t{at.isoformat()}\n"  # one load time
        self._rows = 0
        self._copying = ExitStack()
        cursor = self._copying.enter_context(self._conn.connection.driver_connection.cursor())
        self._copy = self._copying.enter_context(
            cursor.copy(f"COPY {target} ({', '.join(FIELDS)}) FROM STDIN")
        )

    def add(self, columns) -> None:
        """`columns`: record ids, types, hashes, provinces, schools, numbers (checked: no tab, newline
        or backslash, so the COPY text needs no escaping)."""
        ids, types, hashes, provinces, schools, numbers = columns
        tail = self._tail
        self._copy.write(
            "".join(
                [
                    f"{i}\t{t}\t{h}\t\t{p}\t{s}\t{n}{tail}"  # empty application id
                    for i, t, h, p, s, n in zip(ids, types, hashes, provinces, schools, numbers)
                ]
            ).encode()
        )
        self._rows += len(ids)

    def abort(self, failure: BaseException) -> None:
        try:
            self._copying.__exit__(type(failure), failure, failure.__traceback__)
        except Exception:
            pass

    def finish(self) -> int:
        self._copying.close()
        if self._empty:
            self._conn.exec_driver_sql("SET LOCAL maintenance_work_mem = '256MB'")
            for statement in self._rebuild:
                self._conn.exec_driver_sql(statement)
        else:
            columns = ", ".join(FIELDS)
            updates = ", ".join(f"{f} = EXCLUDED.{f}" for f in FIELDS if f != "record_id")
            self._conn.exec_driver_sql(
                f"INSERT INTO national_records ({columns}) SELECT {columns} FROM dedup_load "
                f"ON CONFLICT (record_id) DO UPDATE SET {updates}"
            )
        self._conn.exec_driver_sql("ANALYZE national_records (document_type, document_hash)")
        return self._rows


class SqliteHoldingsWriter:
    def __init__(self, session: Session, at: dt.datetime) -> None:
        self._s, self._at, self._rows = session, at, 0

    def add(self, columns) -> None:
        ids, types, hashes, provinces, schools, numbers = columns
        values = [
            dict(
                record_id=i,
                document_type=t,
                document_hash=h,
                application_id="",
                province_code=p,
                school_code=s,
                national_student_number=n,
                update_time=self._at,
            )
            for i, t, h, p, s, n in zip(ids, types, hashes, provinces, schools, numbers)
        ]
        if values:
            stmt = _insert(self._s, rec)
            stmt = stmt.on_conflict_do_update(
                index_elements=["record_id"], set_={f: stmt.excluded[f] for f in FIELDS if f != "record_id"}
            )
            self._s.execute(stmt, values)
        self._rows += len(values)

    def abort(self, failure: BaseException) -> None:
        pass

    def finish(self) -> int:
        return self._rows
