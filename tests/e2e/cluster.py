"""A launcher of real Xueji processes for end-to-end tests and for developers.

    from tests.e2e.cluster import Cluster
    with Cluster(services=["registration", "review"], workers=["review"]) as c:
        channel = grpc.insecure_channel(c.address("registration"))
        ...
        print(c.logs()["review-worker"])

Each service gets a fresh PostgreSQL database, the cluster one fresh RabbitMQ vhost. Every process
runs in production mode from .venv/bin: `xueji-<svc> migrate` once, then `xueji-<svc> serve` (name
"<svc>") and `xueji-<svc>-worker` (name "<svc>-worker"), logging to <dir>/<name>.log (appended over
restarts). start() returns once a server answers health SERVING, or once a worker's queues have
consumers on the broker.
"""
from __future__ import annotations

import os
import re
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc

from xueji_common.auth import Role, TokenService
from xueji_common.testing import infra

REPO = Path(__file__).resolve().parents[2]
BIN = Path(os.environ.get("XUEJI_VENV", REPO / ".venv")) / "bin"
START_TIMEOUT = 40.0
STOP_TIMEOUT = 15.0


class ClusterError(RuntimeError):
    pass


class Cluster:
    def __init__(self, services=("registration", "review"), workers=("review",), *, env: dict | None = None):
        self.services, self.workers = list(services), list(workers)
        self.dir = Path(tempfile.mkdtemp(prefix="xueji-e2e-"))
        self.token_secret, self.hash_key = secrets.token_hex(24), secrets.token_hex(24)
        self.tokens = TokenService(self.token_secret)
        self._extra_env = dict(env or {})
        self._procs: dict[str, subprocess.Popen] = {}
        self._ports = {svc: infra.free_port() for svc in self.services}
        self.db: dict[str, str] = {}
        self.vhost = None
        try:
            self.vhost, self.amqp_uri = infra.new_vhost()
            for svc in dict.fromkeys(self.services + self.workers):
                self.db[svc] = infra.new_database(f"xueji_e2e_{svc.replace('-', '_')}")
            with ThreadPoolExecutor(8) as pool:
                list(pool.map(self._migrate, self.db))
                list(pool.map(self.start, [*self.services, *(f"{w}-worker" for w in self.workers)]))
        except BaseException:
            self.close(keep_dir=True)
            raise

    # -- what tests use -------------------------------------------------------------------------

    def address(self, svc: str) -> str:
        return f"127.0.0.1:{self._ports[svc]}"

    def token(self, role: Role, org_unit: str, user: str = "e2e-user") -> str:
        return self.tokens.mint(user, role, org_unit)

    def names(self) -> list[str]:
        return [*self.services, *(f"{w}-worker" for w in self.workers)]

    def log_path(self, name: str) -> Path:
        return self.dir / f"{name}.log"

    def logs(self) -> dict[str, str]:
        return {p.stem: p.read_text(errors="replace") for p in sorted(self.dir.glob("*.log"))}

    def running(self, name: str) -> bool:
        proc = self._procs.get(name)
        return proc is not None and proc.poll() is None

    # -- processes ------------------------------------------------------------------------------

    def env(self, svc: str, **overrides: str) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("XUEJI_")}
        env.update(
            PYTHONUNBUFFERED="1",
            XUEJI_MODE="production",
            XUEJI_DATABASE_URL=self.db[svc],
            XUEJI_AMQP_URI=self.amqp_uri,
            XUEJI_TOKEN_SECRET=self.token_secret,
            XUEJI_HASH_KEY=self.hash_key,
            XUEJI_LOG_FORMAT="json",
            XUEJI_METRICS_PORT=str(infra.free_port()),
        )
        for peer, port in self._ports.items():
            env[f"XUEJI_PEER_{peer.upper().replace('-', '_')}"] = f"127.0.0.1:{port}"
        if svc in self._ports:
            env["XUEJI_GRPC_ADDRESS"] = self.address(svc)
        env.update(self._extra_env)
        env.update(overrides)
        return env

    def start(self, name: str, env: dict | None = None) -> None:
        """Start a process ("registration", "review-worker"...) and wait until it is ready.
        `env` overrides environment variables for this run only (e.g. a broken XUEJI_AMQP_URI)."""
        if self.running(name):
            raise ClusterError(f"{name} is already running")
        worker = name.endswith("-worker")
        svc = name.removesuffix("-worker")
        cmd = [str(BIN / f"xueji-{svc}-worker")] if worker else [str(BIN / f"xueji-{svc}"), "serve"]
        log = self.log_path(name)
        offset = log.stat().st_size if log.exists() else 0
        with log.open("ab") as out:
            out.write(f"=== cluster: start {' '.join(cmd)} at {time.strftime('%H:%M:%S')}\n".encode())
            out.flush()
            self._procs[name] = subprocess.Popen(
                cmd, cwd=self.dir, env=self.env(svc, **(env or {})), stdout=out, stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL, start_new_session=True,
            )
        if worker:
            self._wait_worker(name, svc, offset)
        else:
            self._wait_serving(name, svc)

    def stop(self, name: str, timeout: float = STOP_TIMEOUT) -> int | None:
        """SIGTERM and wait (SIGKILL after `timeout`); returns the exit code."""
        proc = self._procs.get(name)
        if proc is None or proc.poll() is not None:
            return proc.returncode if proc else None
        proc.send_signal(signal.SIGTERM)
        try:
            return proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self._note(name, f"did not stop within {timeout} s after SIGTERM: SIGKILL")
            return self.kill(name)

    def kill(self, name: str) -> int | None:
        """SIGKILL (kill -9) and reap."""
        proc = self._procs.get(name)
        if proc is None or proc.poll() is not None:
            return proc.returncode if proc else None
        proc.kill()
        return proc.wait(STOP_TIMEOUT)

    def close(self, keep_dir: bool = False) -> None:
        """Stop every process, drop the databases, delete the vhost; keep the log dir on request."""
        with ThreadPoolExecutor(8) as pool:
            list(pool.map(self.stop, list(self._procs)))
        for url in self.db.values():
            try:
                infra.drop(url)
            except Exception as exc:  # noqa: BLE001 - teardown must go on
                print(f"cluster: cannot drop {url}: {exc}", file=sys.stderr)
        self.db = {}
        if self.vhost:
            try:
                infra.delete_vhost(self.vhost)
            except Exception as exc:  # noqa: BLE001
                print(f"cluster: cannot delete vhost {self.vhost}: {exc}", file=sys.stderr)
            self.vhost = None
        if keep_dir:
            print(f"cluster: logs kept in {self.dir}", file=sys.stderr)
        else:
            shutil.rmtree(self.dir, ignore_errors=True)

    def __enter__(self) -> "Cluster":
        return self

    def __exit__(self, exc_type, *_exc) -> None:
        self.close(keep_dir=exc_type is not None)

    # -- readiness ------------------------------------------------------------------------------

    def _migrate(self, svc: str) -> None:
        log = self.log_path(f"{svc}-migrate")
        with log.open("ab") as out:
            result = subprocess.run([str(BIN / f"xueji-{svc}"), "migrate"], cwd=self.dir, env=self.env(svc),
                                    stdout=out, stderr=subprocess.STDOUT, timeout=START_TIMEOUT)
        if result.returncode:
            raise ClusterError(f"xueji-{svc} migrate failed ({result.returncode}):\n{log.read_text()}")

    def _check_alive(self, name: str) -> None:
        proc = self._procs[name]
        if proc.poll() is not None:
            raise ClusterError(f"{name} exited with {proc.returncode}:\n{self.log_path(name).read_text()[-4000:]}")

    def _wait_serving(self, name: str, svc: str) -> None:
        deadline = time.monotonic() + START_TIMEOUT
        with grpc.insecure_channel(self.address(svc)) as channel:
            stub = health_pb2_grpc.HealthStub(channel)
            while True:
                self._check_alive(name)
                try:
                    status = stub.Check(health_pb2.HealthCheckRequest(service=""), timeout=1).status
                    if status == health_pb2.HealthCheckResponse.SERVING:
                        return
                except grpc.RpcError:
                    pass
                if time.monotonic() > deadline:
                    raise ClusterError(f"{name} not SERVING after {START_TIMEOUT} s")
                time.sleep(0.1)

    def _wait_worker(self, name: str, svc: str, offset: int) -> None:
        from xueji_common.runtime.spec import load_specs

        expected = len(load_specs([svc])[0].subscriptions)
        deadline = time.monotonic() + START_TIMEOUT
        log = self.log_path(name)
        while True:
            self._check_alive(name)
            with log.open("rb") as f:
                f.seek(offset)
                if b"worker started" in f.read():
                    break
            if time.monotonic() > deadline:
                raise ClusterError(f"{name}: no 'worker started' after {START_TIMEOUT} s")
            time.sleep(0.1)
        while True:
            self._check_alive(name)
            queues = self.queues()
            mine = {q: n for q, (_, n) in queues.items() if f"--{svc}." in q}
            if len(mine) >= expected and all(mine.values()):
                return
            if time.monotonic() > deadline:
                raise ClusterError(f"{name}: queues without consumers after {START_TIMEOUT} s: {mine}")
            time.sleep(0.2)

    def queues(self) -> dict[str, tuple[int, int]]:
        """The vhost's queues: name → (messages, consumers)."""
        out = subprocess.run(
            ["rabbitmqctl", "-q", "list_queues", "-p", self.vhost, "name", "messages", "consumers"],
            capture_output=True, text=True, timeout=30, check=True,
        ).stdout
        rows = (re.split(r"\s+", line.strip()) for line in out.splitlines())
        return {r[0]: (int(r[1]), int(r[2])) for r in rows if len(r) == 3 and r[1].isdigit() and r[2].isdigit()}

    def _note(self, name: str, text: str) -> None:
        with self.log_path(name).open("a") as f:
            f.write(f"=== cluster: {text}\n")
