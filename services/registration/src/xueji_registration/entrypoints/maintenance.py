"""The registration service's periodic jobs, run by its worker process (entrypoints/worker.py) and on
demand by the CLI (entrypoints/cli_maintenance.py):

- rematch: the preschool transfers still 匹配中 asked again of national-query;
- purge: the uploaded files never attached to an application, after a while;
- import purge: imports and their rows (failed rows' cells) after the retention.

Their own settings (environment variables, like XUEJI_FILES_DIR; the shared Settings are not for
one service's jobs):

| variable | meaning | default |
|---|---|---|
| XUEJI_PRESCHOOL_REMATCH_INTERVAL_SECONDS | seconds between rematch runs (0: none) | 300 |
| XUEJI_UPLOAD_PURGE_INTERVAL_SECONDS | seconds between purge runs (0: none) | 3600 |
| XUEJI_UPLOAD_MAX_AGE_HOURS | an unattached upload older than this is purged | 24 |
| XUEJI_IMPORT_PURGE_INTERVAL_SECONDS | seconds between import purges (0: none) | 3600 |
| XUEJI_IMPORT_RETENTION_DAYS | an import (its report, its failed rows' cells) older than this is purged | 7 |
"""

from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass

from xueji_common.config import ConfigError
from xueji_common.runtime.periodic import PeriodicTask, exclusive
from xueji_registration.adapters.files import FileStore, files_dir
from xueji_registration.adapters.preschool_records import PreschoolRecords
from xueji_registration.service_layer.import_retention import purge_old_imports
from xueji_registration.service_layer.preschool import RematchTally, rematch_pending
from xueji_registration.service_layer.uploads import purge_unattached_uploads

# The worker leaves a transfer a minute after its last matching before asking again.
REMATCH_MIN_AGE = dt.timedelta(minutes=1)


class Busy(Exception):
    """Another process (a worker replica) is running the same job right now."""


def _number(name: str, default: float) -> float:
    raw = os.environ.get(f"XUEJI_{name}", "")
    try:
        value = float(raw) if raw.strip() else default
    except ValueError:
        value = -1
    if value < 0:
        raise ConfigError(f"XUEJI_{name} must be a number >= 0, got {raw!r}")
    return value


@dataclass(frozen=True)
class MaintenanceSettings:
    rematch_interval: float = 300.0
    purge_interval: float = 3600.0
    upload_max_age: dt.timedelta = dt.timedelta(hours=24)
    import_purge_interval: float = 3600.0
    import_retention: dt.timedelta = dt.timedelta(days=7)

    @classmethod
    def from_env(cls) -> MaintenanceSettings:
        return cls(
            rematch_interval=_number("PRESCHOOL_REMATCH_INTERVAL_SECONDS", 300),
            purge_interval=_number("UPLOAD_PURGE_INTERVAL_SECONDS", 3600),
            upload_max_age=dt.timedelta(hours=_number("UPLOAD_MAX_AGE_HOURS", 24)),
            import_purge_interval=_number("IMPORT_PURGE_INTERVAL_SECONDS", 3600),
            import_retention=dt.timedelta(days=_number("IMPORT_RETENTION_DAYS", 7)),
        )


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


def periodic_tasks(runtime, settings: MaintenanceSettings | None = None) -> list[PeriodicTask]:
    settings = settings or MaintenanceSettings.from_env()

    def rematch_once() -> None:
        try:
            rematch(runtime, REMATCH_MIN_AGE)
        except Busy:
            pass  # another replica's turn

    return [
        PeriodicTask("preschool-rematch", settings.rematch_interval, rematch_once),
        PeriodicTask(
            "upload-purge", settings.purge_interval, lambda: purge_uploads(runtime, settings.upload_max_age)
        ),
        PeriodicTask(
            "import-purge",
            settings.import_purge_interval,
            lambda: purge_old_imports(runtime.uow_factory(), older_than=settings.import_retention),
        ),
    ]
