"""Embedded mode: every service in one process on one address, SQLite files, in-process buses.

The process keeps the tiers of production apart (docs/ARCHITECTURE.md#embedded-mode): each
province it runs (`xueji serve --provinces zj,js`; default every province of the org tree) has its
own registration, review, dedup (province scope) and special-ed, on SQLite files of its own
(`<data>/<province>/<service>.db`) and its own in-process bus; the nation has one dedup (national
scope, also the population register) and national-query (`<data>/nation/`), and accounts
(`<data>/accounts.db`) issues every tier's tokens. Each tier listens on a loopback port of its own,
where its services call each other and the nation as production's deployments do; national-query
consumes every province's bus, as its per-province workers do. The public address is a front that
routes each call to its tier (runtime.routing).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from xueji_common import logs, tracing
from xueji_common.config import Settings
from xueji_common.grpcserver.server import GrpcBinding, GrpcServer
from xueji_common.messaging.bus import InProcessBus
from xueji_common.metrics import serve_metrics
from xueji_common.orgunits import MINISTRY_CODE
from xueji_common.runtime import provinces as province_choice
from xueji_common.runtime.bootstrap import ServiceRuntime, org_tree
from xueji_common.runtime.periodic import PeriodicRunner
from xueji_common.runtime.routing import front_bindings
from xueji_common.runtime.spec import ServiceSpec, load_specs

log = logging.getLogger(__name__)

PROVINCE_SERVICES = ("registration", "review", "dedup", "special-ed")
NATIONAL_SERVICES = ("dedup", "national-query")  # under <data>/nation/; others (accounts) at the top
# The nation's services as their peers name them: separate deployments in production
# (tests/e2e/cluster.py system()); here the national dedup is also the population register.
NATIONAL_PEERS = ("dedup-national", "population-register", "national-query", "accounts")
# National services that consume the provinces' events (production: one worker per province vhost).
# The national dedup runs no worker in production, so it subscribes to nothing here either.
PROVINCE_EVENT_CONSUMERS = ("national-query",)
LOOPBACK = "127.0.0.1:0"  # a tier's own server: a free loopback port
NATION = "nation"  # the national tier's key (its data directory's name)


@dataclass
class Tier:
    """The services of one province, or of the nation, with their bus and their server."""

    key: str  # "zj", "js"...; "nation"
    code: str  # "330000"...; "000000"
    name: str  # "浙江省"; "全国"
    server: GrpcServer
    runtimes: list[ServiceRuntime] = field(default_factory=list)
    bus: InProcessBus = field(default_factory=InProcessBus)
    bindings: list[GrpcBinding] = field(default_factory=list)

    @property
    def address(self) -> str:
        return self.server.address

    @property
    def national(self) -> bool:
        return self.key == NATION


def database_url(settings: Settings, tier: str, service: str) -> str:
    """Where a service of a tier ("zj", "nation") keeps its data in embedded mode:
    `<data>/<tier>/<service>.db`; accounts (every tier's issuer) at `<data>/accounts.db`."""
    if settings.database_url or (tier == NATION and service not in NATIONAL_SERVICES):
        return settings.database_url_for(service)
    return f"sqlite:///{settings.data_dir / tier / (service + '.db')}"


class EmbeddedSystem:
    """Builds the tiers (runtimes, bus, loopback server each) and the public front."""

    def __init__(
        self,
        settings: Settings,
        service_names: list[str] | None = None,
        seed: bool = True,
        provinces: str | list[str] | None = None,
    ) -> None:
        self.settings = settings
        self.tree = org_tree(settings)
        self.tokens = settings.token_service(self.tree)
        specs = load_specs(service_names)
        self._public = frozenset().union(*(s.public_methods for s in specs))
        # Servers first (they listen at construction): the runtimes' peers are their addresses.
        # The public one before the tiers' free ports, so none of those can be its configured port.
        self.server = GrpcServer(
            [],
            settings.grpc_address,
            self.tokens,
            public_methods=self._public,
            max_workers=settings.grpc_workers,
            tree=self.tree,
            tls=settings.tls,
            health_address=settings.health_address,
            access_log_interval=settings.access_log_summary_interval,
        )
        self.nation = Tier(NATION, MINISTRY_CODE, "全国", self._tier_server())
        self.provinces: list[Tier] = []
        province_specs = [s for s in specs if s.name in PROVINCE_SERVICES]
        if province_specs:
            for choice in province_choice.choose(self.tree, provinces):
                self.provinces.append(Tier(choice.key, choice.code, choice.name, self._tier_server()))
        self.tiers = [self.nation, *self.provinces]
        self._add_runtimes(
            self.nation, [s for s in specs if s.name not in PROVINCE_SERVICES or s.name == "dedup"]
        )
        for tier in self.provinces:
            self._add_runtimes(tier, province_specs)
        self.runtimes = [r for t in self.tiers for r in t.runtimes]
        for tier in self.tiers:
            self._wire(tier, seed)
        self.periodic = [PeriodicRunner.of(r) for r in self.runtimes]
        self.server.add_bindings(
            front_bindings({t.code: t.bindings for t in self.provinces}, self.nation.bindings, self.tree),
            readiness_names=[r.name for r in self.runtimes],
        )

    def _tier_server(self) -> GrpcServer:
        return GrpcServer(
            [],
            LOOPBACK,
            self.tokens,
            public_methods=self._public,
            max_workers=self.settings.grpc_workers,
            tree=self.tree,
        )

    def _add_runtimes(self, tier: Tier, specs: list[ServiceSpec]) -> None:
        peers = {name: self.nation.address for name in NATIONAL_PEERS}
        if not tier.national:
            peers.update({name: tier.address for name in PROVINCE_SERVICES})
        settings = self.settings.with_(
            peers={**peers, **self.settings.peers},  # XUEJI_PEER_* still win
            scope="national" if tier.national else "province",
        )
        for spec in specs:
            tier.runtimes.append(ServiceRuntime(spec, settings, self._database_url(tier, spec.name)))
        tier.bindings = [b for r in tier.runtimes for b in r.spec.grpc_bindings(r)]
        tier.server.add_bindings(tier.bindings)

    def _database_url(self, tier: Tier, service: str) -> str:
        return database_url(self.settings, tier.key, service)

    def _wire(self, tier: Tier, seed: bool) -> None:
        """Migrate, seed the nation's demo data, subscribe the consumers, attach the relays."""
        for runtime in tier.runtimes:
            runtime.migrate()
            if seed and tier.national and runtime.spec.seed_demo is not None:
                runtime.spec.seed_demo(runtime)
            if not tier.national:
                buses = [tier.bus]
            else:
                buses = [p.bus for p in self.provinces] if runtime.name in PROVINCE_EVENT_CONSUMERS else []
            for consumer in runtime.consumers():
                sub = consumer.subscription
                for bus in buses:
                    bus.subscribe(sub.producer, sub.event_type, consumer)
            runtime.attach_relay(tier.bus)

    def tier(self, province: str | None = None) -> Tier:
        """A province's tier by key or code ("zj", "330000"); the nation's for None or "nation"."""
        if province in (None, NATION):
            return self.nation
        return next(t for t in self.provinces if province in (t.key, t.code))

    def runtime(self, name: str, province: str | None = None) -> ServiceRuntime:
        """A service's runtime: of the given province ("zj"), else the only one of that name."""
        tiers = [self.tier(province)] if province is not None else self.tiers
        found = [r for t in tiers for r in t.runtimes if r.name == name]
        if len(found) != 1:
            raise LookupError(f"{len(found)} runtimes named {name!r}: name the province (zj, js...)")
        return found[0]

    def start(self) -> None:
        for runtime in self.runtimes:
            runtime.relay.start()
            if runtime.spec.on_start is not None:
                runtime.spec.on_start(runtime)
        for tier in self.tiers:
            tier.server.start()
        self.server.start()
        for jobs in self.periodic:
            jobs.start()

    def stop(self) -> None:
        self.server.stop(grace=5)
        self.close()

    def close(self) -> None:
        for jobs in self.periodic:
            jobs.stop()
        for tier in self.tiers:
            tier.server.stop(grace=2)
        for runtime in self.runtimes:
            runtime.close()


def run(settings: Settings | None = None, provinces: str | None = None) -> None:
    settings = settings or Settings.from_env()
    logs.configure(settings.log_level, settings.log_format)
    tracing.setup(settings, "embedded")  # off unless XUEJI_OTLP_ENDPOINT is set
    # The configured ports first (metrics, then the front ends at construction, then the public
    # gRPC server in EmbeddedSystem): the tier servers after them take free loopback ports, and
    # could otherwise be given one of these.
    serve_metrics(settings.metrics_port, settings.metrics_bind_host())
    frontends = [make(settings) for make in load_frontends()]
    system = EmbeddedSystem(settings, provinces=provinces)
    system.start()
    for frontend in frontends:
        frontend.start()

    def stop() -> None:
        for frontend in frontends:
            frontend.stop()
        system.close()
        tracing.uninstall()

    # One write (the banner ends with its newline): log lines on the same stream from the threads
    # already serving cannot land between the banner and a newline print would add after it.
    print(_banner(settings, system, frontends), end="", flush=True)
    system.server.wait_for_termination(on_stop=stop)


def load_frontends() -> list:
    """Web front ends installed beside the services (entry point group `xueji.frontends`: the
    console), each a class taking the settings with start(), stop() and url."""
    from importlib.metadata import entry_points

    return [ep.load() for ep in sorted(entry_points(group="xueji.frontends"), key=lambda ep: ep.name)]


def _banner(settings: Settings, system: EmbeddedSystem, frontends: list = ()) -> str:
    services = "\n".join(f"  - {name}" for name in system.server.service_names)
    provinces = ", ".join(f"{t.name} {t.key}" for t in system.provinces) or "-"
    return f"""
学籍 Xueji is running (embedded mode) on {settings.grpc_address}
Services:
{services}
Provinces: {provinces}   (each its own data under {settings.data_dir.resolve()}/<key>)
Data: {settings.data_dir.resolve()}   Metrics: http://{settings.metrics_bind_host()}:{settings.metrics_port}/metrics

Try it (in another terminal):
  .venv/bin/xueji login --user admin                                   # demo accounts: docs/ACCOUNTS.md
  .venv/bin/xueji token --role school_registrar --org <school code>      # print a development token
  .venv/bin/xueji orgs --level school | head                           # demo schools
  .venv/bin/xueji health                                               # health of every service
  .venv/bin/xueji call xueji.v1.Reviews/GetPendingSummary '{{"school_code": "<school code>"}}' \\
      --role school_leader --org <school code>
Stop with Ctrl-C.
""" + "".join(
        f"""
Web console: sign in as a demo user after giving it a password, e.g.
  .venv/bin/xueji-accounts reset-password registrar-1330102001    # 学校学籍管理员, 杭州市上城区胜利小学
  .venv/bin/xueji-accounts reset-password leader-1330102001       # 学校学籍主管领导
open {frontend.url}
"""
        for frontend in frontends
    )
