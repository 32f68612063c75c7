"""Imports are kept for their error report for a while only (XUEJI_IMPORT_RETENTION_DAYS, default 7):
the failed rows' cells hold document numbers (encrypted, but personal data all the same), so an
import and all its rows are deleted once older than that (the worker's periodic job,
entrypoints.maintenance). Its applications and transfers are not touched: only the report goes."""

from __future__ import annotations

import datetime as dt
import logging

from xueji_common.db.engine import now
from xueji_registration.service_layer.unit_of_work import RegistrationUoW

log = logging.getLogger(__name__)
RETENTION = dt.timedelta(days=7)
BATCH = 200


def purge_old_imports(
    uow: RegistrationUoW,
    *,
    older_than: dt.timedelta = RETENTION,
    batch: int = BATCH,
    at: dt.datetime | None = None,
) -> int:
    cutoff, purged = (at or now()) - older_than, 0
    while True:
        with uow:
            ids = uow.imports.oldest_before(cutoff, batch)
            if ids:
                uow.imports.delete(ids)
            uow.commit()
        purged += len(ids)
        if len(ids) < batch:
            break
    if purged:
        log.info(
            "imports purged",
            extra={"fields": {"imports": purged, "older_than_days": older_than.total_seconds() / 86400}},
        )
    return purged
