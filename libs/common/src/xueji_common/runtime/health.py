"""Readiness from what a process needs to do its work: its database and its broker.

A `DependencyMonitor` checks each dependency on its own thread every few seconds and reports a
change (all reachable / not) to a callback: the gRPC server turns its readiness names NOT_SERVING
while the database or RabbitMQ is unreachable, so that load balancers send no calls that could only
fail, and SERVING again once they are back. Liveness is not this: a process restarted because its
database is down comes back to the same database (deploy/OPERATIONS.md, "Health and rolling updates").

Each check opens its own connection (not one of the service's pool, which a busy server may have
exhausted: a full pool is load, not an outage) with a short timeout.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.pool import NullPool

log = logging.getLogger(__name__)

CHECK_TIMEOUT = 3  # seconds to connect or answer before a dependency counts as unreachable


@dataclass(frozen=True)
class Dependency:
    name: str  # "database", "broker": in logs and in the health detail
    check: Callable[[], None]  # returns when reachable, raises when not
    close: Callable[[], None] = lambda: None


def database(url: str) -> Dependency:
    """`SELECT 1` over a fresh connection (SQLite: always reachable, it is a file)."""
    if make_url(url).get_backend_name() != "postgresql":
        return Dependency("database", lambda: None)
    engine = create_engine(
        url,
        poolclass=NullPool,
        connect_args={
            "connect_timeout": CHECK_TIMEOUT,
            "options": f"-c statement_timeout={CHECK_TIMEOUT * 1000}",
        },
    )

    def check() -> None:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))

    return Dependency("database", check, engine.dispose)


def broker(amqp_uri: str) -> Dependency:
    """A passive declare of a built-in exchange over one kept connection, reopened when it broke."""
    from kombu import Connection

    state: dict = {"conn": None}

    def drop() -> None:
        conn, state["conn"] = state["conn"], None
        if conn is not None:
            try:
                conn.release()
            except Exception:
                pass

    def check() -> None:
        try:
            if state["conn"] is None:
                state["conn"] = Connection(amqp_uri, connect_timeout=CHECK_TIMEOUT)
                state["conn"].connect()
            state["conn"].default_channel.exchange_declare("amq.direct", "direct", durable=True, passive=True)
        except Exception:
            drop()
            raise

    return Dependency("broker", check, drop)


class DependencyMonitor:
    """Checks the dependencies every `interval` seconds; `on_change(ready)` on every change."""

    def __init__(
        self,
        dependencies: list[Dependency],
        on_change: Callable[[bool], None],
        *,
        interval: float = 5.0,
        name: str = "",
    ) -> None:
        self.dependencies = dependencies
        self.on_change = on_change
        self.interval = interval
        self.name = name
        self.failing: dict[str, str] = {}  # dependency → why, for logs and tests
        self.ready: bool | None = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def check_now(self) -> bool:
        failing = {}
        for dep in self.dependencies:
            try:
                dep.check()
            except Exception as exc:
                failing[dep.name] = f"{type(exc).__name__}: {str(exc)[:200]}"
        ready = not failing
        if ready != self.ready:
            fields = {"service": self.name, "ready": ready, "failing": failing}
            (log.info if ready else log.warning)("readiness changed", extra={"fields": fields})
            self.on_change(ready)
        self.ready, self.failing = ready, failing
        return ready

    def start(self) -> None:
        """One check now (the server starts with the truth), then on a daemon thread."""
        self.check_now()
        self._thread = threading.Thread(target=self._loop, name="dependency-monitor", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(CHECK_TIMEOUT * len(self.dependencies) + 1)
        for dep in self.dependencies:
            dep.close()

    def _loop(self) -> None:
        while not self._stop.wait(self.interval):
            self.check_now()
