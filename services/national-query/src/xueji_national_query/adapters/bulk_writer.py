"""Writing loaded rows into the read model in the unit of work's transaction.

PostgreSQL: COPY, straight into an empty table, else into a temporary staging table and then one
INSERT ... ON CONFLICT on the national student number's keyed hash (the later change time wins).
SQLite (embedded mode): executemany per batch. Either way the number is stored encrypted: the COPY
path seals a batch's numbers at once (KeyRing.encrypt_many), the SQLite path through the column type.
"""

from __future__ import annotations

from contextlib import ExitStack

from sqlalchemy import bindparam, insert, select, update
from sqlalchemy.orm import Session

from xueji_common.db.bulk import drop_indexes
from xueji_common.db.encrypted import keyring_of
from xueji_common.db.engine import utc
from xueji_national_query.adapters.copy_text import CopyLines
from xueji_national_query.adapters.tables import national_records as t
from xueji_national_query.domain.load_rows import RowParser
from xueji_national_query.domain.records import loaded_row_applies

FIELDS = RowParser.ROW_FIELDS
# A loaded row keeps the record's id and version (the order of record events is not the file's).
_UPDATED = [f for f in FIELDS if f not in ("record_id", "version")]
_NUMBER = FIELDS.index("national_student_number")
_NUMBER_HASH = FIELDS.index("national_student_number_hash")
_PURPOSE = t.c.national_student_number.type.purpose


def writer_for(session: Session) -> PostgresWriter | SqliteWriter:
    dialect = session.get_bind().dialect.name
    return PostgresWriter(session) if dialect == "postgresql" else SqliteWriter(session)


class PostgresWriter:
    """One COPY for the whole load, written from the loading thread as the rows are parsed.

    Rows travel as COPY text lines (copy_text), a few thousand rows per write rather than row by row
    through the driver's type adapters. A write hands the text to libpq, which sends it at once: the
    server stores it on the other core while the next rows are parsed, and a write waits only when
    the server falls behind. (A copying thread did the same in theory but, needing the GIL back for
    every 128 kB piece it sent, got it only at the parsing thread's switch interval: measured, it took
    three times the server's own time, and the end of the load waited for it.)

    Into an empty table (a new deployment) the rows go straight in with no index at all: the primary
    key, the unique constraint and the secondary indexes are dropped first and built once, sorted, at
    the end, then the lookup keys are analysed. Otherwise through a staging table and a merge. Either
    way in the unit of work's transaction: a failed load leaves nothing behind.
    """

    def __init__(self, session: Session) -> None:
        self._conn = session.connection()
        self._ring = keyring_of(self._conn.dialect)  # none bound: refused before anything is written
        raw = self._conn.connection.driver_connection
        # No one else writes the records during a load: a load that found the table empty must not
        # meet rows another load or an event writes meanwhile (reads go on until indexes are dropped).
        self._conn.exec_driver_sql("LOCK TABLE national_records IN SHARE ROW EXCLUSIVE MODE")
        self._first_load = self._conn.execute(select(t.c.record_id).limit(1)).first() is None
        self._rows = 0
        self._lines = CopyLines()
        if self._first_load:
            self._rebuild = drop_indexes(self._conn)
            target = "national_records"
        else:
            self._conn.exec_driver_sql(
                "CREATE TEMP TABLE nq_load (LIKE national_records INCLUDING DEFAULTS) ON COMMIT DROP"
            )
            target = "nq_load"
        # The cursor and its COPY, until finish() or abort(). The COPY holds the driver connection
        # (psycopg's lock) meanwhile: nothing else may use it before then.
        self._copying = ExitStack()
        cursor = self._copying.enter_context(raw.cursor())
        statement = f"COPY {target} ({', '.join(FIELDS)}) FROM STDIN"
        self._copy = self._copying.enter_context(cursor.copy(statement))

    def add(self, rows: list[tuple]) -> None:
        sealed = self._ring.encrypt_many([r[_NUMBER] for r in rows], _PURPOSE)
        self._copy.write(self._lines.encode(rows, sealed))
        self._rows += len(rows)

    def abort(self, failure: BaseException) -> None:
        """The load failed before finish(): the COPY is cancelled (the transaction then rolls back)."""
        try:
            self._copying.__exit__(type(failure), failure, failure.__traceback__)
        except Exception:
            pass

    def finish(self) -> tuple[int, int]:
        """Ends the COPY, then builds the indexes or merges; (inserted, updated)."""
        self._copying.close()
        if self._first_load:
            self._conn.exec_driver_sql("SET LOCAL maintenance_work_mem = '256MB'")
            for statement in self._rebuild:
                self._conn.exec_driver_sql(statement)
            # Statistics of the lookup keys now, for the first lookups' plans (autovacuum does the rest).
            self._conn.exec_driver_sql(
                "ANALYZE national_records (national_student_number_hash, name, document_hash)"
            )
            return self._rows, 0
        columns = ", ".join(FIELDS)
        assignments = ", ".join(f"{f} = EXCLUDED.{f}" for f in _UPDATED)
        row = self._conn.exec_driver_sql(f"""
            WITH merged AS (
                INSERT INTO national_records ({columns}) SELECT {columns} FROM nq_load
                ORDER BY national_student_number_hash ON CONFLICT (national_student_number_hash)
                DO UPDATE SET {assignments}
                WHERE national_records.changed_at < EXCLUDED.changed_at
                   OR (national_records.changed_at = EXCLUDED.changed_at
                       AND national_records.document_hash IS DISTINCT FROM EXCLUDED.document_hash)
                RETURNING (xmax = 0) AS inserted)
            SELECT count(*) FILTER (WHERE inserted), count(*) FILTER (WHERE NOT inserted) FROM merged
        """).one()
        return row[0], row[1]


class SqliteWriter:
    _CHUNK = 500  # bound parameters per IN list

    def __init__(self, session: Session) -> None:
        self._session = session
        self.inserted = self.updated = 0

    def add(self, rows: list[tuple]) -> None:
        stored = {}
        hashes = [r[_NUMBER_HASH] for r in rows]
        for i in range(0, len(hashes), self._CHUNK):
            for number_hash, changed_at, digest in self._session.execute(
                select(t.c.national_student_number_hash, t.c.changed_at, t.c.document_hash).where(
                    t.c.national_student_number_hash.in_(hashes[i : i + self._CHUNK])
                )
            ):
                stored[number_hash] = (changed_at, digest)
        new, newer = [], []
        for row in rows:
            values = dict(zip(FIELDS, row))
            held = stored.get(row[_NUMBER_HASH])
            if held is None:
                new.append(values)
            elif loaded_row_applies(values["changed_at"], utc(held[0]), values["document_hash"], held[1]):
                newer.append({"b_nsn": row[_NUMBER_HASH], **{f"v_{f}": values[f] for f in _UPDATED}})
        if new:
            self._session.execute(insert(t), new)
        if newer:
            self._session.execute(
                update(t)
                .where(t.c.national_student_number_hash == bindparam("b_nsn"))
                .values({f: bindparam(f"v_{f}") for f in _UPDATED}),
                newer,
            )
        self.inserted += len(new)
        self.updated += len(newer)

    def abort(self, failure: BaseException) -> None:
        pass

    def finish(self) -> tuple[int, int]:
        return self.inserted, self.updated
