"""`xueji-<service>-worker`: the nameko worker process of one service.

Importing this module patches the process for eventlet, so it must be imported before anything
else that opens sockets or threads: the service's worker entrypoint imports it first.
"""

from xueji_common.messaging import green

green.patch()

import logging  # noqa: E402

from xueji_common import logs, tracing  # noqa: E402
from xueji_common.config import ConfigError, Settings  # noqa: E402
from xueji_common.messaging.liveness import WorkerLiveness  # noqa: E402
from xueji_common.metrics import serve_metrics  # noqa: E402
from xueji_common.runtime.bootstrap import ServiceRuntime  # noqa: E402
from xueji_common.runtime.periodic import PeriodicRunner  # noqa: E402
from xueji_common.runtime.spec import load_specs  # noqa: E402

log = logging.getLogger(__name__)


def run(service_name: str) -> None:
    from xueji_common.messaging.worker import run_worker

    try:
        settings = Settings.from_env()
    except ConfigError as exc:  # not a click command: print it as the servers' commands do
        exc.show()
        raise SystemExit(exc.exit_code) from None
    logs.configure(settings.log_level, settings.log_format, service=f"{service_name}-worker")
    tracing.setup(settings, f"{service_name}-worker")
    [spec] = load_specs([service_name])
    runtime = ServiceRuntime(spec, settings)
    liveness = WorkerLiveness()  # /healthz on the metrics port: the hub turns, no handler is stuck
    serve_metrics(settings.metrics_port, settings.metrics_bind_host(), health=liveness)
    periodic = PeriodicRunner.of(runtime)  # the service's jobs, on threads beside the handlers
    periodic.start()
    try:
        run_worker(
            service_name,
            runtime.consumers(),
            settings.amqp_uri,
            concurrency=settings.worker_concurrency or spec.worker_concurrency,
            liveness=liveness,
        )
    finally:
        periodic.stop()
        runtime.close()  # the engine and the channels periodic jobs opened to peers
        tracing.uninstall()
