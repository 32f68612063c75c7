"""Private PostgreSQL and RabbitMQ servers that a fault test may stop and restart.

The machine's own servers (PostgreSQL on 5432, RabbitMQ on 5672) are shared with every other test
run on it, so the restart faults never touch them: each fault module starts its own servers here,
on free ports, with their data in a temporary directory, and restarts those.

- PrivatePostgres: `initdb` into a temp dir and `pg_ctl` on another port, as the `postgres` OS user
  (PostgreSQL refuses to run as root); trust auth on 127.0.0.1, fsync off (test data only).
- PrivateRabbit: `rabbitmq-server` as the `rabbitmq` OS user with its own node name, AMQP and
  distribution ports, config file (the system one binds 5672) and mnesia/log dirs;
  `rabbitmqctl -n <node>` drives it. Messages in durable queues survive its restart.
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import subprocess
import tempfile
import time
import uuid
from pathlib import Path

from xueji_common.testing import infra

START_TIMEOUT = 60.0


class ServerError(RuntimeError):
    pass


def _as_user(user: str, cmd: list[str], env: dict | None = None, **kw) -> subprocess.CompletedProcess:
    return subprocess.run(["runuser", "-u", user, "--", *cmd], env=env, capture_output=True, text=True, **kw)


def _owned_tempdir(prefix: str, user: str) -> Path:
    path = Path(tempfile.mkdtemp(prefix=prefix))
    entry = pwd.getpwnam(user)
    os.chown(path, entry.pw_uid, entry.pw_gid)
    return path


def _wait_port(port: int, what: str, timeout: float = START_TIMEOUT) -> None:
    deadline = time.monotonic() + timeout
    while not infra.reachable("127.0.0.1", port, timeout=0.5):
        if time.monotonic() > deadline:
            raise ServerError(f"{what} not listening on {port} after {timeout} s")
        time.sleep(0.2)


def available() -> str | None:
    """Why private servers cannot run here (None when they can)."""
    if os.geteuid() != 0:
        return "private servers need root (runuser to the postgres and rabbitmq users)"
    if not glob.glob("/usr/lib/postgresql/*/bin/initdb"):
        return "initdb not found under /usr/lib/postgresql"
    if not Path("/usr/lib/rabbitmq/bin/rabbitmq-server").exists():
        return "rabbitmq-server not found under /usr/lib/rabbitmq/bin"
    return None


class PrivatePostgres:
    def __init__(self) -> None:
        self.bin = Path(
            sorted(glob.glob("/usr/lib/postgresql/*/bin"), key=lambda p: int(p.split("/")[-2]))[-1]
        )
        self.port = infra.free_port()
        self.dir = _owned_tempdir("xueji-e2e-pg-", "postgres")
        self.data = self.dir / "data"
        result = _as_user(
            "postgres",
            [
                str(self.bin / "initdb"),
                "-D",
                str(self.data),
                "-A",
                "trust",
                "-U",
                "postgres",
                "-E",
                "UTF8",
                "--locale=C.UTF-8",
            ],
            timeout=120,
        )
        if result.returncode:
            raise ServerError(f"initdb failed: {result.stderr}")
        self.start()

    @property
    def base_url(self) -> str:
        """What infra.PG_BASE is for the shared server: append /<database>."""
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}"

    def start(self) -> None:
        options = (
            f"-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1 -c fsync=off "
            "-c synchronous_commit=off -c full_page_writes=off -c max_connections=200"
        )
        result = _as_user(
            "postgres",
            [
                str(self.bin / "pg_ctl"),
                "-D",
                str(self.data),
                "-l",
                str(self.dir / "log"),
                "-o",
                options,
                "-w",
                "start",
            ],
            timeout=START_TIMEOUT,
        )
        if result.returncode:
            raise ServerError(f"pg_ctl start failed: {result.stdout}{result.stderr}")
        _wait_port(self.port, "private PostgreSQL")

    def stop(self, mode: str = "fast") -> None:
        _as_user(
            "postgres",
            [str(self.bin / "pg_ctl"), "-D", str(self.data), "-m", mode, "-w", "stop"],
            timeout=START_TIMEOUT,
        )

    def restart(self) -> None:
        self.stop()
        self.start()

    def close(self) -> None:
        self.stop("immediate")
        shutil.rmtree(self.dir, ignore_errors=True)


class PrivateRabbit:
    def __init__(self) -> None:
        self.node = f"xueji-e2e-{uuid.uuid4().hex[:8]}@localhost"
        self.port, self.dist_port = infra.free_port(), infra.free_port()
        self.dir = _owned_tempdir("xueji-e2e-rabbit-", "rabbitmq")
        (self.dir / "rabbitmq.conf").write_text(
            f"listeners.tcp.local = 127.0.0.1:{self.port}\nloopback_users = none\n"
        )
        (self.dir / "enabled_plugins").write_text("[].\n")
        self._proc: subprocess.Popen | None = None
        self.start()

    def amqp_uri(self, vhost: str = "") -> str:
        return f"amqp://guest:guest@127.0.0.1:{self.port}/{vhost}"

    def _env(self) -> dict:
        return {
            **{k: v for k, v in os.environ.items() if not k.startswith("RABBITMQ_")},
            "HOME": "/var/lib/rabbitmq",  # the node and rabbitmqctl share the rabbitmq user's cookie
            "RABBITMQ_NODENAME": self.node,
            "RABBITMQ_NODE_PORT": str(self.port),
            "RABBITMQ_DIST_PORT": str(self.dist_port),
            "RABBITMQ_CONFIG_FILE": str(self.dir / "rabbitmq"),
            "RABBITMQ_ENABLED_PLUGINS_FILE": str(self.dir / "enabled_plugins"),
            "RABBITMQ_MNESIA_BASE": str(self.dir / "mnesia"),
            "RABBITMQ_LOG_BASE": str(self.dir / "log"),
            "RABBITMQ_PID_FILE": str(self.dir / "pid"),
        }

    def ctl(self, *args: str, timeout: float = 60) -> str:
        result = _as_user(
            "rabbitmq",
            ["/usr/lib/rabbitmq/bin/rabbitmqctl", "-q", "-n", self.node, *args],
            env=self._env(),
            timeout=timeout,
        )
        if result.returncode:
            raise ServerError(f"rabbitmqctl {' '.join(args)} failed: {result.stdout}{result.stderr}")
        return result.stdout

    def start(self) -> None:
        log = (self.dir / "server.out").open("ab")
        self._proc = subprocess.Popen(
            ["runuser", "-u", "rabbitmq", "--", "/usr/lib/rabbitmq/bin/rabbitmq-server"],
            env=self._env(),
            cwd=self.dir,
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
        deadline = time.monotonic() + START_TIMEOUT
        while not infra.reachable("127.0.0.1", self.port, timeout=0.5):
            if self._proc.poll() is not None:
                raise ServerError(f"private RabbitMQ exited: {(self.dir / 'server.out').read_text()[-3000:]}")
            if time.monotonic() > deadline:
                raise ServerError("private RabbitMQ did not come up")
            time.sleep(0.3)
        self.ctl("await_startup")

    def stop(self) -> None:
        if self._proc is None or self._proc.poll() is not None:
            return
        try:
            self.ctl("stop")
        except ServerError:
            pass
        try:
            self._proc.wait(START_TIMEOUT)
        except subprocess.TimeoutExpired:
            os.killpg(self._proc.pid, 9)
            self._proc.wait(10)

    def restart(self) -> None:
        self.stop()
        self.start()

    def new_vhost(self) -> tuple[str, str]:
        vhost = f"xueji-e2e-{uuid.uuid4().hex[:8]}"
        self.ctl("add_vhost", vhost)
        self.ctl("set_permissions", "-p", vhost, "guest", ".*", ".*", ".*")
        return vhost, self.amqp_uri(vhost)

    def delete_vhost(self, vhost: str) -> None:
        self.ctl("delete_vhost", vhost)

    def close(self) -> None:
        self.stop()
        shutil.rmtree(self.dir, ignore_errors=True)
