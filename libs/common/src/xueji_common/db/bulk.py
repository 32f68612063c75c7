"""Storing many rows at once inside a session's transaction: COPY on PostgreSQL, executemany elsewhere.

`insert_rows(session, table, rows)` takes the same dicts as `session.execute(insert(table), rows)`
and stores the same values: JSON columns are serialised as SQLAlchemy does (None becomes JSON null,
not SQL NULL), and columns a dict leaves out get their Python-side scalar default. On PostgreSQL the
rows travel with one COPY, several times faster than a multi-row INSERT for wide rows (no SQL text
to build, no parameter processing per value), and in the session's own transaction.
"""
from __future__ import annotations

import json
from collections.abc import Iterable, Sequence

from sqlalchemy import JSON, Table, insert
from sqlalchemy.orm import Session


def insert_rows(session: Session, table: Table, rows: Sequence[dict]) -> None:
    if not rows:
        return
    if session.get_bind().dialect.name != "postgresql":
        session.execute(insert(table), list(rows))
        return
    columns = _copied_columns(table, rows[0])
    copy_tuples(session, table, [c.name for c in columns], _values(columns, rows))


def copy_tuples(session: Session, table: Table, names: Sequence[str], rows: Iterable[tuple]) -> None:
    """PostgreSQL only: COPY ready tuples (values in `names` order, JSON already serialised)."""
    raw = session.connection().connection.driver_connection
    statement = f"COPY {table.name} ({', '.join(names)}) FROM STDIN"
    with raw.cursor() as cursor, cursor.copy(statement) as copy:
        for row in rows:
            copy.write_row(row)


def _copied_columns(table: Table, sample: dict) -> list:
    """The columns a row gives, plus those with a scalar Python default (as an INSERT would fill)."""
    return [c for c in table.columns
            if c.name in sample or (c.default is not None and c.default.is_scalar)]


def _values(columns: list, rows: Sequence[dict]) -> Iterable[list]:
    names = [c.name for c in columns]
    defaults = {c.name: c.default.arg for c in columns if c.default is not None and c.default.is_scalar}
    json_at = [i for i, c in enumerate(columns) if isinstance(c.type, JSON)]
    for row in rows:
        values = [row[name] if name in row else defaults[name] for name in names]
        for i in json_at:
            value = values[i]
            values[i] = "null" if value is None else json.dumps(value)
        yield values
