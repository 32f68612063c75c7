"""The national-query service as the shared runners host it."""
from pathlib import Path

from xueji_common.db.uow import SqlAlchemyUnitOfWork
from xueji_common.runtime.spec import ServiceSpec
from xueji_national_query.adapters.tables import inbox, metadata, outbox
from xueji_national_query.entrypoints import demo
from xueji_national_query.entrypoints.grpc_api import bindings

SPEC = ServiceSpec(
    name="national-query",
    metadata=metadata,
    versions_dir=Path(__file__).parent / "migrations" / "versions",
    make_uow=lambda rt: lambda: SqlAlchemyUnitOfWork(
        rt.session_factory, "national-query", outbox, inbox, rt.after_commit),
    grpc_bindings=bindings,
    # The captcha and the captcha-guarded lookup are for people who are not signed in yet.
    public_methods=frozenset({"/xueji.v1.NationalQuery/CreateCaptcha"}),
    seed_demo=demo.seed,
)
