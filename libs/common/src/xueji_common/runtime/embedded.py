"""Embedded mode: all six services in one process on one address, SQLite files, in-process bus."""
from __future__ import annotations

import logging

from xueji_common import logs, tracing
from xueji_common.config import Settings
from xueji_common.grpcserver.server import GrpcServer
from xueji_common.messaging.bus import InProcessBus
from xueji_common.metrics import serve_metrics
from xueji_common.runtime.bootstrap import ServiceRuntime
from xueji_common.runtime.periodic import PeriodicRunner
from xueji_common.runtime.spec import load_specs

log = logging.getLogger(__name__)


class EmbeddedSystem:
    """Builds every installed service over one in-process bus and one gRPC server."""

    def __init__(self, settings: Settings, service_names: list[str] | None = None, seed: bool = True) -> None:
        self.settings = settings
        self.bus = InProcessBus()
        self.runtimes = [ServiceRuntime(spec, settings) for spec in load_specs(service_names)]
        for runtime in self.runtimes:
            runtime.migrate()
            if seed and runtime.spec.seed_demo is not None:
                runtime.spec.seed_demo(runtime)
            for consumer in runtime.consumers():
                sub = consumer.subscription
                self.bus.subscribe(sub.producer, sub.event_type, consumer)
            runtime.attach_relay(self.bus)
        self.periodic = [PeriodicRunner.of(r) for r in self.runtimes]
        bindings = [b for r in self.runtimes for b in r.spec.grpc_bindings(r)]
        public = frozenset().union(*(r.spec.public_methods for r in self.runtimes))
        self.server = GrpcServer(
            bindings,
            settings.grpc_address,
            self.runtimes[0].tokens,
            public_methods=public,
            max_workers=settings.grpc_workers,
            readiness_names=tuple(r.name for r in self.runtimes),
            tree=self.runtimes[0].tree,
            tls=settings.tls,
            health_address=settings.health_address,
            access_log_interval=settings.access_log_summary_interval,
        )

    def runtime(self, name: str) -> ServiceRuntime:
        return next(r for r in self.runtimes if r.name == name)

    def start(self) -> None:
        for runtime in self.runtimes:
            runtime.relay.start()
            if runtime.spec.on_start is not None:
                runtime.spec.on_start(runtime)
        self.server.start()
        for jobs in self.periodic:
            jobs.start()

    def stop(self) -> None:
        self.server.stop(grace=5)
        self.close()

    def close(self) -> None:
        for jobs in self.periodic:
            jobs.stop()
        for runtime in self.runtimes:
            runtime.close()


def run(settings: Settings | None = None) -> None:
    settings = settings or Settings.from_env()
    logs.configure(settings.log_level, settings.log_format)
    tracing.setup(settings, "embedded")   # off unless XUEJI_OTLP_ENDPOINT is set
    system = EmbeddedSystem(settings)
    serve_metrics(settings.metrics_port, settings.metrics_bind_host())
    system.start()
    frontends = [make(settings) for make in load_frontends()]
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
    return f"""
学籍 Xueji is running (embedded mode) on {settings.grpc_address}
Services:
{services}
Data: {settings.data_dir.resolve()}   Metrics: http://{settings.metrics_bind_host()}:{settings.metrics_port}/metrics

Try it (in another terminal):
  .venv/bin/xueji login --user admin                                   # demo accounts: docs/ACCOUNTS.md
  .venv/bin/xueji token --role school_registrar --org <school code>      # print a development token
  .venv/bin/xueji orgs --level school | head                           # demo schools
  .venv/bin/xueji health                                               # health of every service
  .venv/bin/xueji call xueji.v1.Reviews/GetPendingSummary '{{"school_code": "<school code>"}}' \\
      --role school_leader --org <school code>
Stop with Ctrl-C.
""" + "".join(f"""
Web console: sign in as a demo user after giving it a password, e.g.
  .venv/bin/xueji-accounts reset-password registrar-1330102001    # 学校学籍管理员, 杭州市上城区胜利小学
  .venv/bin/xueji-accounts reset-password leader-1330102001       # 学校学籍主管领导
open {frontend.url}
""" for frontend in frontends)
