"""The special-ed service as the shared runners host it."""

from pathlib import Path

from xueji_common.runtime.spec import ServiceSpec
from xueji_special_ed.adapters.tables import metadata
from xueji_special_ed.adapters.unit_of_work import SpecialEdUnitOfWork
from xueji_special_ed.entrypoints.events import SUBSCRIPTIONS
from xueji_special_ed.entrypoints.grpc_api import bindings

SPEC = ServiceSpec(
    name="special-ed",
    metadata=metadata,
    versions_dir=Path(__file__).parent / "migrations" / "versions",
    make_uow=lambda rt: (
        lambda: SpecialEdUnitOfWork(rt.session_factory, rt.after_commit, hash_key=rt.settings.hash_key)
    ),
    grpc_bindings=bindings,
    subscriptions=SUBSCRIPTIONS,
)
