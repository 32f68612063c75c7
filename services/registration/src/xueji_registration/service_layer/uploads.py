"""上传证明材料 / 照片: check the file, store the bytes, record who uploaded it. Files never attached
to an application are purged after a while (`purge_unattached_uploads`, run by the worker)."""

from __future__ import annotations

import datetime as dt
import logging
import uuid

from xueji_common.auth import Principal
from xueji_common.db.engine import now
from xueji_common.orgunits import OrgTree
from xueji_registration.domain.files import Purpose, check_upload
from xueji_registration.service_layer.access import require_school_registrar
from xueji_registration.service_layer.ports import FileBytes
from xueji_registration.service_layer.repositories import StoredFile
from xueji_registration.service_layer.unit_of_work import RegistrationUoW

log = logging.getLogger(__name__)
UNATTACHED_MAX_AGE = dt.timedelta(hours=24)
PURGE_BATCH = 500


def upload_file(
    uow: RegistrationUoW,
    store: FileBytes,
    *,
    school_code: str,
    purpose: Purpose,
    file_name: str,
    content_type: str,
    content: bytes,
    principal: Principal,
    tree: OrgTree,
) -> StoredFile:
    require_school_registrar(principal, tree, school_code)
    name, actual_type = check_upload(purpose, file_name, content_type, content)
    file_id = str(uuid.uuid4())
    key = store.put(school_code, file_id, content)
    stored = StoredFile(
        file_id, school_code, purpose, name, actual_type, len(content), key, principal.user_id, now()
    )
    try:
        with uow:
            uow.files.add(stored, content)
            uow.commit()
    except BaseException:
        store.remove(key)  # no row, no file
        raise
    return stored


def purge_unattached_uploads(
    uow: RegistrationUoW,
    store: FileBytes,
    *,
    older_than: dt.timedelta = UNATTACHED_MAX_AGE,
    batch: int = PURGE_BATCH,
    at: dt.datetime | None = None,
) -> int:
    """Delete the uploads attached to no application and older than `older_than`: rows first (one
    conditional statement per batch, committed), then their bytes. Returns how many were deleted.

    A crash between the two leaves bytes without a row (never the reverse): harmless, unreachable."""
    before = (at or now()) - older_than
    deleted = 0
    while True:
        with uow:
            keys = uow.files.delete_unattached(before, batch)
            uow.commit()
        for key in keys:
            try:
                store.remove(key)
            except OSError:
                log.warning(
                    "purged upload's bytes not removed", exc_info=True, extra={"fields": {"key": key}}
                )
        deleted += len(keys)
        if len(keys) < batch:
            break
    log.info(
        "unattached uploads purged",
        extra={
            "fields": {"deleted": deleted, "older_than_hours": round(older_than.total_seconds() / 3600, 2)}
        },
    )
    return deleted
