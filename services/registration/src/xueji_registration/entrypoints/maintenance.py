"""The registration service's periodic jobs, run by its worker process (entrypoints/worker.py) and on
demand by the CLI (entrypoints/cli_maintenance.py):

- rematch: the preschool transfers still 匹配中 asked again of national-query;
- purge: the uploaded files never attached to an application, after a while;
- import purge: imports and their rows (failed rows' cells) after the retention.

Their settings: xueji_registration.config (XUEJI_PRESCHOOL_REMATCH_INTERVAL_SECONDS and the others).
"""

from __future__ import annotations

import datetime as dt

from xueji_common.runtime.periodic import PeriodicTask, exclusive
from xueji_registration.adapters.files import FileStore, files_dir
from xueji_registration.adapters.preschool_records import PreschoolRecords
from xueji_registration.config import RegistrationSettings
from xueji_registration.service_layer.import_retention import purge_old_imports
from xueji_registration.service_layer.preschool import RematchTally, rematch_pending
from xueji_registration.service_layer.uploads import purge_unattached_uploads

# The worker leaves a transfer a minute after its last matching before asking again.
REMATCH_MIN_AGE = dt.timedelta(minutes=1)


class Busy(Exception):
    """Another process (a worker replica) is running the same job right now."""


def rematch(runtime, older_than: dt.timedelta = dt.timedelta(0)) -> RematchTally:
    """One rematch run; Busy when another process is running one (PostgreSQL advisory lock)."""
    with exclusive(runtime.engine, "registration:preschool-rematch") as mine:
        if not mine:
            raise Busy()
        return rematch_pending(runtime.uow_factory(), PreschoolRecords(runtime), older_than=older_than)


def purge_uploads(runtime, older_than: dt.timedelta) -> int:
    """One purge run (safe beside another: its deletes are conditional, so it does not lock)."""
    return purge_unattached_uploads(
        runtime.uow_factory(), FileStore(files_dir(runtime.settings)), older_than=older_than
    )


def periodic_tasks(runtime, settings: RegistrationSettings | None = None) -> list[PeriodicTask]:
    settings = settings or RegistrationSettings.from_env()

    def rematch_once() -> None:
        try:
            rematch(runtime, REMATCH_MIN_AGE)
        except Busy:
            pass  # another replica's turn

    return [
        PeriodicTask("preschool-rematch", settings.preschool_rematch_interval_seconds, rematch_once),
        PeriodicTask(
            "upload-purge",
            settings.upload_purge_interval_seconds,
            lambda: purge_uploads(runtime, settings.upload_max_age),
        ),
        PeriodicTask(
            "import-purge",
            settings.import_purge_interval_seconds,
            lambda: purge_old_imports(runtime.uow_factory(), older_than=settings.import_retention),
        ),
    ]
