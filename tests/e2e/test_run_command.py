"""The README's first command, as a user runs it: `scripts/run` starts the embedded system."""

from __future__ import annotations

import ipaddress
import os
import signal
import subprocess
import time
import urllib.request
from pathlib import Path

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha.proto_reflection_descriptor_database import ProtoReflectionDescriptorDatabase

from xueji_common.testing.infra import free_port

REPO = Path(__file__).resolve().parents[2]
SERVICES = {
    "Registrations",
    "PreschoolTransfers",
    "Dedup",
    "ProblemRecords",
    "Reviews",
    "Reports",
    "NationalQuery",
    "PreschoolRecords",
    "SpecialEd",
    "Accounts",
}


def listening_addresses(port: int) -> set[str]:
    """The local addresses of the sockets listening on TCP `port` (Linux /proc/net/tcp, tcp6)."""
    found = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            local, state = line.split()[1], line.split()[3]
            address, _, hex_port = local.partition(":")
            if state == "0A" and int(hex_port, 16) == port:
                raw = bytes.fromhex(address)
                # /proc prints each 32-bit word little-endian
                words = b"".join(raw[i : i + 4][::-1] for i in range(0, len(raw), 4))
                found.add(str(ipaddress.ip_address(words)))
    return found


def test_scripts_run_serves_every_service_and_stops_cleanly(tmp_path):
    grpc_port, metrics_port, console_port = free_port(), free_port(), free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("XUEJI_")}
    env.update(
        XUEJI_DATA_DIR=str(tmp_path / "data"),
        XUEJI_GRPC_ADDRESS=f"127.0.0.1:{grpc_port}",
        XUEJI_METRICS_PORT=str(metrics_port),
        XUEJI_CONSOLE_PORT=str(console_port),
    )
    log = (tmp_path / "run.log").open("w")
    process = subprocess.Popen(
        [str(REPO / "scripts" / "run")], cwd=tmp_path, env=env, stdout=log, stderr=subprocess.STDOUT
    )
    try:
        with grpc.insecure_channel(f"127.0.0.1:{grpc_port}") as channel:
            health = health_pb2_grpc.HealthStub(channel)
            deadline = time.monotonic() + 60
            while True:
                try:
                    if health.Check(health_pb2.HealthCheckRequest(), timeout=1).status == 1:
                        break
                except grpc.RpcError:
                    pass
                assert time.monotonic() < deadline, (tmp_path / "run.log").read_text()
                assert process.poll() is None, (tmp_path / "run.log").read_text()
                time.sleep(0.3)
            names = ProtoReflectionDescriptorDatabase(channel).get_services()
            assert {f"xueji.v1.{s}" for s in SERVICES} <= set(names)
            for name in names:
                if name.startswith("xueji.v1."):
                    assert health.Check(health_pb2.HealthCheckRequest(service=name)).status == 1
        metrics = (
            urllib.request.urlopen(f"http://127.0.0.1:{metrics_port}/metrics", timeout=5).read().decode()
        )
        assert 'xueji_grpc_server_handled_total{grpc_code="OK",grpc_method="Check"' in metrics
        # gRPC listens on 127.0.0.1 here: so does /metrics (it once listened on every interface)
        assert listening_addresses(metrics_port) == {"127.0.0.1"}
        # every province of the demo tree with its own databases, the nation's apart (issue 12 §7)
        data = tmp_path / "data"
        assert sorted(str(p.relative_to(data)) for p in data.rglob("*.db")) == sorted(
            [
                "accounts.db",
                "nation/dedup.db",
                "nation/national-query.db",
                *(
                    f"{p}/{s}.db"
                    for p in ("js", "zj")
                    for s in ("dedup", "registration", "review", "special-ed")
                ),
            ]
        )
        banner = (tmp_path / "run.log").read_text()
        assert "xueji token --role" in banner and "xueji call" in banner and "xueji login" in banner
        assert_the_printed_administrator_can_sign_in(banner, f"127.0.0.1:{grpc_port}")
        assert_the_console_serves_its_sign_in_page(banner, console_port)
    finally:
        process.send_signal(signal.SIGTERM)
        code = process.wait(timeout=30)
        log.close()
    assert code == 0, (tmp_path / "run.log").read_text()


def assert_the_console_serves_its_sign_in_page(banner: str, port: int) -> None:
    """The banner ends with the console's address (README: "open http://localhost:8080")."""
    # log lines (JSON, on the same stream here) may interleave with the banner: only its own lines count
    printed = [line for line in banner.strip().splitlines() if not line.startswith("{")]
    assert printed[-1] == f"open http://localhost:{port}"
    assert "reset-password registrar-1330102001" in banner
    deadline = time.monotonic() + 30
    while True:
        try:
            page = urllib.request.urlopen(f"http://127.0.0.1:{port}/signin", timeout=5)
            break
        except OSError:
            assert time.monotonic() < deadline, "the console did not answer"
            time.sleep(0.3)
    assert page.status == 200 and "用户登录" in page.read().decode()
    assert "frame-ancestors 'none'" in page.headers["content-security-policy"]


def assert_the_printed_administrator_can_sign_in(banner: str, address: str) -> None:
    """The demo administrator's password is printed once; with it the first sign-in asks for a new one."""
    import re

    from xueji.v1 import accounts_pb2, accounts_pb2_grpc, common_pb2

    password = re.search(r"administrator: admin\s+password: (\S+)", banner).group(1)
    assert "registrar-1330102001" in banner and "leader-1330102001" in banner and "admin-330000" in banner
    with grpc.insecure_channel(address) as channel:
        stub = accounts_pb2_grpc.AccountsStub(channel)
        try:
            stub.SignIn(accounts_pb2.SignInRequest(login_name="admin", password=password), timeout=30)
            raise AssertionError("the first sign-in must ask for a new password")
        except grpc.RpcError as exc:
            assert exc.code() == grpc.StatusCode.FAILED_PRECONDITION, exc.details()
        stub.ChangePassword(
            accounts_pb2.ChangePasswordRequest(
                login_name="admin", current_password=password, new_password="Demo-Chief.2026x"
            ),
            timeout=30,
        )
        pair = stub.SignIn(
            accounts_pb2.SignInRequest(login_name="admin", password="Demo-Chief.2026x"), timeout=30
        )
        assert pair.user.role == common_pb2.ROLE_USER_ADMIN
