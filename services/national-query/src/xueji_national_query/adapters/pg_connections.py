"""libpq connections for the lookup's hot path (PostgreSQL only), one blocking call per query.

A system lookup is one indexed read, so what surrounds the query costs more than the query: an ORM
session, a pool checkout with its liveness ping and reset-on-return rollback, compiling and
planning the statement, and psycopg's generator-driven execution, which hands the GIL back and
forth several times per query (costly when gRPC worker threads compete for it). These connections
are psycopg's libpq wrapper (psycopg.pq) used directly: each prepares its statements once when it
opens, and a query is one PQexecPrepared, which releases the GIL once while the server answers.
Sessions are autocommit (libpq's default), with fixed text formats (ISO dates, UTC times, UTF-8),
and plan each prepared statement once (generic plans: no planning per query).
"""

from __future__ import annotations

import threading
from collections.abc import Mapping

from psycopg import OperationalError, pq
from psycopg.conninfo import make_conninfo
from sqlalchemy.engine import make_url

SESSION = "-c DateStyle=ISO -c TimeZone=UTC -c client_encoding=UTF8 -c plan_cache_mode=force_generic_plan"


class QueryFailed(RuntimeError):
    pass


def conninfo(database_url: str, **options: str) -> str:
    """The libpq connection string of a SQLAlchemy URL (postgresql+psycopg://...)."""
    uri = make_url(database_url).set(drivername="postgresql").render_as_string(hide_password=False)
    return make_conninfo(uri, **options)


class PreparedConnections:
    """Idle connections, last in first out (one per concurrent caller at most). A connection found
    broken (e.g. the database restarted) is dropped and the query tried once more on a new one."""

    def __init__(self, database_url: str, statements: Mapping[bytes, bytes], max_idle: int = 32) -> None:
        self._conninfo = conninfo(database_url, options=SESSION).encode()
        self._statements = dict(statements)
        self._max_idle = max_idle
        self._idle: list[pq.PGconn] = []
        self._lock = threading.Lock()

    def query(self, statement: bytes, params: list[bytes]) -> pq.PGresult:
        # Hand-written, not tenacity: tenacity adds ~35 us of CPU to every successful call
        # (bench/retry_overhead.py, 7 December), ~7 % of LookupStudent's 486 us per call, a figure
        # already short of its target (bench/README.md, national-query).
        for attempt in (1, 2):
            conn = self._take()
            result = conn.exec_prepared(statement, params)
            if result.status == pq.ExecStatus.TUPLES_OK:
                self._give_back(conn)
                return result
            broken = conn.status != pq.ConnStatus.OK
            message = (result.error_message or conn.error_message).decode(errors="replace")
            conn.finish()
            if not broken:
                raise QueryFailed(message)
            if attempt == 2:
                raise OperationalError(message)
        raise AssertionError("unreachable")

    def _take(self) -> pq.PGconn:
        try:
            return self._idle.pop()  # atomic under the GIL
        except IndexError:
            return self._connect()

    def _give_back(self, conn: pq.PGconn) -> None:
        if len(self._idle) < self._max_idle:
            self._idle.append(conn)
        else:
            conn.finish()

    def _connect(self) -> pq.PGconn:
        conn = pq.PGconn.connect(self._conninfo)
        if conn.status != pq.ConnStatus.OK:
            message = conn.error_message.decode(errors="replace")
            conn.finish()
            raise OperationalError(message)
        for name, sql in self._statements.items():
            result = conn.prepare(name, sql)
            if result.status != pq.ExecStatus.COMMAND_OK:
                conn.finish()
                raise QueryFailed(result.error_message.decode(errors="replace"))
        return conn

    def close(self) -> None:
        with self._lock:
            idle, self._idle = self._idle, []
        for conn in idle:
            conn.finish()
