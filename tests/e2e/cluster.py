"""A launcher of real Xueji processes for end-to-end tests and for developers.

    from tests.e2e.cluster import Cluster, system
    with Cluster(system(["zj"])) as c:                 # one province and the national tier
        channel = grpc.insecure_channel(c.address("zj-registration"))
        ...
        print(c.logs()["zj-review-worker"])

    python -m tests.e2e.cluster zj js                  # a development cluster, until Ctrl-C
    python -m tests.e2e.cluster --mtls zj              # the same, tiers over mutual TLS

A cluster is a list of Deployments. Each runs `xueji-<service> serve` (process "<name>") and/or
`xueji-<service>-worker` (process "<name>-worker") in production mode from .venv/bin, logging to
<dir>/<process>.log (appended over restarts). Every database is fresh (`xueji-<service> migrate`
first, which also declares the event queues), every broker a fresh RabbitMQ vhost. start() returns
once a server answers health SERVING, or once a worker's queues all have consumers.

The wiring of the whole system (`system()`), also described in docs/FLOWS.md:

- each province ("zj" 浙江 330000, "js" 江苏 320000) runs registration, review, dedup (XUEJI_SCOPE
  province) and special-ed, servers and workers, on ITS OWN VHOST. Exchange and queue names are the
  same in every province (`<producer>.events`, `evt-...--<service>.<method>`), so a vhost per
  province is what keeps one province's events away from the other's services;
- the nation runs dedup (XUEJI_SCOPE national, "dedup-national": reached over gRPC only, no worker),
  national-query (server) and the population register (a dedup process serving the default
  PopulationRegister adapter on its own database, "population-register"; a deployment would point
  XUEJI_PEER_POPULATION_REGISTER at the real register). Their relays use the "nation" vhost;
- national-query consumes the record events of every province: one national-query worker per
  province ("national-query-<p>"), connected to that province's vhost and writing to the one
  national-query database. Its inbox (event ids are unique) keeps a redelivery from counting twice.

Identities (docs/ACCOUNTS.md): each tier (a province, the nation; "main" for `simple()` clusters)
gets an accounts deployment ("zj-accounts", "js-accounts", "accounts-nation"; added as
"accounts-<tier>" where a list has none) with its own ES256 key, serving its JWKS over HTTP;
every other deployment authenticates to its peers as its own service account (client id = its
name) through its tier's accounts service. A province trusts its own issuer and the nation's; the
nation trusts its own and each province's (for that province's units only). Tests act as users
with tokens of a test issuer ("xueji-e2e", tests only) that every deployment also trusts.

`Cluster(..., mtls=True)` runs the calls between tiers over mutual TLS, with a CA and certificates
it makes (trustme, in <dir>/tls): the national servers listen with TLS and require a client
certificate of that CA (their health also answers in plaintext on a port of its own, as probes
use it); the province processes call them at `https://` addresses presenting the province's
certificate, while their own servers stay plaintext (the nation's accounts service is a national
server too: the national processes call it over TLS). `channel(name)` opens a channel to any server
as the province would. The lookup rate limits count in the machine's Redis under a key prefix of
the cluster's own.
"""

from __future__ import annotations

import hashlib
import json
import os
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from xueji_common.auth import MINISTRY, Role
from xueji_common.datakeys import new_key_text
from xueji_common.db.engine import ensure_database
from xueji_common.signing import SigningKey
from xueji_common.testing import infra
from xueji_common.testing.issuer import TestIssuer

REDIS_URL = os.environ.get("XUEJI_E2E_REDIS_URL", "redis://127.0.0.1:6379/0")
REPO = Path(__file__).resolve().parents[2]
BIN = Path(os.environ.get("XUEJI_VENV", REPO / ".venv")) / "bin"
START_TIMEOUT = 150.0  # a migration takes ~27 s alone on a loaded 2-core machine; 60 s was missed twice
STOP_TIMEOUT = 15.0
PROVINCES = {"zj": "330000", "js": "320000"}  # the two provinces of the demo org tree
PROVINCE_SERVICES = ("registration", "review", "dedup", "special-ed")


class ClusterError(RuntimeError):
    pass


@dataclass(frozen=True)
class Deployment:
    """One deployable of one tier: a server and/or a worker of a service on a database and a broker."""

    name: str  # process names: "<name>" (server), "<name>-worker"
    service: str  # registration, review, dedup, national-query, special-ed
    database: str = ""  # deployments with the same key share a database (default: name)
    broker: str = "main"  # the vhost key
    server: bool = True
    worker: bool = True
    env: dict = field(default_factory=dict)  # extra settings (XUEJI_SCOPE...)
    peers: dict = field(default_factory=dict)  # peer name → deployment name (XUEJI_PEER_*)
    tier: str = "main"  # a province key, "nation", or "main": whose accounts

    @property
    def db_key(self) -> str:
        return self.database or self.name


def system(provinces=("zj",)) -> list[Deployment]:
    """The whole system: the national tier and the given provinces (keys of PROVINCES)."""
    national = {
        "dedup-national": "dedup-national",
        "population-register": "population-register",
        "national-query": "national-query",
    }
    out = [
        Deployment(
            "dedup-national",
            "dedup",
            broker="nation",
            worker=False,
            env={"XUEJI_SCOPE": "national"},
            tier="nation",
        ),
        Deployment(
            "population-register",
            "dedup",
            broker="nation",
            worker=False,
            env={"XUEJI_SCOPE": "national"},
            tier="nation",
        ),
        # Its bulk load feeds the national dedup's holdings (Dedup.LoadRecordHoldings).
        Deployment(
            "national-query",
            "national-query",
            broker="nation",
            worker=False,
            tier="nation",
            peers={"dedup-national": "dedup-national"},
        ),
    ]
    for p in provinces:
        peers = {**national, **{svc: f"{p}-{svc}" for svc in PROVINCE_SERVICES}}
        out += [Deployment(f"{p}-{svc}", svc, broker=p, peers=peers, tier=p) for svc in PROVINCE_SERVICES]
        out.append(Deployment(f"{p}-accounts", "accounts", broker=p, worker=False, tier=p))
        out.append(
            Deployment(
                f"national-query-{p}",
                "national-query",
                database="national-query",
                broker=p,
                server=False,
                peers=peers,
                tier="nation",
            )
        )
    return out


def simple(services=("registration", "review"), workers=("review",)) -> list[Deployment]:
    """Some services of one province, named by service, peers among themselves."""
    names = list(dict.fromkeys([*services, *workers]))
    peers = {s: s for s in services}
    return [Deployment(s, s, server=s in services, worker=s in workers, peers=peers) for s in names]


def tier_unit(tier: str) -> str:
    """The unit a tier's issuer and service accounts speak for: a province's code, else the nation."""
    return PROVINCES.get(tier, MINISTRY)


def with_accounts(deployments: list[Deployment]) -> list[Deployment]:
    """The deployments and, for each tier without one, its accounts service (the tier's issuer)."""
    out = list(deployments)
    for tier in dict.fromkeys(d.tier for d in deployments):
        if not any(d.service == "accounts" and d.tier == tier for d in deployments):
            broker = next(d.broker for d in deployments if d.tier == tier)
            out.append(Deployment(f"accounts-{tier}", "accounts", broker=broker, worker=False, tier=tier))
    return out


class Cluster:
    """Starts the deployments; `pg_base` / `rabbit` select private servers (tests/e2e/servers.py)."""

    def __init__(
        self,
        deployments: list[Deployment],
        *,
        pg_base: str | None = None,
        rabbit=None,
        seed_demo: bool = True,
        env: dict | None = None,
        mtls: bool = False,
    ):
        deployments = with_accounts(deployments)
        self.deployments = {d.name: d for d in deployments}
        self.dir = Path(tempfile.mkdtemp(prefix="xueji-e2e-"))
        self.hash_key = secrets.token_hex(24)
        self.redis_prefix = f"xueji-e2e-{uuid.uuid4().hex[:12]}"
        self.tls = _Certificates(self.dir / "tls") if mtls else None
        self.issuer = TestIssuer("xueji-e2e")  # the tests' users; trusted by every deployment
        self._issuer_jwks = self.issuer.jwks_file(self.dir)
        self._jwks_ports = {d.tier: infra.free_port() for d in deployments if d.service == "accounts"}
        self._client_secrets = {d.name: secrets.token_hex(16) for d in deployments}
        for tier in self._jwks_ports:
            key_file = self.dir / f"signing-key-{tier}.pem"
            key_file.write_bytes(SigningKey.generate().pem())
            key_file.chmod(0o600)
        self.data_key = new_key_text("e2e")  # XUEJI_DATA_KEY (production mode refuses the development key)
        self.pg_base, self.rabbit = pg_base or infra.PG_BASE, rabbit
        self._extra_env = dict(env or {})
        self._procs: dict[str, subprocess.Popen] = {}
        self._ports = {d.name: infra.free_port() for d in deployments if d.server}
        self._health_ports = {name: infra.free_port() for name in self._ports if self.secure(name)}
        self.db: dict[str, str] = {}
        self.vhosts: dict[str, str] = {}
        self.amqp: dict[str, str] = {}
        try:
            for key in dict.fromkeys(d.broker for d in deployments):
                self.vhosts[key], self.amqp[key] = rabbit.new_vhost() if rabbit else infra.new_vhost()
            for key in dict.fromkeys(d.db_key for d in deployments):
                self.db[key] = f"{self.pg_base}/xueji_e2e_{key.replace('-', '_')}_{uuid.uuid4().hex[:8]}"
                ensure_database(self.db[key])
            self._migrate_all()
            if seed_demo:
                self._seed_demo()
            issuers = [d.name for d in deployments if d.service == "accounts"]
            with ThreadPoolExecutor(8) as pool:  # the issuers first: the others fetch their identity there
                list(pool.map(self.start, issuers))
                list(pool.map(self.start, [n for n in self.names() if n not in issuers]))
        except BaseException:
            self.close(keep_dir=True)
            raise

    # -- what tests use -------------------------------------------------------------------------

    @property
    def amqp_uri(self) -> str:
        """The broker of a single-broker cluster."""
        [uri] = set(self.amqp.values())
        return uri

    def address(self, name: str) -> str:
        return f"127.0.0.1:{self._ports[name]}"

    def secure(self, name: str) -> bool:
        """The deployment's server listens with mutual TLS (the national tier of an mtls cluster)."""
        return self.tls is not None and self.deployments[name].broker == "nation"

    def peer_address(self, name: str) -> str:
        return f"https://{self.address(name)}" if self.secure(name) else self.address(name)

    def channel(self, name: str, certificate: bool = True):
        """A channel to a server as a province process opens it (with the province's certificate
        unless `certificate` is False)."""
        from xueji_common.grpcserver import client

        return client.channel(self.peer_address(name), self.tls.client(certificate) if self.tls else None)

    def token(self, role: Role, org_unit: str, user: str = "e2e-user") -> str:
        return self.issuer.mint(user, role, org_unit)

    # -- identities -----------------------------------------------------------------------------

    @staticmethod
    def issuer_name(tier: str) -> str:
        return f"xueji-{tier_unit(tier)}"

    def accounts_of(self, tier: str) -> str:
        """The name of a tier's accounts deployment."""
        return next(d.name for d in self.deployments.values() if d.service == "accounts" and d.tier == tier)

    def jwks_address(self, tier: str) -> str:
        return f"http://127.0.0.1:{self._jwks_ports[tier]}/.well-known/jwks.json"

    def _trusted(self, tier: str) -> str:
        """A province trusts its issuer and the nation's; the nation its own and every province's."""
        tiers = [tier]
        if tier in PROVINCES and "nation" in self._jwks_ports:
            tiers.append("nation")
        if tier == "nation":
            tiers += [t for t in self._jwks_ports if t in PROVINCES]
        entries = [{"issuer": self.issuer.name, "jwks": self._issuer_jwks}]
        entries += [
            {
                "issuer": self.issuer_name(t),
                "jwks": self.jwks_address(t),
                "units": [PROVINCES[t]] if t in PROVINCES else [],
            }
            for t in tiers
            if t in self._jwks_ports
        ]
        return json.dumps(entries)

    @staticmethod
    def client_id(dep: Deployment) -> str:
        """A service's identity at its tier's accounts service: the service's name, as the chart
        names it (a province runs one of each); the nation's two dedups keep their deployment names."""
        return dep.service if dep.tier in PROVINCES else dep.name

    def _identity_env(self, dep: Deployment) -> dict[str, str]:
        env = {
            "XUEJI_TRUSTED_ISSUERS": self._trusted(dep.tier),
            "XUEJI_TOKEN_ISSUER": self.issuer_name(dep.tier),
        }
        if dep.service == "accounts":
            clients = {
                self.client_id(d): {
                    "unit": tier_unit(d.tier),
                    "secret_sha256": hashlib.sha256(self._client_secrets[d.name].encode()).hexdigest(),
                }
                for d in self.deployments.values()
                if d.tier == dep.tier and d.service != "accounts"
            }
            env.update(
                XUEJI_SIGNING_KEY_FILE=str(self.dir / f"signing-key-{dep.tier}.pem"),
                XUEJI_JWKS_PORT=str(self._jwks_ports[dep.tier]),
                XUEJI_SERVICE_CLIENTS=json.dumps(clients),
            )
        else:
            env.update(
                XUEJI_SERVICE_CLIENT_ID=self.client_id(dep),
                XUEJI_SERVICE_CLIENT_SECRET=self._client_secrets[dep.name],
                XUEJI_PEER_ACCOUNTS=self.peer_address(self.accounts_of(dep.tier)),
            )
        return env

    def names(self) -> list[str]:
        """Every process: servers first, then workers."""
        deps = self.deployments.values()
        return [d.name for d in deps if d.server] + [f"{d.name}-worker" for d in deps if d.worker]

    def log_path(self, name: str) -> Path:
        return self.dir / f"{name}.log"

    def logs(self) -> dict[str, str]:
        return {p.stem: p.read_text(errors="replace") for p in sorted(self.dir.glob("*.log"))}

    def running(self, name: str) -> bool:
        proc = self._procs.get(name)
        return proc is not None and proc.poll() is None

    # -- processes ------------------------------------------------------------------------------

    def env(self, dep: Deployment, **overrides: str) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("XUEJI_")}
        env.update(
            PYTHONUNBUFFERED="1",
            XUEJI_MODE="production",
            XUEJI_DATABASE_URL=self.db[dep.db_key],
            XUEJI_AMQP_URI=self.amqp[dep.broker],
            XUEJI_HASH_KEY=self.hash_key,
            XUEJI_DATA_KEY=self.data_key,
            XUEJI_LOG_FORMAT="json",
            XUEJI_METRICS_PORT="0",
            XUEJI_RELAY_INTERVAL="0.2",
        )
        env.update(XUEJI_REDIS_URL=REDIS_URL, XUEJI_RATE_LIMIT_PREFIX=self.redis_prefix)
        for peer, target in dep.peers.items():
            env[f"XUEJI_PEER_{peer.upper().replace('-', '_')}"] = self.peer_address(target)
        if dep.server:
            env["XUEJI_GRPC_ADDRESS"] = self.address(dep.name)
        env.update(self._identity_env(dep))
        if self.tls is not None:
            env.update(self.tls.env(server=dep.server and self.secure(dep.name)))
            if dep.name in self._health_ports:
                env["XUEJI_HEALTH_ADDRESS"] = f"127.0.0.1:{self._health_ports[dep.name]}"
        env.update(dep.env)
        env.update(self._extra_env)
        env.update(overrides)
        return env

    def _deployment(self, name: str) -> tuple[Deployment, bool]:
        worker = name.endswith("-worker") and name not in self.deployments
        return self.deployments[name.removesuffix("-worker") if worker else name], worker

    def start(self, name: str, env: dict | None = None) -> None:
        """Start a process ("zj-registration", "zj-review-worker"...) and wait until it is ready.
        `env` overrides environment variables for this run only (e.g. a broken XUEJI_AMQP_URI)."""
        if self.running(name):
            raise ClusterError(f"{name} is already running")
        dep, worker = self._deployment(name)
        cmd = (
            [str(BIN / f"xueji-{dep.service}-worker")]
            if worker
            else [str(BIN / f"xueji-{dep.service}"), "serve"]
        )
        log = self.log_path(name)
        offset = log.stat().st_size if log.exists() else 0
        with log.open("ab") as out:
            out.write(f"=== cluster: start {' '.join(cmd)} at {time.strftime('%H:%M:%S')}\n".encode())
            out.flush()
            self._procs[name] = subprocess.Popen(
                cmd,
                cwd=self.dir,
                env=self.env(dep, **(env or {})),
                stdout=out,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
            )
        if worker:
            self._wait_worker(name, dep, offset)
        else:
            self._wait_serving(name, dep)

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
        self._note(name, "kill -9")
        proc.kill()
        return proc.wait(STOP_TIMEOUT)

    def restart(self, name: str) -> None:
        self.stop(name)
        self.start(name)

    def close(self, keep_dir: bool = False) -> None:
        """Stop every process, drop the databases, delete the vhosts; keep the log dir on request."""
        with ThreadPoolExecutor(8) as pool:
            list(pool.map(self.stop, list(self._procs)))
        for url in self.db.values():
            try:
                infra.drop(url)
            except Exception as exc:
                print(f"cluster: cannot drop {url}: {exc}", file=sys.stderr)
        self.db = {}
        for vhost in self.vhosts.values():
            try:
                self.rabbit.delete_vhost(vhost) if self.rabbit else infra.delete_vhost(vhost)
            except Exception as exc:
                print(f"cluster: cannot delete vhost {vhost}: {exc}", file=sys.stderr)
        self.vhosts = {}
        _drop_redis_keys(self.redis_prefix)
        if keep_dir:
            print(f"cluster: logs kept in {self.dir}", file=sys.stderr)
        else:
            shutil.rmtree(self.dir, ignore_errors=True)

    def __enter__(self) -> Cluster:
        return self

    def __exit__(self, exc_type, *_exc) -> None:
        self.close(keep_dir=exc_type is not None)

    # -- setup ----------------------------------------------------------------------------------

    def _migrate_all(self) -> None:
        """`migrate` once per database (it also declares the queues on that deployment's broker);
        the other deployments sharing a database only declare their queues."""
        first: dict[str, Deployment] = {}
        for dep in self.deployments.values():
            first.setdefault(dep.db_key, dep)
        with ThreadPoolExecutor(8) as pool:
            list(pool.map(self._migrate, first.values()))
        from xueji_common.messaging.bus import declare_consumer_queues

        for dep in self.deployments.values():
            if first[dep.db_key] is not dep and dep.worker:
                declare_consumer_queues(
                    dep.service, self._spec(dep.service).subscriptions, self.amqp[dep.broker]
                )

    def _migrate(self, dep: Deployment) -> None:
        log = self.log_path(f"{dep.name}-migrate")
        # A deployment without a worker on this broker declares no queues there (nothing would consume them).
        cmd = [str(BIN / f"xueji-{dep.service}"), "migrate", *([] if dep.worker else ["--no-queues"])]
        with log.open("ab") as out:
            result = subprocess.run(
                cmd,
                cwd=self.dir,
                env=self.env(dep),
                stdout=out,
                stderr=subprocess.STDOUT,
                timeout=START_TIMEOUT,
            )
        if result.returncode:
            raise ClusterError(
                f"xueji-{dep.service} migrate failed ({result.returncode}):\n{log.read_text()}"
            )

    def _seed_demo(self) -> None:
        """The demo population register and preschool records (as embedded mode loads them)."""
        from xueji_common.config import Settings
        from xueji_common.runtime.bootstrap import ServiceRuntime

        for dep in self.deployments.values():
            if dep.name in ("population-register", "national-query"):
                # The cluster's keys: national-query stores national student numbers encrypted.
                settings = Settings(
                    hash_key=self.hash_key, data_key=self.data_key, data_dir=self.dir, metrics_port=0
                )
                runtime = ServiceRuntime(self._spec(dep.service), settings, self.db[dep.db_key])
                try:
                    runtime.spec.seed_demo(runtime)
                finally:
                    runtime.close()

    @staticmethod
    def _spec(service: str):
        from xueji_common.runtime.spec import load_specs

        return load_specs([service])[0]

    # -- readiness ------------------------------------------------------------------------------

    def _check_alive(self, name: str) -> None:
        proc = self._procs[name]
        if proc.poll() is not None:
            raise ClusterError(
                f"{name} exited with {proc.returncode}:\n{self.log_path(name).read_text()[-4000:]}"
            )

    def _wait_serving(self, name: str, dep: Deployment) -> None:
        port = self._health_ports.get(dep.name, self._ports[dep.name])  # TLS servers: the probes' port
        if not infra.wait_serving(f"127.0.0.1:{port}", lambda: self._check_alive(name), START_TIMEOUT):
            raise ClusterError(f"{name} not SERVING after {START_TIMEOUT} s")

    def _wait_worker(self, name: str, dep: Deployment, offset: int) -> None:
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
            mine = self.queues(dep)
            if all(consumers for _, consumers in mine.values()):
                return
            if time.monotonic() > deadline:
                raise ClusterError(f"{name}: queues without consumers after {START_TIMEOUT} s: {mine}")
            time.sleep(0.2)

    def queues(self, dep: Deployment | str) -> dict[str, tuple[int, int]]:
        """A worker deployment's queues on its broker: name → (messages ready, consumers)."""
        from kombu import Connection

        from xueji_common.messaging.bus import queue_name

        dep = self.deployments[dep] if isinstance(dep, str) else dep
        out = {}
        with Connection(self.amqp[dep.broker], connect_timeout=5) as conn:
            channel = conn.channel()
            for sub in self._spec(dep.service).subscriptions:
                name = queue_name(dep.service, sub)
                _, messages, consumers = channel.queue_declare(name, passive=True)
                out[name] = (messages, consumers)
        return out

    def _note(self, name: str, text: str) -> None:
        with self.log_path(name).open("a") as f:
            f.write(f"=== cluster: {text} at {time.strftime('%H:%M:%S')}\n")


def _stop_on_signal(signum, _frame) -> None:
    """SIGTERM / SIGHUP end the cluster as Ctrl-C does: its processes run in their own sessions
    (a signal to ours does not reach them), so only the clean-up on the way out stops them."""
    for sig in (signal.SIGTERM, signal.SIGHUP, signal.SIGINT):
        signal.signal(sig, signal.SIG_IGN)  # a second signal must not cut the clean-up short
    raise SystemExit(128 + signum)


class _Certificates:
    """A CA of the cluster and two certificates it issues: the national tier's (server) and the
    provinces' (client), PEM files under `where`."""

    def __init__(self, where: Path) -> None:
        import trustme

        where.mkdir(parents=True)
        ca = trustme.CA()
        self.ca_file = str(where / "ca.pem")
        ca.cert_pem.write_to_path(self.ca_file)
        self.files = {}
        for tier, identity in (("national", "127.0.0.1"), ("province", "province.xueji.example")):
            cert = ca.issue_cert(identity, "localhost")
            self.files[tier] = (str(where / f"{tier}.pem"), str(where / f"{tier}.key"))
            Path(self.files[tier][0]).write_bytes(b"".join(b.bytes() for b in cert.cert_chain_pems))
            cert.private_key_pem.write_to_path(self.files[tier][1])

    def env(self, server: bool) -> dict[str, str]:
        if server:
            cert, key = self.files["national"]
            return dict(
                XUEJI_TLS_CERT_FILE=cert,
                XUEJI_TLS_KEY_FILE=key,
                XUEJI_TLS_CA_FILE=self.ca_file,
                XUEJI_TLS_CLIENT_AUTH="require",
            )
        cert, key = self.files["province"]
        return dict(
            XUEJI_TLS_CLIENT_CERT_FILE=cert, XUEJI_TLS_CLIENT_KEY_FILE=key, XUEJI_TLS_CA_FILE=self.ca_file
        )

    def client(self, certificate: bool = True):
        from xueji_common.config import TlsConfig

        cert, key = self.files["province"] if certificate else ("", "")
        return TlsConfig(ca_file=self.ca_file, client_cert_file=cert, client_key_file=key)


def _drop_redis_keys(prefix: str) -> None:
    import redis

    try:
        client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2)
        for key in client.scan_iter(f"{prefix}*"):
            client.delete(key)
        client.close()
    except redis.RedisError as exc:
        print(f"cluster: cannot delete the Redis keys {prefix}*: {exc}", file=sys.stderr)


def main(argv: list[str]) -> None:
    """A development cluster of the given provinces (default zj) on the machine's servers."""
    mtls = "--mtls" in argv
    argv = [a for a in argv if a != "--mtls"]
    provinces = argv or ["zj"]
    unknown = [p for p in provinces if p not in PROVINCES]
    if unknown:
        sys.exit(f"unknown province {unknown}; choose among {sorted(PROVINCES)}")
    signal.signal(signal.SIGTERM, _stop_on_signal)
    signal.signal(signal.SIGHUP, _stop_on_signal)
    with Cluster(system(provinces), mtls=mtls) as c:  # a signal during the start: the start cleans up
        print(
            f"logs in {c.dir}\ntokens: python -c 'from tests.e2e.cluster import *' ... (test issuer jwks "
            f"{c._issuer_jwks}); accounts JWKS: {', '.join(map(c.jwks_address, c._jwks_ports))}"
        )
        if c.tls:
            cert, key = c.tls.files["province"]
            print(
                f"XUEJI_TLS_CA_FILE={c.tls.ca_file}\nXUEJI_TLS_CLIENT_CERT_FILE={cert}\n"
                f"XUEJI_TLS_CLIENT_KEY_FILE={key}"
            )
        for name in c._ports:
            print(f"{name:22} {c.peer_address(name)}")
        print(f"databases: {' '.join(url.rsplit('/', 1)[1] for url in c.db.values())}")
        print(f"vhosts: {' '.join(f'{key}={vhost}' for key, vhost in c.vhosts.items())}")
        print("Ctrl-C (or SIGTERM) stops the cluster and drops its databases.", flush=True)
        try:
            signal.pause()
        except (KeyboardInterrupt, SystemExit):
            pass


if __name__ == "__main__":
    main(sys.argv[1:])
