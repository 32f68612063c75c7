"""Readiness and liveness of a gRPC server over a real socket, and the dependency checks against the
real PostgreSQL and RabbitMQ (reachable) and closed ports (unreachable). A database or broker that
goes away and comes back is tested end to end with private servers (tests/e2e/test_faults.py)."""

from __future__ import annotations

import threading
import time
import urllib.error
import urllib.request

import grpc
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc

from xueji.v1 import special_ed_pb2, special_ed_pb2_grpc
from xueji_common.auth import Role
from xueji_common.grpcserver.client import bearer
from xueji_common.grpcserver.server import GrpcBinding, GrpcServer
from xueji_common.metrics import serve_metrics
from xueji_common.runtime import health
from xueji_common.testing.infra import free_port
from xueji_common.testing.issuer import TestIssuer

SERVING, NOT_SERVING = health_pb2.HealthCheckResponse.SERVING, health_pb2.HealthCheckResponse.NOT_SERVING


class Answering(special_ed_pb2_grpc.SpecialEdServicer):
    def GetSpecialEdInfo(self, request, context):
        time.sleep(0.05)
        return special_ed_pb2.SpecialEdInfo()


@pytest.fixture
def server():
    tokens = TestIssuer().token_service()
    address = f"127.0.0.1:{free_port()}"
    srv = GrpcServer(
        [GrpcBinding("xueji.v1.SpecialEd", special_ed_pb2_grpc.add_SpecialEdServicer_to_server, Answering())],
        address,
        tokens,
        readiness_names=("special-ed",),
    )
    srv.start()
    srv.metadata = bearer(tokens.mint("u", Role.SYSTEM, "000000"))
    yield srv
    srv.stop(grace=0)


def status(address: str, name: str) -> int:
    with grpc.insecure_channel(address) as channel:
        return (
            health_pb2_grpc.HealthStub(channel)
            .Check(health_pb2.HealthCheckRequest(service=name), timeout=2)
            .status
        )


def test_readiness_names_follow_the_dependencies_and_liveness_does_not(server):
    names = ["special-ed", "xueji.v1.SpecialEd"]
    assert [status(server.address, n) for n in ["", *names]] == [SERVING] * 3
    server.set_ready(False)
    assert status(server.address, "") == SERVING  # liveness: the process serves
    assert [status(server.address, n) for n in names] == [NOT_SERVING] * 2
    server.set_ready(True)
    assert [status(server.address, n) for n in names] == [SERVING] * 2


def test_a_stopping_server_is_not_ready_but_still_answers_calls_while_it_drains(server):
    stopper = threading.Thread(target=server.stop, kwargs={"grace": 2, "drain": 1.5})
    stopper.start()
    time.sleep(0.3)
    assert status(server.address, "special-ed") == NOT_SERVING
    server.set_ready(True)  # a late dependency check
    assert status(server.address, "special-ed") == NOT_SERVING  # cannot undo the shutdown
    with grpc.insecure_channel(server.address) as channel:
        stub = special_ed_pb2_grpc.SpecialEdStub(channel)
        stub.GetSpecialEdInfo(
            special_ed_pb2.GetSpecialEdInfoRequest(), metadata=server.metadata, timeout=2
        )  # still served
    stopper.join(10)
    with pytest.raises(grpc.RpcError):
        status(server.address, "")


def test_dependency_checks_pass_on_the_real_servers_and_fail_on_closed_ports(pg_database, amqp_uri):
    changes = []
    up = health.DependencyMonitor([health.database(pg_database()), health.broker(amqp_uri)], changes.append)
    assert up.check_now() and up.failing == {}
    up.stop()
    closed = free_port()
    down = health.DependencyMonitor(
        [
            health.database(f"postgresql+psycopg://postgres@127.0.0.1:{closed}/x"),
            health.broker(f"amqp://guest:guest@127.0.0.1:{closed}/"),
        ],
        changes.append,
    )
    assert not down.check_now()
    assert set(down.failing) == {"database", "broker"}
    down.stop()
    assert changes == [True, False]


def test_the_monitor_reports_a_change_once_not_on_every_check():
    calls, state = [], {"ok": True}

    def check():
        if not state["ok"]:
            raise ConnectionError("refused")

    monitor = health.DependencyMonitor([health.Dependency("database", check)], calls.append)
    monitor.check_now(), monitor.check_now()
    state["ok"] = False
    monitor.check_now(), monitor.check_now()
    state["ok"] = True
    monitor.check_now()
    assert calls == [True, False, True]
    assert monitor.failing == {}


def test_healthz_answers_503_with_the_detail_when_the_health_callable_says_so():
    port, state = free_port(), {"ok": True}
    serve_metrics(port, health=lambda: (state["ok"], {"alive": state["ok"]}))
    url = f"http://127.0.0.1:{port}"
    assert urllib.request.urlopen(f"{url}/healthz", timeout=5).read() == b'{"alive": true}'
    state["ok"] = False
    with pytest.raises(urllib.error.HTTPError) as err:
        urllib.request.urlopen(f"{url}/healthz", timeout=5)
    assert err.value.code == 503 and err.value.read() == b'{"alive": false}'
    assert b"xueji_grpc_server_started_total" in urllib.request.urlopen(f"{url}/metrics", timeout=5).read()
