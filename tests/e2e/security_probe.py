"""How the security matrix calls an RPC and proves that a refused call changed nothing.

`Probe.call` sends a request (a message, or a list of messages for a client-streaming RPC) to the
server of a service and answers the status code. `Probe.fingerprint` is a database's state in one
round trip: per table its row count and the newest row version (PostgreSQL's `xmin`, the id of the
transaction that wrote the row), so any insert, update or delete changes it. The matrix waits for
the whole cluster to be quiet first (no event in flight), then compares each database before and
after every refused call."""

from __future__ import annotations

import time
from collections import OrderedDict

import grpc
from sqlalchemy import create_engine, text
from sqlalchemy.exc import OperationalError
from sqlalchemy.pool import NullPool

from xueji_common.auth import Role
from xueji_common.grpcserver.client import bearer

PROVINCE_SERVICES = ("registration", "review", "dedup", "special-ed", "accounts")
KEEP_OPEN = 3
_TABLES = (
    "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' "
    "AND table_type = 'BASE TABLE' AND table_name <> 'alembic_version' ORDER BY 1"
)
_ROWS = "SELECT '{table}', count(*), coalesce(max(xmin::text::bigint), 0) FROM \"{table}\""


def server_of(service: str, province: str) -> str:
    """The cluster process answering `service` for a unit of `province` ("zj" / "js")."""
    return f"{province}-{service}" if service in PROVINCE_SERVICES else service


class Probe:
    def __init__(self, cluster) -> None:
        self.cluster = cluster
        self._channels: dict[str, grpc.Channel] = {}
        self._engines: dict[str, object] = {}  # database → engine (no pool)
        self._open: OrderedDict[str, object] = OrderedDict()  # database → connection, oldest first
        self._tables: dict[str, list[str]] = {}
        self._tokens: dict[tuple, list] = {}

    def metadata(self, role: Role, unit) -> list:
        """A token of `role` at `unit` (any JSON value: the claim-shape cells send lists and nulls)."""
        key = (role, repr(unit))
        if key not in self._tokens:
            self._tokens[key] = bearer(self.cluster.token(role, unit, f"matrix-{role.value}-{unit}"))
        return self._tokens[key]

    def channel(self, server: str) -> grpc.Channel:
        if server not in self._channels:
            self._channels[server] = grpc.insecure_channel(self.cluster.address(server))
        return self._channels[server]

    def call(self, server: str, path: str, request, metadata, streaming: bool = False, replies: bool = False):
        """(status code, response bytes or None) of one call (a server-streaming answer joined)."""
        channel = self.channel(server)
        make = channel.unary_stream if replies else channel.stream_unary if streaming else channel.unary_unary
        rpc = make(
            path, request_serializer=lambda m: m.SerializeToString(), response_deserializer=lambda b: b
        )
        try:
            if replies:
                return grpc.StatusCode.OK, b"".join(rpc(request, metadata=metadata, timeout=20))
            return grpc.StatusCode.OK, rpc(
                iter(request) if streaming else request, metadata=metadata, timeout=20
            )
        except grpc.RpcError as exc:
            return exc.code(), exc.details()

    # -- "changes nothing" ----------------------------------------------------------------------

    def _connection(self, db: str):
        """A connection to `db`, kept open; at most KEEP_OPEN at a time (the PostgreSQL of the
        machine is shared: its connections are counted)."""
        conn = self._open.pop(db, None) or self._connect(db)
        self._open[db] = conn
        while len(self._open) > KEEP_OPEN:
            self._open.popitem(last=False)[1].close()
        return conn

    def _connect(self, db: str):
        if db not in self._engines:
            self._engines[db] = create_engine(
                self.cluster.db[db], poolclass=NullPool, isolation_level="AUTOCOMMIT"
            )
        engine = self._engines[db]
        for attempt in range(20):
            try:
                conn = engine.connect()
                break
            except OperationalError as exc:  # "too many clients already": others' connections end soon
                if "too many clients" not in str(exc) or attempt == 19:
                    raise
                time.sleep(0.5)
        if db not in self._tables:
            self._tables[db] = conn.execute(text(_TABLES)).scalars().all()
        return conn

    def fingerprint(self, db: str) -> tuple:
        conn = self._connection(db)
        query = " UNION ALL ".join(_ROWS.format(table=t) for t in self._tables[db])
        return tuple(sorted(tuple(row) for row in conn.execute(text(query))))

    def wait_quiet(self, dbs: list[str], quiet_for: float = 1.5, timeout: float = 60.0) -> None:
        """Until no database of `dbs` changed for `quiet_for` seconds (the events of the setup done)."""
        deadline = time.monotonic() + timeout
        last = {db: self.fingerprint(db) for db in dbs}
        since = time.monotonic()
        while time.monotonic() - since < quiet_for:
            if time.monotonic() > deadline:
                raise AssertionError(f"the cluster did not settle within {timeout} s")
            time.sleep(0.3)
            now = {db: self.fingerprint(db) for db in dbs}
            if now != last:
                last, since = now, time.monotonic()

    def close(self) -> None:
        for channel in self._channels.values():
            channel.close()
        for conn in self._open.values():
            conn.close()
        self._open.clear()
