"""The accounts service as the shared runners host it: the issuer of its tier."""

from pathlib import Path

from xueji_accounts.adapters.tables import metadata
from xueji_accounts.adapters.unit_of_work import AccountsUnitOfWork
from xueji_accounts.entrypoints import jwks_http
from xueji_accounts.entrypoints.demo import seed_demo_accounts
from xueji_accounts.entrypoints.grpc_api import PUBLIC, bindings
from xueji_common.runtime.spec import ServiceSpec

SPEC = ServiceSpec(
    name="accounts",
    metadata=metadata,
    versions_dir=Path(__file__).parent / "migrations" / "versions",
    make_uow=lambda rt: lambda: AccountsUnitOfWork(rt.session_factory, rt.after_commit),
    grpc_bindings=bindings,
    public_methods=PUBLIC,
    seed_demo=seed_demo_accounts,
    signs_tokens=True,
    on_start=jwks_http.start,
)
