"""The nameko worker: a process of event handlers consuming from RabbitMQ.

Import only in a process patched by `messaging.green.patch()` (the `worker` entrypoint patches
first): sockets are green, threads are real. Handlers do blocking database and gRPC work, which
would stall eventlet's hub, so each runs on a real thread through eventlet.tpool
(docs/PLATFORM.md#nameko-eventlet-and-grpc).
At most `concurrency` handlers run at once; the others wait for a slot on their tpool thread.
Messages are acknowledged after the handler's transaction commits; a failing handler requeues the
message after a short pause.
"""

from __future__ import annotations

import logging
import signal

import eventlet
from eventlet import tpool
from nameko.events import event_handler
from nameko.runners import ServiceRunner

from xueji_common import metrics
from xueji_common.errors import ConcurrentModification, Unavailable
from xueji_common.messaging.bus import decode_body
from xueji_common.messaging.consumer import EventConsumer
from xueji_common.messaging.liveness import WorkerLiveness

log = logging.getLogger(__name__)

REQUEUE_PAUSE_SECONDS = 1.0
# tpool's threads (EVENTLET_THREADPOOL_SIZE, default 20) bound the handlers in flight per process.
MAX_CONCURRENCY = 16
# Real threading whatever the patching: the slots are taken on tpool's real threads.
_threading = eventlet.patcher.original("threading")


class Redeliver(Exception):
    """The handler met a transient condition (a concurrent change, a dependency down) and asks for
    the message again. The consumer has logged why (INFO for a conflict); nameko's own line for it,
    an ERROR with a traceback otherwise, is dropped by `_QuietRedeliveries`."""


class _QuietRedeliveries(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        return not (record.exc_info and isinstance(record.exc_info[1], Redeliver))


logging.getLogger("nameko.containers").addFilter(_QuietRedeliveries())


def _method_for(consumer: EventConsumer, slots, liveness):
    sub = consumer.subscription

    def handle(self, payload):
        try:
            body = decode_body(payload)
        except (TypeError, ValueError):  # not a base64 string (binascii.Error is a ValueError)
            # It will never become readable: acknowledge (drop) it loudly instead of requeueing it
            # forever, as EventConsumer does with bodies that are no envelope.
            metrics.EVENTS_CONSUMED.labels(consumer.service, sub.event_type, "unreadable").inc()
            log.error("dropping undecodable message", extra={"fields": {"service": consumer.service}})
            return "unreadable"
        try:
            return tpool.execute(_in_a_slot, slots, consumer, body, liveness)
        except (ConcurrentModification, Unavailable) as exc:
            eventlet.sleep(REQUEUE_PAUSE_SECONDS)  # do not spin on a dependency that is down
            raise Redeliver(type(exc).__name__) from exc
        except Exception:
            eventlet.sleep(REQUEUE_PAUSE_SECONDS)
            raise

    handle.__name__ = sub.method_name
    return event_handler(
        sub.producer, sub.event_type, requeue_on_error=True, expected_exceptions=(Redeliver,)
    )(handle)


def _in_a_slot(slots, consumer: EventConsumer, body: bytes, liveness: WorkerLiveness | None) -> str:
    with slots:
        if liveness is None:
            return consumer(body)
        token = liveness.handler_started(consumer.subscription.event_type)
        try:
            return consumer(body)
        finally:
            liveness.handler_ended(token)


def build_service_class(
    service_name: str,
    consumers: list[EventConsumer],
    concurrency: int = 1,
    liveness: WorkerLiveness | None = None,
) -> type:
    """A nameko service class with one event handler method per subscription.

    Queue names derive from the method names (`evt-<producer>-<type>--<service>.<method>`), so they
    stay the same across restarts: events published while the worker is down wait in its queues.
    """
    if not 1 <= concurrency <= MAX_CONCURRENCY:
        raise ValueError(f"worker concurrency must be 1..{MAX_CONCURRENCY}, got {concurrency}")
    slots = _threading.BoundedSemaphore(concurrency)  # shared by all handlers of the process
    attrs = {"name": service_name}
    for consumer in consumers:
        method = _method_for(consumer, slots, liveness)
        attrs[method.__name__] = method
    return type(f"{service_name.title().replace('-', '')}Worker", (), attrs)


def run_worker(
    service_name: str,
    consumers: list[EventConsumer],
    amqp_uri: str,
    *,
    concurrency: int = 1,
    liveness: WorkerLiveness | None = None,
) -> None:
    # nameko's max_workers is also the prefetch: a few messages more than slots keeps them busy.
    config = {"AMQP_URI": amqp_uri, "max_workers": max(10, 2 * concurrency), "serializer": "json"}
    runner = ServiceRunner(config)
    runner.add_service(build_service_class(service_name, consumers, concurrency, liveness))

    def shutdown(signum, frame):
        eventlet.spawn_n(runner.stop)

    signal.signal(signal.SIGTERM, shutdown)
    signal.signal(signal.SIGINT, shutdown)
    runner.start()
    if liveness is not None:
        liveness.start()
    log.info(
        "worker started",
        extra={"fields": {"service": service_name, "handlers": len(consumers), "concurrency": concurrency}},
    )
    runner.wait()
    log.info("worker stopped", extra={"fields": {"service": service_name}})
