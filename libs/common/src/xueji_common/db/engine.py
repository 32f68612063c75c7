"""Engines for PostgreSQL (production) and SQLite (embedded), and creating a service's database."""

from __future__ import annotations

import datetime as dt
import sqlite3
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, event, exc, text
from sqlalchemy.engine import Engine, make_url

# A pooled connection older than this is replaced at checkout (no round trip): a connection a
# firewall or proxy dropped silently, without the server closing it, is not kept for ever.
POOL_RECYCLE_SECONDS = 1800


def make_engine(url: str, *, pool_size: int = 10) -> Engine:
    """No pre-ping (issue 16 step 4): `pool_pre_ping` cost a round trip (SELECT 1) on every checkout,
    i.e. every transaction of every hot path (~10 % of a handler's time, measured). Instead each
    checkout asks libpq, without a round trip, whether the server closed the connection meanwhile
    (`_closed_by_server`: a restarted or stopped database closes every backend's socket), and takes a
    fresh one if so; so the first request after a database restart does not fail. A connection that
    breaks while in use fails its statement as before: SQLAlchemy then discards the whole pool, and
    the caller retries (events are delivered again, the relay retries its rows)."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        # hide_parameters: a statement's values (names, document numbers) never reach an exception's
        # text, hence never a logged traceback.
        engine = create_engine(
            url, connect_args={"check_same_thread": False, "timeout": 30}, hide_parameters=True
        )
        event.listen(engine, "connect", _sqlite_pragmas)
        # pysqlite's own BEGIN handling defers locks; emit BEGIN ourselves so that a transaction
        # holds its lock from its first statement (documented SQLAlchemy recipe).
        event.listen(engine, "begin", lambda conn: conn.exec_driver_sql("BEGIN IMMEDIATE"))
        return engine
    engine = create_engine(
        url,
        pool_size=pool_size,
        max_overflow=pool_size,
        pool_recycle=POOL_RECYCLE_SECONDS,
        hide_parameters=True,
    )
    event.listen(engine, "checkout", _refuse_closed_by_server)
    return engine


def _refuse_closed_by_server(dbapi_connection: Any, _record: object, _proxy: object) -> None:
    """Pool checkout: a connection the server closed is replaced (DisconnectionError makes the pool
    discard it and connect again, up to three times: SQLAlchemy's documented recipe)."""
    if _closed_by_server(dbapi_connection):
        raise exc.DisconnectionError("the database server closed this pooled connection")


def _closed_by_server(dbapi_connection: Any) -> bool:
    """Whether an idle psycopg 3 connection is dead, without a round trip: libpq reads what the
    server sent meanwhile (nothing, on a live idle connection: the non-blocking read returns at
    once). A restarted server's FATAL message and end of stream leave it BAD or failing to read.
    A C call, not a Python socket: safe on the worker's real threads under eventlet. (Any: the
    DBAPI connection of whichever driver the URL names.)"""
    pgconn = getattr(dbapi_connection, "pgconn", None)
    if pgconn is None:  # not psycopg 3: nothing to ask
        return False
    if dbapi_connection.closed or dbapi_connection.broken:
        return True
    try:
        # Twice: one read returns what the server sent (a terminated backend's FATAL message) and
        # only the next meets the end of the stream behind it (measured with pg_terminate_backend).
        pgconn.consume_input()
        pgconn.consume_input()
    except Exception:  # psycopg.OperationalError: end of stream, connection reset
        return True
    return bool(pgconn.status != 0)  # ConnStatus.OK


def _sqlite_pragmas(dbapi_connection: sqlite3.Connection, _record: object) -> None:
    dbapi_connection.isolation_level = None  # let the "begin" listener issue BEGIN
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


def ensure_database(url: str) -> None:
    """Create the PostgreSQL database named in the URL when it does not exist (no-op for SQLite)."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "postgresql":
        return
    admin = create_engine(parsed.set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            exists = conn.execute(
                text("SELECT 1 FROM pg_database WHERE datname = :name"), {"name": parsed.database}
            ).first()
            if not exists:
                conn.execute(text(f'CREATE DATABASE "{parsed.database}"'))
    finally:
        admin.dispose()


def drop_database(url: str) -> None:
    """Drop a PostgreSQL database (tests and the e2e launcher); deletes a SQLite file."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            for suffix in ("", "-wal", "-shm"):
                Path(parsed.database + suffix).unlink(missing_ok=True)
        return
    admin = create_engine(parsed.set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{parsed.database}" WITH (FORCE)'))
    finally:
        admin.dispose()


def utc(value: dt.datetime | None) -> dt.datetime | None:
    """SQLite returns naive timestamps (stored as UTC), PostgreSQL aware ones: make both aware."""
    if value is None or value.tzinfo is not None:
        return value
    return value.replace(tzinfo=dt.UTC)


def now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)
