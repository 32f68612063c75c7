"""The nameko worker: a process of event handlers consuming from RabbitMQ.

Import only in an eventlet-patched process (the `worker` entrypoint patches first). Handlers do
blocking database work, which would stall eventlet's hub, so each runs on a real thread through
eventlet.tpool (PLATFORM-NOTES). Messages are acknowledged after the handler's transaction commits;
a failing handler requeues the message after a short pause.
"""
from __future__ import annotations

import logging
import signal

import eventlet
from eventlet import tpool
from nameko.events import event_handler
from nameko.runners import ServiceRunner

from xueji_common import metrics
from xueji_common.messaging.bus import decode_body
from xueji_common.messaging.consumer import EventConsumer

log = logging.getLogger(__name__)

REQUEUE_PAUSE_SECONDS = 1.0
# One handler at a time on the tpool threads. Locks created after monkey patching (SQLAlchemy's pool,
# the runtime's channel cache...) are green: taken by two real threads at once, the waiter's wake-up
# raises greenlet.error "Cannot switch to a different thread" in the hub and the handler hangs for
# good (seen end to end: a worker that stops consuming and ignores SIGTERM). A real lock here keeps
# those green locks uncontended.
_HANDLER_LOCK = eventlet.patcher.original("threading").Lock()


def _method_for(consumer: EventConsumer):
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
            return tpool.execute(_one_at_a_time, consumer, body)
        except Exception:
            eventlet.sleep(REQUEUE_PAUSE_SECONDS)  # do not spin on a dependency that is down
            raise

    handle.__name__ = sub.method_name
    return event_handler(sub.producer, sub.event_type, requeue_on_error=True)(handle)


def _one_at_a_time(consumer: EventConsumer, body: bytes) -> str:
    with _HANDLER_LOCK:
        return consumer(body)


def build_service_class(service_name: str, consumers: list[EventConsumer]) -> type:
    """A nameko service class with one event handler method per subscription.

    Queue names derive from the method names (`evt-<producer>-<type>--<service>.<method>`), so they
    stay the same across restarts: events published while the worker is down wait in its queues.
    """
    attrs = {"name": service_name}
    for consumer in consumers:
        method = _method_for(consumer)
        attrs[method.__name__] = method
    return type(f"{service_name.title().replace('-', '')}Worker", (), attrs)


def run_worker(service_name: str, consumers: list[EventConsumer], amqp_uri: str, max_workers: int = 10) -> None:
    config = {"AMQP_URI": amqp_uri, "max_workers": max_workers, "serializer": "json"}
    runner = ServiceRunner(config)
    runner.add_service(build_service_class(service_name, consumers))

    def shutdown(signum, frame):
        eventlet.spawn_n(runner.stop)

    signal.signal(signal.SIGTERM, shutdown)
    signal.signal(signal.SIGINT, shutdown)
    runner.start()
    log.info("worker started", extra={"fields": {"service": service_name, "handlers": len(consumers)}})
    runner.wait()
    log.info("worker stopped", extra={"fields": {"service": service_name}})
