"""Uploaded files: bytes on disk under XUEJI_FILES_DIR (a volume in the chart), rows in SQL.

The storage key is made by the service (`<school>/<file id>`), never from the uploaded name, so a
name cannot escape the directory. Bytes are written to a temporary file and renamed into place.

A file is uploaded first and attached to an application later (`attach`); the ones never attached
are purged after a while (`delete_unattached`, service_layer.uploads). Both statements carry their
condition on `application_id` so that the two cannot both win on one file: whichever commits
first, the other's statement (re-checked by PostgreSQL on the committed row) leaves it alone, and
`attach` then refuses the application instead of pointing it at a file that is gone.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
from pathlib import Path

from sqlalchemy import delete, insert, or_, select, update
from sqlalchemy.orm import Session

from xueji_common.db.engine import utc
from xueji_common.errors import FieldViolation, InvalidArgument
from xueji_registration.adapters.tables import uploaded_files as t
from xueji_registration.config import RegistrationSettings
from xueji_registration.domain.files import Purpose
from xueji_registration.service_layer.repositories import StoredFile


def files_dir(settings) -> Path:
    """XUEJI_FILES_DIR, default `<data dir>/files`."""
    return Path(RegistrationSettings.from_env().files_dir or Path(settings.data_dir) / "files")


class FileStore:
    """The bytes. `put` returns the storage key; `remove` undoes a put whose row was not written."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)

    def put(self, school_code: str, file_id: str, content: bytes) -> str:
        key = f"{school_code}/{file_id}"
        target = self.root / key
        target.parent.mkdir(parents=True, exist_ok=True)
        partial = target.with_suffix(".part")
        partial.write_bytes(content)
        os.replace(partial, target)
        return key

    def read(self, key: str) -> bytes:
        return (self.root / key).read_bytes()

    def remove(self, key: str) -> None:
        (self.root / key).unlink(missing_ok=True)


class FileRepository:
    def __init__(self, session: Session) -> None:
        self._session = session

    def add(self, f: StoredFile, content: bytes) -> None:
        self._session.execute(
            insert(t).values(
                file_id=f.file_id,
                school_code=f.school_code,
                purpose=f.purpose.value,
                file_name=f.file_name,
                content_type=f.content_type,
                size_bytes=f.size_bytes,
                sha256=hashlib.sha256(content).hexdigest(),
                storage_key=f.storage_key,
                uploaded_by=f.uploaded_by,
                uploaded_at=f.uploaded_at,
            )
        )

    def get_many(self, file_ids) -> dict[str, StoredFile]:
        if not file_ids:
            return {}
        rows = self._session.execute(select(t).where(t.c.file_id.in_(list(file_ids)))).all()
        return {
            r.file_id: StoredFile(
                r.file_id,
                r.school_code,
                Purpose(r.purpose),
                r.file_name,
                r.content_type,
                r.size_bytes,
                r.storage_key,
                r.uploaded_by,
                utc(r.uploaded_at),
                r.application_id or "",
            )
            for r in rows
        }

    def attach(self, file_ids, application_id: str) -> None:
        """Attach files to the application; refused when one of them is gone (purged since it was
        checked) or was taken by another application meanwhile."""
        wanted = set(file_ids)
        if not wanted:
            return
        result = self._session.execute(
            update(t)
            .where(
                t.c.file_id.in_(wanted),
                or_(t.c.application_id.is_(None), t.c.application_id == application_id),
            )
            .values(application_id=application_id)
        )
        if result.rowcount != len(wanted):
            raise InvalidArgument(
                FieldViolation("proof_material_ids", "文件不存在或已被其他申请使用，请重新上传")
            )

    def delete_unattached(self, uploaded_before: dt.datetime, limit: int) -> list[str]:
        """Delete up to `limit` of the oldest files attached to no application and uploaded before
        the time, in one statement whose own condition keeps a file attached meanwhile; returns
        their storage keys (the bytes are removed after commit)."""
        unattached = (t.c.application_id.is_(None), t.c.uploaded_at < uploaded_before)
        oldest = select(t.c.file_id).where(*unattached).order_by(t.c.uploaded_at).limit(limit)
        deleted = self._session.execute(
            delete(t).where(t.c.file_id.in_(oldest.scalar_subquery()), *unattached).returning(t.c.storage_key)
        )
        return list(deleted.scalars())
