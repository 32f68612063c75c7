"""The registration service as the shared runners host it."""

from pathlib import Path

from xueji_common.runtime.spec import ServiceSpec
from xueji_registration.adapters import preschool_tables  # noqa: F401 (its tables join the shared metadata)
from xueji_registration.adapters.dedup_numbers import from_runtime as student_numbers
from xueji_registration.adapters.tables import metadata
from xueji_registration.adapters.unit_of_work import RegistrationUnitOfWork
from xueji_registration.entrypoints.events import SUBSCRIPTIONS
from xueji_registration.entrypoints.grpc_api import bindings
from xueji_registration.entrypoints.maintenance import periodic_tasks
from xueji_registration.service_layer.ports import Collaborators


def _make_uow(rt):
    collaborators = Collaborators(
        tree=rt.tree,
        hash_key=rt.settings.hash_key,
        numbers=student_numbers(rt),
        data_keys=rt.settings.data_keyring(),
    )
    return lambda: RegistrationUnitOfWork(rt.session_factory, rt.after_commit, collaborators)


SPEC = ServiceSpec(
    name="registration",
    metadata=metadata,
    versions_dir=Path(__file__).parent / "migrations" / "versions",
    make_uow=_make_uow,
    grpc_bindings=bindings,
    subscriptions=SUBSCRIPTIONS,
    worker_concurrency=4,  # handlers check versions or serialize per application (safe side by side)
    periodic_tasks=periodic_tasks,  # preschool rematch, upload purge
)
