"""The dedup service as the shared runners host it (scope province or national by configuration)."""

from pathlib import Path

from xueji_common.runtime.spec import ServiceSpec
from xueji_dedup.adapters.tables import metadata
from xueji_dedup.adapters.unit_of_work import uow_factory
from xueji_dedup.entrypoints import demo, maintenance
from xueji_dedup.entrypoints.events import RETIRED_QUEUES, SUBSCRIPTIONS
from xueji_dedup.entrypoints.grpc_api import bindings

SPEC = ServiceSpec(
    name="dedup",
    metadata=metadata,
    versions_dir=Path(__file__).parent / "migrations" / "versions",
    make_uow=uow_factory,
    grpc_bindings=bindings,
    subscriptions=SUBSCRIPTIONS,
    retired_queues=RETIRED_QUEUES,
    worker_concurrency=4,  # handlers check versions or serialize per application (safe side by side)
    seed_demo=demo.seed,
    periodic_tasks=maintenance.periodic_tasks,
)
