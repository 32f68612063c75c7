"""The development cluster (`python -m tests.e2e.cluster zj`) as a developer runs it: the national
tier's vhost holds no queue that nothing consumes, and SIGTERM (not only Ctrl-C) stops every
process it started, drops its databases and deletes its vhosts."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from tests.e2e.cluster import REPO, START_TIMEOUT
from tests.e2e.conftest import require_servers

from xueji_common.testing import infra

pytestmark = [pytest.mark.slow]
READY_LINE = "Ctrl-C (or SIGTERM) stops the cluster"


class DevCluster:
    def __init__(self) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "tests.e2e.cluster", "zj"],
            cwd=REPO,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        self.lines: list[str] = []
        threading.Thread(
            target=lambda: self.lines.extend(iter(self.proc.stdout.readline, "")), daemon=True
        ).start()
        deadline = time.monotonic() + 4 * START_TIMEOUT
        while not any(READY_LINE in line for line in self.lines):
            if self.proc.poll() is not None or time.monotonic() > deadline:
                self.proc.kill()
                raise AssertionError(
                    "the development cluster did not come up:\n" + "".join(self.lines)[-5000:]
                )
            time.sleep(0.5)
        printed = [line for line in self.lines if line.startswith(("logs in", "databases:", "vhosts:"))]
        fields = dict(line.rstrip("\n").split(" ", 1) for line in printed)
        self.dir = fields["logs"].removeprefix("in ").strip()
        self.databases = fields["databases:"].split()
        self.vhosts = dict(pair.split("=", 1) for pair in fields["vhosts:"].split())


def processes_in(directory: str) -> list[int]:
    """Processes whose working directory is `directory` (the cluster starts each one there)."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if os.readlink(entry / "cwd").startswith(directory):
                    found.append(int(entry.name))
            except OSError:
                continue
    return found


def rabbitmqctl(*args: str) -> list[str]:
    done = subprocess.run(
        ["rabbitmqctl", "-q", *args], capture_output=True, text=True, timeout=60, check=True
    )
    return [line for line in done.stdout.splitlines() if line.strip()]


def databases() -> set[str]:
    from sqlalchemy import create_engine, text

    engine = create_engine(f"{infra.PG_BASE}/postgres")
    try:
        with engine.connect() as conn:
            return {row[0] for row in conn.execute(text("SELECT datname FROM pg_database"))}
    finally:
        engine.dispose()


@pytest.fixture(scope="module")
def dev_cluster():
    require_servers()
    cluster = DevCluster()
    yield cluster
    if cluster.proc.poll() is None:  # a failed test: stop it the way that always worked
        cluster.proc.send_signal(signal.SIGINT)
        cluster.proc.wait(120)


def test_the_nation_vhost_holds_no_queue_that_nothing_consumes(dev_cluster):
    nation = rabbitmqctl("list_queues", "-p", dev_cluster.vhosts["nation"], "name", "consumers")
    assert nation == [] or nation == ["name\tconsumers"], nation  # header only, depending on the version
    province = [
        line.split("\t")
        for line in rabbitmqctl("list_queues", "-p", dev_cluster.vhosts["zj"], "name", "consumers")
        if line.startswith("evt-")
    ]
    assert province and all(int(consumers) > 0 for _, consumers in province), province


def test_sigterm_stops_every_process_drops_the_databases_and_deletes_the_vhosts(dev_cluster):
    started = processes_in(dev_cluster.dir)
    assert len(started) >= 10, started  # servers and workers of the nation and zj
    assert set(dev_cluster.databases) <= databases()
    dev_cluster.proc.send_signal(signal.SIGTERM)
    assert dev_cluster.proc.wait(180) is not None
    deadline = time.monotonic() + 30
    while processes_in(dev_cluster.dir) and time.monotonic() < deadline:
        time.sleep(0.5)
    assert processes_in(dev_cluster.dir) == []
    assert not set(dev_cluster.databases) & databases()
    vhosts = set(rabbitmqctl("list_vhosts"))
    assert not set(dev_cluster.vhosts.values()) & vhosts
