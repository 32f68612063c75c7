"""SQL of the import purge (ImportRepository.oldest_before and delete, for
service_layer.import_retention.purge_old_imports): an import and its rows (the
failed rows' cells, encrypted, kept for the error report) deleted once older than the retention."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from xueji_registration.adapters.preschool_tables import import_rows, imports


def oldest_before(session: Session, cutoff: dt.datetime, limit: int) -> list[str]:
    return list(
        session.execute(
            select(imports.c.import_id)
            .where(imports.c.created_at < cutoff)
            .order_by(imports.c.created_at)
            .limit(limit)
        ).scalars()
    )


def delete_imports(session: Session, import_ids: list[str]) -> None:
    session.execute(delete(import_rows).where(import_rows.c.import_id.in_(import_ids)))
    session.execute(delete(imports).where(imports.c.import_id.in_(import_ids)))
