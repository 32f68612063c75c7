"""The registration service as the shared runners host it."""
from pathlib import Path

from xueji_common.runtime.spec import ServiceSpec
from xueji_registration.adapters.tables import metadata
from xueji_registration.entrypoints.grpc_api import bindings
from xueji_registration.service_layer.unit_of_work import RegistrationUnitOfWork

SPEC = ServiceSpec(
    name="registration",
    metadata=metadata,
    versions_dir=Path(__file__).parent / "migrations" / "versions",
    make_uow=lambda rt: lambda: RegistrationUnitOfWork(rt.session_factory, rt.after_commit),
    grpc_bindings=bindings,
)
