"""Fresh PostgreSQL databases and RabbitMQ vhosts for integration and end-to-end tests.

Addresses come from XUEJI_TEST_PG (default postgresql+psycopg://postgres@127.0.0.1:5432) and
XUEJI_TEST_AMQP_HOST (default guest:guest@127.0.0.1:5672). `.ci/run` starts both servers.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
import uuid
from collections.abc import Callable

from xueji_common.db.engine import drop_database, ensure_database

PG_BASE = os.environ.get("XUEJI_TEST_PG", "postgresql+psycopg://postgres@127.0.0.1:5432")
AMQP_HOST = os.environ.get("XUEJI_TEST_AMQP_HOST", "guest:guest@127.0.0.1:5672")


class InfraUnavailable(RuntimeError):
    pass


def reachable(host: str, port: int, timeout: float = 1.0) -> bool:
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


def check_postgres() -> None:
    if not reachable("127.0.0.1", 5432):
        raise InfraUnavailable("PostgreSQL is not listening on 127.0.0.1:5432 (.ci/run starts it)")


def check_rabbitmq() -> None:
    if not reachable("127.0.0.1", 5672):
        raise InfraUnavailable("RabbitMQ is not listening on 127.0.0.1:5672 (.ci/run starts it)")


def new_database(prefix: str = "xueji_test") -> str:
    """Create an empty PostgreSQL database; returns its SQLAlchemy URL."""
    url = f"{PG_BASE}/{prefix}_{uuid.uuid4().hex[:10]}"
    ensure_database(url)
    return url


def drop(url: str) -> None:
    drop_database(url)


def _rabbitmqctl(*args: str) -> None:
    ctl = shutil.which("rabbitmqctl")
    if ctl is None:
        raise InfraUnavailable("rabbitmqctl not found: cannot make a test vhost")
    subprocess.run([ctl, "-q", *args], check=True, capture_output=True, timeout=60)


def new_vhost() -> tuple[str, str]:
    """Create a RabbitMQ vhost for one test; returns (vhost, AMQP URI)."""
    vhost = f"xueji-test-{uuid.uuid4().hex[:10]}"
    _rabbitmqctl("add_vhost", vhost)
    _rabbitmqctl("set_permissions", "-p", vhost, "guest", ".*", ".*", ".*")
    return vhost, f"amqp://{AMQP_HOST}/{vhost}"


def delete_vhost(vhost: str) -> None:
    _rabbitmqctl("delete_vhost", vhost)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_serving(address: str, check_alive: Callable[[], None], timeout: float) -> bool:
    """Poll a gRPC server's health until it is SERVING (True) or `timeout` passes (False).

    `check_alive` runs before every poll and raises when the server's process has exited, so that a
    crash is reported at once with the caller's own message instead of after the timeout.
    """
    import grpc
    from grpc_health.v1 import health_pb2, health_pb2_grpc

    deadline = time.monotonic() + timeout
    with grpc.insecure_channel(address) as channel:
        stub = health_pb2_grpc.HealthStub(channel)
        while time.monotonic() < deadline:
            check_alive()
            try:
                if (
                    stub.Check(health_pb2.HealthCheckRequest(), timeout=1).status
                    == health_pb2.HealthCheckResponse.SERVING
                ):
                    return True
            except grpc.RpcError:
                pass
            time.sleep(0.1)
    return False
