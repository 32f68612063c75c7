"""The two ways of running the whole system for the end-to-end benchmark, each seeded with the
cohort's population register and preschool records before the clock starts:

  production  tests/e2e/cluster.py's Cluster: one province (zj) and the national tier, every service
              its own server and worker process on its own PostgreSQL database, RabbitMQ between them;
  embedded    `xueji serve --provinces zj` (what scripts/run starts, for the cohort's province) in a
              child process: the province and the nation in one process, SQLite files, in-process buses.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import e2e_data
from sqlalchemy import create_engine, insert, text

from xueji_common.auth import TokenService
from xueji_common.config import Settings
from xueji_common.db.engine import now
from xueji_common.runtime.bootstrap import ServiceRuntime
from xueji_common.runtime.embedded import NATION, database_url
from xueji_common.runtime.spec import load_specs
from xueji_common.testing.infra import free_port, wait_serving

ROOT = Path(__file__).resolve().parent.parent
LOGS = Path(tempfile.gettempdir()) / "xueji-bench-e2e-logs"


@dataclass
class System:
    registration: str  # addresses
    review: str
    tokens: TokenService
    registration_db: str  # SQLAlchemy URL, read for progress
    processes: int
    backlog: Callable[[], dict[str, int]] = dict  # messages waiting per worker (production)
    cpu: Callable[[], dict[str, float]] = dict  # CPU seconds used so far per process
    # Production: events published and handled so far by type, and transactions committed, summed
    # over every service database of the cluster (flow_counts).
    counts: Callable[[], dict] = dict
    review_db: str = ""  # SQLAlchemy URL of review's database (bench/submission_latency.py)

    def progress(self) -> tuple[int, dict[str, int]]:
        with self._engine().connect() as conn:
            numbered = conn.execute(text("SELECT count(*) FROM student_records")).scalar_one()
            states = dict(conn.execute(text("SELECT state, count(*) FROM applications GROUP BY state")).all())
        return numbered, states

    def _engine(self):
        if not hasattr(self, "_eng"):
            self._eng = create_engine(self.registration_db, pool_size=1)
        return self._eng


def seed(service: str, url: str, settings: Settings, students: list[e2e_data.Student]) -> None:
    """The national registers the cohort needs (as a deployment finds them in September)."""
    from xueji_dedup.adapters.tables import population
    from xueji_national_query.adapters.tables import national_records

    runtime = ServiceRuntime(load_specs([service])[0], settings, database_url=url)
    try:
        runtime.migrate()
        table, rows = (
            (population, e2e_data.population_rows(students, settings.hash_key))
            if service == "dedup"
            else (national_records, e2e_data.preschool_rows(students, settings.hash_key, now()))
        )
        with runtime.engine.begin() as conn:
            for i in range(0, len(rows), 5000):
                conn.execute(insert(table), rows[i : i + 5000])
    finally:
        runtime.close()


def flow_counts(urls: list[str]) -> dict:
    """Events written to the outboxes (published) and to the inboxes (handled, one row per event and
    consumer) by type, the bus messages handled (a batch's inbox rows share their claim's timestamp,
    messaging.consumer: distinct (consumer, handled_at) pairs, so a message of 500 events counts once),
    and the transactions committed and rolled back (pg_stat_database: a statement in autocommit
    counts as one; this query's own and every other client's of those databases are counted too:
    read it before and after a run)."""
    published: dict[str, int] = {}
    handled: dict[str, int] = {}
    commits = rollbacks = messages = 0
    for url in urls:
        engine = create_engine(url, pool_size=1)
        try:
            with engine.connect() as conn:
                for table, into in (("outbox", published), ("inbox", handled)):
                    rows = conn.execute(text(f"SELECT event_type, count(*) FROM {table} GROUP BY 1")).all()
                    for event_type, n in rows:
                        into[event_type] = into.get(event_type, 0) + n
                messages += conn.execute(
                    text("SELECT count(*) FROM (SELECT DISTINCT consumer, handled_at FROM inbox) AS m")
                ).scalar_one()
                done, undone = conn.execute(
                    text(
                        "SELECT xact_commit, xact_rollback FROM pg_stat_database"
                        " WHERE datname = current_database()"
                    )
                ).one()
                commits, rollbacks = commits + done, rollbacks + undone
        finally:
            engine.dispose()
    return {
        "published": published,
        "handled": handled,
        "messages": messages,
        "commits": commits,
        "rollbacks": rollbacks,
    }


def with_replicas(deployments: list, replicas: int) -> list:
    """`replicas` worker processes for each province service that handles events per application
    (more Deployments, worker only, on the same database and vhost: they share the queues)."""
    from dataclasses import replace

    extra = [
        replace(d, name=f"{d.name}-{i}", database=d.db_key, server=False)
        for d in deployments
        if d.worker and d.name in BUSY
        for i in range(2, replicas + 1)
    ]
    return deployments + extra


# Review too since its handlers take turns per application (uow.serialize): before that, two of its
# workers could park a DedupCompleted after the case's check for parked results.
BUSY = ("zj-registration", "zj-dedup", "zj-review")


def with_concurrency(deployments: list, concurrency: int) -> list:
    """Every worker runs `concurrency` handlers at once (XUEJI_WORKER_CONCURRENCY); 0: each service's own."""
    from dataclasses import replace

    if not concurrency:
        return deployments
    return [replace(d, env={**d.env, "XUEJI_WORKER_CONCURRENCY": str(concurrency)}) for d in deployments]


@contextlib.contextmanager
def production(students: list[e2e_data.Student], replicas: int = 1, concurrency: int = 0) -> Iterator[System]:
    sys.path.insert(0, str(ROOT))
    from tests.e2e.cluster import Cluster, system

    with Cluster(
        with_concurrency(with_replicas(system(["zj"]), replicas), concurrency), seed_demo=False
    ) as c:
        settings = Settings(hash_key=c.hash_key, data_key=c.data_key, data_dir=c.dir, metrics_port=0)
        seed("dedup", c.db["population-register"], settings, students)
        seed("national-query", c.db["national-query"], settings, students)
        try:
            yield System(
                c.address("zj-registration"),
                c.address("zj-review"),
                c.issuer,
                c.db["zj-registration"],
                len(c.names()),
                Watchdog(c),
                lambda: {name: _cpu_seconds(p.pid) for name, p in c._procs.items()},
                lambda: flow_counts(sorted(set(c.db.values()))),
                c.db["zj-review"],
            )
        finally:
            shutil.rmtree(LOGS, ignore_errors=True)
            shutil.copytree(c.dir, LOGS)  # the last run's process logs, for a look afterwards


@contextlib.contextmanager
def embedded(students: list[e2e_data.Student], replicas: int = 1, concurrency: int = 0) -> Iterator[System]:
    with tempfile.TemporaryDirectory(prefix="xueji-bench-embedded-") as folder:
        address = f"127.0.0.1:{free_port()}"
        settings = Settings(
            data_dir=Path(folder), grpc_address=address, metrics_port=0, hash_key=secrets.token_hex(24)
        )
        # The cohort's province alone (its schools are 浙江's), the nation's registers seeded as the
        # embedded system keeps them (runtime.embedded.database_url).
        seed("dedup", database_url(settings, NATION, "dedup"), settings, students)
        seed("national-query", database_url(settings, NATION, "national-query"), settings, students)
        env = {
            **{k: v for k, v in os.environ.items() if not k.startswith("XUEJI_")},
            "XUEJI_DATA_DIR": folder,
            "XUEJI_GRPC_ADDRESS": address,
            "XUEJI_METRICS_PORT": "0",
            "XUEJI_HASH_KEY": settings.hash_key,
            "XUEJI_LOG_LEVEL": "WARNING",
        }
        log = open(Path(folder) / "serve.log", "wb")
        proc = subprocess.Popen(
            [str(ROOT / ".venv/bin/xueji"), "serve", "--provinces", "zj"],
            env=env,
            cwd=folder,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        try:
            _wait_serving(address, proc, Path(folder) / "serve.log")
            yield System(
                address,
                address,
                settings.token_service(),  # the development key of the data dir
                database_url(settings, "zj", "registration"),
                1,
                cpu=lambda: {"xueji serve": _cpu_seconds(proc.pid)},
                review_db=database_url(settings, "zj", "review"),
            )
        finally:
            proc.terminate()
            try:
                proc.wait(15)
            except subprocess.TimeoutExpired:
                proc.kill()
            log.close()


def _cpu_seconds(pid: int) -> float:
    """utime + stime of a live process (Linux /proc)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return float("nan")
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class Watchdog:
    """Messages waiting per worker; restarts a worker process that handled nothing for STUCK seconds
    while its queues had messages (as a liveness probe would). A worker can hang for good under load:
    a handler thread waits in its own eventlet hub for a wake-up that never comes (seen on
    zj-review-worker: every tpool thread but one waiting for the handler lock, that one in
    hubs/hub.py run). The messages it held are redelivered (kill -9) and the inbox drops what was
    already handled. Restarts are counted and printed: they are a defect, not a feature."""

    STUCK = 20.0

    def __init__(self, cluster) -> None:
        self.cluster, self.restarts = cluster, 0
        self._last: dict[str, tuple[int, float]] = {}

    def __call__(self) -> dict[str, int]:
        out = {}
        for name, dep in self.cluster.deployments.items():
            if not dep.worker or name[-2:-1] == "-":  # replicas share their first's queues
                continue
            waiting = sum(m for m, _ in self.cluster.queues(dep).values())
            if waiting:
                out[name] = waiting
            for process in [p for p in self.cluster.names() if p.endswith("-worker") and p.startswith(name)]:
                self._check(process, waiting)
        if self.restarts:
            out["workers restarted so far"] = self.restarts
        return out

    def _check(self, process: str, waiting: int) -> None:
        """A worker logs every event it handles: a log that does not grow while its queue has
        messages waiting is a hung worker."""
        size = self.cluster.log_path(process).stat().st_size
        before, since = self._last.get(process, (-1, time.monotonic()))
        if size != before or not waiting:
            self._last[process] = (size, time.monotonic())
        elif time.monotonic() - since > self.STUCK:
            print(
                f"  WATCHDOG: {process} handled nothing for {self.STUCK:.0f} s with {waiting} messages "
                f"waiting: restarting it",
                flush=True,
            )
            # kill -9: RabbitMQ requeues what the dead connection held. A SIGTERM'd hung worker lost
            # the 10 messages it had prefetched (seen once: 10 RegistrationApproved never handled).
            self.cluster.kill(process)
            self.cluster.start(process)
            self.restarts += 1
            self._last[process] = (self.cluster.log_path(process).stat().st_size, time.monotonic())


def _wait_serving(address: str, proc: subprocess.Popen, log: Path, timeout: float = 120.0) -> None:
    def alive() -> None:
        if proc.poll() is not None:
            raise RuntimeError(f"xueji serve exited with {proc.returncode}:\n{log.read_text()[-3000:]}")

    if not wait_serving(address, alive, timeout):
        raise RuntimeError(f"xueji serve not SERVING after {timeout} s")
