"""The national-query service as the shared runners host it."""

from pathlib import Path

from xueji_common.runtime.spec import ServiceSpec
from xueji_national_query.adapters.tables import metadata
from xueji_national_query.adapters.unit_of_work import NationalQueryUnitOfWork
from xueji_national_query.entrypoints import demo
from xueji_national_query.entrypoints.events import SUBSCRIPTIONS
from xueji_national_query.entrypoints.grpc_api import bindings

SPEC = ServiceSpec(
    name="national-query",
    metadata=metadata,
    versions_dir=Path(__file__).parent / "migrations" / "versions",
    make_uow=lambda rt: (
        lambda: NationalQueryUnitOfWork(
            rt.session_factory, rt.after_commit, hash_key=rt.settings.hash_key, tree=rt.tree
        )
    ),
    grpc_bindings=bindings,
    subscriptions=SUBSCRIPTIONS,
    # No public methods: the lookup is a menu for signed-in school and department users (manual,
    # chapter 16), so captchas are issued to, and redeemed by, the signed-in user.
    public_methods=frozenset(),
    seed_demo=demo.seed,
)
