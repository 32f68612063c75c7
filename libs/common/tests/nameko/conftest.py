"""The nameko worker in-process, against a real RabbitMQ vhost and a real PostgreSQL database.

Patches the interpreter for eventlet before anything else of this suite is imported (nameko tests
hang otherwise: docs/PLATFORM.md#nameko-eventlet-and-grpc). Run this directory as its own pytest
invocation, never together with gRPC server tests:  .venv/bin/python -m pytest libs/common/tests/nameko -q
"""

from xueji_common.messaging import green

green.patch()  # as the worker process patches itself

import uuid  # noqa: E402
from dataclasses import dataclass, field  # noqa: E402

import eventlet  # noqa: E402
import pytest  # noqa: E402
from nameko.runners import ServiceRunner  # noqa: E402
from sqlalchemy import Column, Integer, MetaData, String, Table, func, select  # noqa: E402
from sqlalchemy.orm import sessionmaker  # noqa: E402

from xueji_common import metrics  # noqa: E402
from xueji_common.db.engine import make_engine  # noqa: E402
from xueji_common.db.messaging_tables import add_messaging_tables  # noqa: E402
from xueji_common.db.uow import SqlAlchemyUnitOfWork  # noqa: E402
from xueji_common.messaging.consumer import EventConsumer, Subscription  # noqa: E402
from xueji_common.messaging.worker import build_service_class  # noqa: E402

WAIT = 15.0  # seconds: the bound of every wait in this suite


class Store:
    """A spec-free service database: outbox + inbox + one table the handlers write to."""

    def __init__(self, url: str) -> None:
        self.metadata = MetaData()
        self.outbox, self.inbox = add_messaging_tables(self.metadata)
        self.handled = Table(
            "handled",
            self.metadata,
            Column("id", Integer, primary_key=True, autoincrement=True),
            Column("event_id", String(36), nullable=False),
            Column("application_id", String(36), nullable=False),
        )
        self.engine = make_engine(url)
        self.metadata.create_all(self.engine)
        self.sessions = sessionmaker(self.engine, expire_on_commit=False)

    def uow(self) -> SqlAlchemyUnitOfWork:
        return SqlAlchemyUnitOfWork(self.sessions, "nameko-test", self.outbox, self.inbox)

    def count(self, table, *where) -> int:
        with self.engine.connect() as conn:
            return conn.execute(select(func.count()).select_from(table).where(*where)).scalar_one()


@dataclass
class Worker:
    service: str
    runner: ServiceRunner
    consumers: list = field(default_factory=list)

    def consumed(self, event_type: str, result: str) -> float:
        """xueji_events_consumed_total{service, event_type, result} of this worker."""
        return metrics.EVENTS_CONSUMED.labels(self.service, event_type, result)._value.get()

    def queue_names(self) -> list[str]:
        container = self.runner.service_map[self.service]
        return sorted(ep.queue.name for ep in container.entrypoints)


@pytest.fixture
def store(pg_database):
    s = Store(pg_database("xueji_nameko"))
    yield s
    s.engine.dispose()


@pytest.fixture
def start_worker(amqp_uri, store):
    """start_worker(*subscriptions, concurrency=1, liveness=None) → a running in-process worker
    (build_service_class + ServiceRunner)."""
    runners = []

    def start(*subscriptions: Subscription, concurrency: int = 1, liveness=None) -> Worker:
        service = f"nameko_test_{uuid.uuid4().hex[:8]}"
        consumers = [EventConsumer(service, s, store.uow) for s in subscriptions]
        runner = ServiceRunner(
            {"AMQP_URI": amqp_uri, "max_workers": max(10, 2 * concurrency), "serializer": "json"}
        )
        runner.add_service(build_service_class(service, consumers, concurrency, liveness))
        runners.append(runner)
        with eventlet.Timeout(WAIT):
            runner.start()  # returns once its queues are declared and consumed
        return Worker(service, runner, consumers)

    yield start
    for runner in runners:
        try:
            with eventlet.Timeout(WAIT):
                runner.stop()
        except eventlet.Timeout:
            runner.kill()
