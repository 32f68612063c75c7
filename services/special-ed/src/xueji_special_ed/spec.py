"""The special-ed service as the shared runners host it."""
from pathlib import Path

from xueji_common.db.uow import SqlAlchemyUnitOfWork
from xueji_common.runtime.spec import ServiceSpec
from xueji_special_ed.adapters.tables import inbox, metadata, outbox
from xueji_special_ed.entrypoints.grpc_api import bindings

SPEC = ServiceSpec(
    name="special-ed",
    metadata=metadata,
    versions_dir=Path(__file__).parent / "migrations" / "versions",
    make_uow=lambda rt: lambda: SqlAlchemyUnitOfWork(rt.session_factory, "special-ed", outbox, inbox, rt.after_commit),
    grpc_bindings=bindings,
)
