"""Files chosen in a record form (证明材料, 照片), stored with Registrations.UploadProofMaterial before
the form is sent; the form then names them by id. A file stored on a refused attempt comes back in
the page as hidden (id, name) inputs, so the registrar does not choose it again. What a file may be
(type, size) is the registration service's: its refusal is shown at the file input."""

from __future__ import annotations

from starlette.concurrency import run_in_threadpool

from xueji.v1 import common_pb2 as c
from xueji.v1 import registration_pb2 as r
from xueji_console.backend import Failure, call

MAX_FILE_BYTES = 10 * 1024 * 1024
PHOTO_FIELD = "student.photo"  # where a refused photo's reason is shown (the service's field path)

Stored = tuple[tuple[str, str], ...]  # ((file_id, file_name), ...)


def store(console, session, files, purpose=r.UPLOAD_PURPOSE_PROOF_MATERIAL) -> list[tuple[str, str]]:
    """Each chosen file stored (proof material or the photo): [(file_id, file_name)]."""
    stored = []
    for upload in files:
        file = c.FileContent(file_name=upload[0], content_type=upload[1], content=upload[2])
        ref = call(
            console.backend.registrations.UploadProofMaterial,
            r.UploadProofMaterialRequest(school_code=session.org_unit_code, purpose=purpose, file=file),
            session.access_token,
        )
        stored.append((ref.file_id, ref.file_name or upload[0]))
    return stored


async def chosen_files(form, name: str = "proof") -> list[tuple[str, str, bytes]]:
    chosen = []
    for upload in form.getlist(name):
        if hasattr(upload, "read"):
            data = await upload.read(MAX_FILE_BYTES + 1)
            if data:
                chosen.append(
                    (upload.filename or "证明材料", upload.content_type or "application/octet-stream", data)
                )
    return chosen


def kept(form, name: str) -> Stored:
    """The files of `name` ("proof", "photo") stored on an earlier attempt (hidden inputs)."""
    return tuple(zip(form.getlist(f"{name}_id"), form.getlist(f"{name}_name")))


async def take_photo(request, session, form) -> tuple[Stored, str]:
    """The form's photo: a newly chosen one stored, else the one kept from an earlier attempt; and
    the service's reason when the new one is refused (then nothing is stored)."""
    photo = kept(form, "photo")[:1]
    try:
        stored = await run_in_threadpool(
            store,
            request.app.state.console,
            session,
            await chosen_files(form, "photo"),
            r.UPLOAD_PURPOSE_PHOTO,
        )
    except Failure as failure:
        if failure.status != 400:
            raise
        return photo, failure.message or "；".join(failure.fields.values())
    return (tuple(stored[:1]) or photo), ""


def field_of(path: str) -> str:
    """A refused form's violation path -> the input it belongs to (files have one input each)."""
    if path.startswith("proof_material_ids"):
        return "proof"
    return PHOTO_FIELD if path.startswith(PHOTO_FIELD) else path
