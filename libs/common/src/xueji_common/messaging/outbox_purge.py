"""Deleting published outbox rows after a retention, in every service (a periodic job of the worker
process, and of the one process in embedded mode: runtime.periodic adds it beside the service's own).

A published envelope is of no further use: the relay never reads it again and consumers deduplicate
with their own inbox. Envelopes carry no clear document number, but they do carry names and birth
dates, so they are not kept for ever. Settings: XUEJI_OUTBOX_RETENTION_HOURS (default 24; 0 keeps
them), XUEJI_OUTBOX_PURGE_INTERVAL_SECONDS (default 3600; 0: no job).
"""

from __future__ import annotations

import datetime as dt
import logging

from sqlalchemy import delete, select

from xueji_common.db.engine import now

log = logging.getLogger(__name__)
BATCH = 5000


def purge_published(session_factory, outbox, older_than: dt.timedelta, *, batch: int = BATCH) -> int:
    """Rows published before now − older_than, deleted in batches of one transaction each."""
    cutoff, total = now() - older_than, 0
    while True:
        with session_factory() as session, session.begin():
            ids = (
                session.execute(
                    select(outbox.c.id)
                    .where(outbox.c.published_at.is_not(None), outbox.c.published_at < cutoff)
                    .order_by(outbox.c.id)
                    .limit(batch)
                )
                .scalars()
                .all()
            )
            if ids:
                session.execute(delete(outbox).where(outbox.c.id.in_(ids)))
        total += len(ids)
        if len(ids) < batch:
            break
    if total:
        log.info("published outbox rows purged", extra={"fields": {"rows": total}})
    return total


def outbox_purge_task(runtime):
    from xueji_common.runtime.periodic import PeriodicTask

    settings = runtime.settings
    if settings.outbox_retention_hours <= 0:
        return None
    retention = dt.timedelta(hours=settings.outbox_retention_hours)
    return PeriodicTask(
        "outbox-purge",
        settings.outbox_purge_interval,
        lambda: purge_published(runtime.session_factory, runtime.spec.outbox, retention),
    )
