"""The read of a system lookup: one indexed query, no transaction, no ORM.

PostgreSQL: two prepared statements (the hashes travel as one array parameter, so the text never
changes) run by PreparedConnections; the rows arrive as text and are read here. SQLite (embedded
mode): the same queries as SQLAlchemy Core statements built once, on the runtime's engine.

A national student number is looked up by its keyed hash and returned opened: the PostgreSQL reader
decrypts it with the engine's key ring (the Core reader's column type does the same).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import fields

from psycopg import OperationalError
from sqlalchemy import bindparam, select
from sqlalchemy.engine import Engine, make_url

from xueji_common.datakeys import KeyRing
from xueji_common.db.encrypted import hash_key_of, keyring_of
from xueji_common.db.engine import utc
from xueji_common.errors import Unavailable
from xueji_national_query.adapters.pg_connections import PreparedConnections
from xueji_national_query.adapters.tables import national_records as t
from xueji_national_query.domain.doc_hash import hasher
from xueji_national_query.domain.load_rows import STUDENT_NUMBER_TYPE
from xueji_national_query.domain.records import NationalRecord

COLUMNS = [f.name for f in fields(NationalRecord)]
_SELECT = f"SELECT {', '.join(COLUMNS)} FROM national_records"
# Planned once per connection (pg_connections.SESSION forces generic plans), so the plan must not
# depend on the values: the records of the number first (its index), then the name among them, never
# the other way round (a common name such as 王伟 has thousands of records).
STATEMENTS = {
    b"nq_by_document": (
        f"WITH same_number AS MATERIALIZED ({_SELECT} WHERE document_hash = ANY($1)) "
        f"SELECT {', '.join(COLUMNS)} FROM same_number WHERE name = $2 "
        f"ORDER BY changed_at DESC"
    ).encode(),
    b"nq_by_student_number": f"{_SELECT} WHERE national_student_number_hash = $1 AND name = $2".encode(),
}
_PURPOSE = t.c.national_student_number.type.purpose
UNAVAILABLE = "全国学籍查询暂时无法使用，请稍后再试"


def record_reader(runtime):
    if make_url(runtime.database_url).get_backend_name() == "postgresql":
        dialect = runtime.engine.dialect
        return PostgresRecordReader(
            PreparedConnections(runtime.database_url, STATEMENTS, max_idle=runtime.settings.grpc_workers),
            keyring_of(dialect),
            hash_key_of(dialect),
        )
    return CoreRecordReader(runtime.engine)


class PostgresRecordReader:
    def __init__(self, connections: PreparedConnections, ring: KeyRing, hash_key: str) -> None:
        self._connections = connections
        self._ring = ring
        self._hash = hasher(hash_key)

    def by_document(self, name: str, hashes: list[str]) -> list[NationalRecord]:
        if "\x00" in name:
            return []  # no stored name holds one (and libpq parameters end at it)
        return self._fetch(b"nq_by_document", [f"{{{','.join(hashes)}}}".encode(), name.encode()])

    def by_student_number(self, name: str, student_number: str) -> list[NationalRecord]:
        if "\x00" in name or "\x00" in student_number:
            return []
        number_hash = self._hash(STUDENT_NUMBER_TYPE, student_number)
        return self._fetch(b"nq_by_student_number", [number_hash.encode(), name.encode()])

    def _fetch(self, statement: bytes, params: list[bytes]) -> list[NationalRecord]:
        try:
            result = self._connections.query(statement, params)
        except OperationalError:
            raise Unavailable(UNAVAILABLE) from None
        value, ring = result.get_value, self._ring
        return [_record([value(row, column) for column in range(16)], ring) for row in range(result.ntuples)]

    def close(self) -> None:
        self._connections.close()


def _record(v: list[bytes], ring: KeyRing) -> NationalRecord:
    """A row in PostgreSQL's text format (ISO dates, UTC times: see pg_connections.SESSION)."""
    return NationalRecord(
        v[0].decode(),
        ring.decrypt(v[1].decode(), _PURPOSE),
        v[2].decode(),
        int(v[3]),
        dt.date.fromisoformat(v[4].decode()),
        v[5].decode(),
        v[6].decode(),
        v[7].decode(),
        v[8].decode(),
        v[9].decode(),
        v[10].decode(),
        v[11].decode(),
        v[12].decode(),
        v[13] == b"t",
        int(v[14]),
        dt.datetime.fromisoformat(v[15].decode()),
    )


class CoreRecordReader:
    _BY_DOCUMENT = (
        select(*[t.c[c] for c in COLUMNS])
        .where(t.c.document_hash.in_(bindparam("hashes", expanding=True)), t.c.name == bindparam("name"))
        .order_by(t.c.changed_at.desc())
    )
    _BY_STUDENT_NUMBER = select(*[t.c[c] for c in COLUMNS]).where(
        t.c.national_student_number_hash == bindparam("nsn_hash"), t.c.name == bindparam("name")
    )

    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._hash = hasher(hash_key_of(engine.dialect))

    def by_document(self, name: str, hashes: list[str]) -> list[NationalRecord]:
        return self._fetch(self._BY_DOCUMENT, {"hashes": hashes, "name": name})

    def by_student_number(self, name: str, student_number: str) -> list[NationalRecord]:
        number_hash = self._hash(STUDENT_NUMBER_TYPE, student_number)
        return self._fetch(self._BY_STUDENT_NUMBER, {"nsn_hash": number_hash, "name": name})

    def _fetch(self, statement, params: dict) -> list[NationalRecord]:
        with self._engine.connect() as conn:
            rows = conn.execute(statement, params).all()
        return [NationalRecord(*row[:-1], utc(row[-1])) for row in rows]

    def close(self) -> None:
        pass
