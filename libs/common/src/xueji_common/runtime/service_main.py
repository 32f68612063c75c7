"""Production entrypoints of one service: `xueji-<service> serve | migrate`.

The nameko worker is a separate command (`xueji-<service>-worker`, see worker_main) because it needs
an eventlet-patched process, and a gRPC server cannot live in one
(docs/PLATFORM.md#nameko-eventlet-and-grpc).
"""

from __future__ import annotations

import logging

import click

from xueji_common import logs, tracing
from xueji_common.config import Settings
from xueji_common.grpcserver.server import GrpcServer
from xueji_common.messaging.bus import NamekoPublisher, declare_consumer_queues, delete_retired_queues
from xueji_common.metrics import serve_metrics
from xueji_common.runtime import health
from xueji_common.runtime.bootstrap import ServiceRuntime
from xueji_common.runtime.spec import load_specs

log = logging.getLogger(__name__)


def service_cli(service_name: str) -> click.Group:
    @click.group(help=f"Xueji {service_name} service (production mode).")
    def cli() -> None:
        pass

    @cli.command(help="Apply the database migrations and declare the service's event queues, then exit.")
    @click.option(
        "--queues/--no-queues",
        "declare_queues",
        default=True,
        help="Declare the worker's event queues on this broker (--no-queues: no worker consumes here).",
    )
    def migrate(declare_queues: bool) -> None:
        runtime = _runtime(service_name)
        runtime.migrate()
        log.info("migrations applied", extra={"fields": {"service": service_name}})
        # A durable queue nothing consumes fills up forever and reads as a dead consumer.
        if declare_queues and runtime.spec.subscriptions:
            queues = declare_consumer_queues(
                service_name, runtime.spec.subscriptions, runtime.settings.amqp_uri
            )
            log.info("event queues declared", extra={"fields": {"service": service_name, "queues": queues}})
        if declare_queues and runtime.spec.retired_queues:
            retired = delete_retired_queues(runtime.spec.retired_queues, runtime.settings.amqp_uri)
            if retired:
                log.info(
                    "retired event queues deleted",
                    extra={"fields": {"service": service_name, "queues": retired}},
                )
        runtime.close()

    @cli.command(help="Run the gRPC server and the outbox relay until SIGTERM.")
    @click.option(
        "--migrate/--no-migrate",
        "run_migrations",
        default=False,
        help="Apply migrations before serving (single-instance setups).",
    )
    def serve(run_migrations: bool) -> None:
        runtime = _runtime(service_name)
        if run_migrations:
            runtime.migrate()
        relay = runtime.attach_relay(NamekoPublisher(runtime.settings.amqp_uri))
        server = GrpcServer(
            runtime.spec.grpc_bindings(runtime),
            runtime.settings.grpc_address,
            runtime.tokens,
            public_methods=runtime.spec.public_methods,
            max_workers=runtime.settings.grpc_workers,
            readiness_names=(service_name,),
            drain=runtime.settings.shutdown_delay,
            tree=runtime.tree,
            tls=runtime.settings.tls,
            health_address=runtime.settings.health_address,
            access_log_interval=runtime.settings.access_log_summary_interval,
        )
        # The broker matters to readiness only where the service takes part in the bus (accounts does not).
        checks = [health.database(runtime.database_url)]
        if runtime.spec.subscriptions:
            checks.append(health.broker(runtime.settings.amqp_uri))
        monitor = health.DependencyMonitor(
            checks, server.set_ready, interval=runtime.settings.health_interval, name=service_name
        )
        serve_metrics(runtime.settings.metrics_port, runtime.settings.metrics_bind_host())
        relay.start()
        if runtime.spec.on_start is not None:
            runtime.spec.on_start(runtime)
        monitor.start()
        server.start()

        def stopped() -> None:
            monitor.stop()
            runtime.close()
            tracing.uninstall()  # send the spans still queued

        server.wait_for_termination(on_stop=stopped)

    return cli


def _runtime(service_name: str) -> ServiceRuntime:
    settings = Settings.from_env()
    logs.configure(settings.log_level, settings.log_format, service=service_name)
    tracing.setup(settings, service_name)
    [spec] = load_specs([service_name])
    return ServiceRuntime(spec, settings)
