"""The connections of system lookups, tuned for their rate (PostgreSQL; SQLite shares the runtime's).

A lookup is one indexed read plus its share of a grouped audit insert, so round trips dominate its
cost: these connections skip the pool's liveness ping (after a database restart a dead connection
fails one lookup and is replaced) and commit without waiting for the WAL flush (synchronous_commit
off, which only the grouped audit rows use; reads run in autocommit).
"""
from __future__ import annotations

from sqlalchemy import create_engine
from sqlalchemy.engine import Engine, make_url


def lookup_engine(runtime) -> Engine:
    if make_url(runtime.database_url).get_backend_name() != "postgresql":
        return runtime.engine
    workers = runtime.settings.grpc_workers
    return create_engine(runtime.database_url, pool_size=workers, max_overflow=workers, pool_pre_ping=False,
                         connect_args={"options": "-c synchronous_commit=off"})
