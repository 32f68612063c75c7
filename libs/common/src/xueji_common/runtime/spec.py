"""What a service declares so that the shared runners can host it."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import MetaData

from xueji_common.messaging.consumer import Subscription

if TYPE_CHECKING:
    from xueji_common.grpcserver.server import GrpcBinding
    from xueji_common.runtime.bootstrap import ServiceRuntime
    from xueji_common.runtime.periodic import PeriodicTask


@dataclass(frozen=True)
class ServiceSpec:
    name: str  # "registration", "national-query"...
    metadata: MetaData  # its tables, outbox and inbox included
    versions_dir: Path  # its Alembic versions/
    # Builds the unit of work factory from the runtime (session factory, relay hook...).
    make_uow: Callable[[ServiceRuntime], Callable[[], object]]
    grpc_bindings: Callable[[ServiceRuntime], list[GrpcBinding]]
    subscriptions: list[Subscription] = field(default_factory=list)
    # Queues of subscriptions the service dropped (messaging.bus.queue_name of each): `migrate`
    # deletes them, or RabbitMQ would keep routing their events to a queue nobody consumes.
    retired_queues: tuple[str, ...] = ()
    # Methods callable without a token (full names, "/xueji.v1.NationalQuery/CreateCaptcha").
    public_methods: frozenset[str] = frozenset()
    # Event handlers one worker process runs at once. More than 1 only for services whose handlers
    # are safe side by side (as they must be across worker replicas): version checks, unique keys,
    # or uow.serialize on the aggregate. XUEJI_WORKER_CONCURRENCY overrides it.
    worker_concurrency: int = 1
    # Embedded mode: fill the database with demo data on first start.
    seed_demo: Callable[[ServiceRuntime], None] | None = None
    # Periodic jobs (retries, clean-ups) run beside the event handlers: in the worker process in
    # production, in the one process in embedded mode (runtime.periodic).
    periodic_tasks: Callable[[ServiceRuntime], list[PeriodicTask]] | None = None
    # The issuer of its tier (accounts): holds the private signing key in production.
    signs_tokens: bool = False
    # Started with the gRPC server, stopped with the runtime (accounts: the JWKS HTTP endpoint).
    on_start: Callable[[ServiceRuntime], None] | None = None

    @property
    def outbox(self):
        return self.metadata.tables["outbox"]

    @property
    def inbox(self):
        return self.metadata.tables["inbox"]


def load_specs(names: list[str] | None = None) -> list[ServiceSpec]:
    """The specs of the installed services (entry point group `xueji.services`), in a stable order."""
    from importlib.metadata import entry_points

    found = {ep.name: ep for ep in entry_points(group="xueji.services")}
    wanted = names or sorted(found)
    missing = [n for n in wanted if n not in found]
    if missing:
        raise LookupError(f"services not installed: {', '.join(missing)}")
    return [found[n].load() for n in wanted]
