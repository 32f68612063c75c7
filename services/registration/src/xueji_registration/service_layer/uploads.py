"""上传证明材料 / 照片: check the file, store the bytes, record who uploaded it."""
from __future__ import annotations

import uuid

from xueji_common.auth import Principal
from xueji_common.db.engine import now
from xueji_registration.adapters.files import FileStore, StoredFile
from xueji_registration.domain.files import Purpose, check_upload
from xueji_registration.service_layer.access import require_school_registrar
from xueji_registration.service_layer.unit_of_work import RegistrationUnitOfWork


def upload_file(uow: RegistrationUnitOfWork, store: FileStore, *, school_code: str, purpose: Purpose,
                file_name: str, content_type: str, content: bytes, principal: Principal, tree) -> StoredFile:
    require_school_registrar(principal, tree, school_code)
    name, actual_type = check_upload(purpose, file_name, content_type, content)
    file_id = str(uuid.uuid4())
    key = store.put(school_code, file_id, content)
    stored = StoredFile(file_id, school_code, purpose, name, actual_type, len(content), key, principal.user_id, now())
    try:
        with uow:
            uow.files.add(stored, content)
            uow.commit()
    except BaseException:
        store.remove(key)  # no row, no file
        raise
    return stored
