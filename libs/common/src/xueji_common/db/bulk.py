"""Storing many rows at once inside a session's transaction: COPY on PostgreSQL, executemany elsewhere.

`insert_rows(session, table, rows)` takes the same dicts as `session.execute(insert(table), rows)`
and stores the same values: JSON columns are serialised as SQLAlchemy does (None becomes JSON null,
not SQL NULL), and columns a dict leaves out get their Python-side scalar default. On PostgreSQL the
rows travel with one COPY, several times faster than a multi-row INSERT for wide rows (no SQL text
to build, no parameter processing per value), and in the session's own transaction.

`insert_shared(session, table, shared, names, rows)` stores rows that have most of their values in
common (a batch's school, state, time...): `shared` is those values once, each row a tuple of its own
values in `names` order. The same values as `insert_rows` with the merged dicts; on PostgreSQL the
shared values are converted once and each row is its own tuple plus theirs.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    DateTime,
    Enum,
    Integer,
    LargeBinary,
    SmallInteger,
    String,
    Table,
    insert,
)
from sqlalchemy.engine import Connection, Dialect
from sqlalchemy.orm import Session
from sqlalchemy.sql.schema import Column, ScalarElementColumnDefault

from xueji_common.db.encrypted import EncryptedJSON, bind_value, is_encrypted_column


def insert_rows(session: Session, table: Table, rows: Sequence[Mapping[str, Any]]) -> None:
    if not rows:
        return
    if session.get_bind().dialect.name != "postgresql":
        session.execute(insert(table), list(rows))
        return
    columns = _copied_columns(table, rows[0])
    dialect = session.get_bind().dialect
    copy_tuples(session, table, [c.name for c in columns], _values(columns, rows, dialect))


def insert_shared(
    session: Session,
    table: Table,
    shared: Mapping[str, Any],
    names: Sequence[str],
    rows: Sequence[tuple[Any, ...]],
) -> None:
    if not rows:
        return
    if session.get_bind().dialect.name != "postgresql":
        session.execute(insert(table), [{**shared, **dict(zip(names, row))} for row in rows])
        return
    own = set(names)
    rest = [c for c in _copied_columns(table, shared) if c.name not in own]
    dialect = session.get_bind().dialect
    [fixed] = _values(rest, [shared], dialect)
    json_at = [i for i, name in enumerate(names) if _is_json(table.c[name])]
    encrypted = [(i, table.c[name]) for i, name in enumerate(names) if is_encrypted_column(table.c[name])]
    copy_tuples(
        session,
        table,
        [*names, *(c.name for c in rest)],
        _joined(rows, tuple(fixed), json_at, encrypted, dialect),
    )


def _is_json(column: Column[Any]) -> bool:
    return isinstance(column.type, (JSON, EncryptedJSON))


def _joined(
    rows: Sequence[tuple[Any, ...]],
    fixed: tuple[Any, ...],
    json_at: list[int],
    encrypted: list[tuple[int, Column[Any]]],
    dialect: Dialect,
) -> Iterable[Sequence[Any]]:
    if not json_at and not encrypted:
        for row in rows:
            yield row + fixed
        return
    dumps = json.dumps
    for row in rows:
        values = list(row)
        for i, column in encrypted:  # ciphertext, as an INSERT would store (db.encrypted)
            values[i] = bind_value(column, values[i], dialect)
        for i in json_at:
            value = values[i]
            values[i] = "null" if value is None else dumps(value)
        values.extend(fixed)
        yield values


def copy_tuples(session: Session, table: Table, names: Sequence[str], rows: Iterable[Sequence[Any]]) -> None:
    """PostgreSQL only: COPY ready tuples (values in `names` order, JSON already serialised).

    Rows with binary data (an outbox's envelopes) travel in COPY's binary format: in the text format
    every byte would be written as two hex digits and read back by the server."""
    raw = session.connection().connection.driver_connection
    if raw is None:  # a session's live connection always has its driver's
        raise RuntimeError("COPY needs the session's psycopg connection")
    types = _binary_types([table.c[name] for name in names])
    statement = f"COPY {table.name} ({', '.join(names)}) FROM STDIN" + (" (FORMAT BINARY)" if types else "")
    with raw.cursor() as cursor, cursor.copy(statement) as copy:
        if types:
            copy.set_types(types)
        for row in rows:
            copy.write_row(row)


_BINARY_NAMES = [
    (LargeBinary, "bytea"),
    (BigInteger, "int8"),
    (SmallInteger, "int2"),
    (Integer, "int4"),
    (Boolean, "bool"),
    (Date, "date"),
    (String, "text"),
]


def _binary_types(columns: list[Column[Any]]) -> list[str] | None:
    """The PostgreSQL types to COPY `columns` in the binary format, or None to keep the text format
    (no binary column to gain from, or a type without a plain binary form here: JSON, numeric...)."""
    if not any(isinstance(c.type, LargeBinary) for c in columns):
        return None
    names = []
    for column in columns:
        if isinstance(column.type, DateTime):
            names.append("timestamptz" if column.type.timezone else "timestamp")
            continue
        found = next((name for kind, name in _BINARY_NAMES if isinstance(column.type, kind)), None)
        if found is None or isinstance(column.type, (JSON, Enum)):
            return None
        names.append(found)
    return names


def _copied_columns(table: Table, sample: Mapping[str, Any]) -> list[Column[Any]]:
    """The columns a row gives, plus those with a scalar Python default (as an INSERT would fill)."""
    return [c for c in table.columns if c.name in sample or (c.default is not None and c.default.is_scalar)]


def _values(
    columns: list[Column[Any]], rows: Sequence[Mapping[str, Any]], dialect: Dialect
) -> Iterable[list[Any]]:
    names = [c.name for c in columns]
    # a default with is_scalar set is a ScalarElementColumnDefault
    defaults = {c.name: c.default.arg for c in columns if isinstance(c.default, ScalarElementColumnDefault)}
    json_at = [i for i, c in enumerate(columns) if _is_json(c)]
    encrypted = [(i, c) for i, c in enumerate(columns) if is_encrypted_column(c)]
    for row in rows:
        values = [row[name] if name in row else defaults[name] for name in names]
        for i, column in encrypted:  # ciphertext, as an INSERT would store (db.encrypted)
            values[i] = bind_value(column, values[i], dialect)
        for i in json_at:
            value = values[i]
            values[i] = "null" if value is None else json.dumps(value)
        yield values


def drop_indexes(conn: Connection, table: str = "national_records") -> list[str]:
    """PostgreSQL, for a first bulk load into an empty table (COPY, then each index built once, sorted,
    instead of row by row). Drops every index of the table, those of its primary key and unique
    constraints included; returns the statements that build them again, as they were (constraints first)."""
    constraints = conn.exec_driver_sql(
        "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint "
        f"WHERE conrelid = '{table}'::regclass AND contype IN ('p', 'u') ORDER BY contype, conname"
    ).all()
    indexes = conn.exec_driver_sql(
        "SELECT indexname, indexdef FROM pg_indexes "
        f"WHERE schemaname = current_schema() AND tablename = '{table}' ORDER BY indexname"
    ).all()
    owned = {name for name, _ in constraints}
    for name, _ in indexes:
        if name not in owned:
            conn.exec_driver_sql(f'DROP INDEX "{name}"')
    for name, _ in constraints:
        conn.exec_driver_sql(f'ALTER TABLE {table} DROP CONSTRAINT "{name}"')
    return [
        f'ALTER TABLE {table} ADD CONSTRAINT "{name}" {definition}' for name, definition in constraints
    ] + [definition for name, definition in indexes if name not in owned]
