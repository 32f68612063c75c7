"""The dedup service as the shared runners host it (scope province or national by configuration)."""
from pathlib import Path

from xueji_common.db.uow import SqlAlchemyUnitOfWork
from xueji_common.runtime.spec import ServiceSpec
from xueji_dedup.adapters.tables import inbox, metadata, outbox
from xueji_dedup.entrypoints import demo
from xueji_dedup.entrypoints.grpc_api import bindings

SPEC = ServiceSpec(
    name="dedup",
    metadata=metadata,
    versions_dir=Path(__file__).parent / "migrations" / "versions",
    make_uow=lambda rt: lambda: SqlAlchemyUnitOfWork(rt.session_factory, "dedup", outbox, inbox, rt.after_commit),
    grpc_bindings=bindings,
    seed_demo=demo.seed,
)
