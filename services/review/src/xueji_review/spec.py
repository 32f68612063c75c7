"""The review service as the shared runners host it."""

from pathlib import Path

from xueji_common.runtime.spec import ServiceSpec
from xueji_review.adapters.tables import metadata
from xueji_review.adapters.unit_of_work import ReviewUnitOfWork
from xueji_review.entrypoints.events import SUBSCRIPTIONS
from xueji_review.entrypoints.grpc_api import bindings

SPEC = ServiceSpec(
    name="review",
    metadata=metadata,
    versions_dir=Path(__file__).parent / "migrations" / "versions",
    make_uow=lambda rt: lambda: ReviewUnitOfWork(rt.session_factory, rt.after_commit),
    grpc_bindings=bindings,
    subscriptions=SUBSCRIPTIONS,
    worker_concurrency=4,  # handlers check versions or serialize per application (safe side by side)
)
