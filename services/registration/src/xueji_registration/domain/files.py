"""Uploaded files: proof material (证明材料) of no-document students and photos (照片).

The type is decided by the content's magic bytes, never by the name or the declared content type
(which must agree with the content when given). Limits from registration.proto UploadProofMaterial.
"""

from __future__ import annotations

import enum
import re

from xueji_common.errors import FieldViolation, InvalidArgument

MAX_BYTES = 10 * 1024 * 1024


class Purpose(str, enum.Enum):
    PROOF_MATERIAL = "proof_material"
    PHOTO = "photo"


_MAGIC = (
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"%PDF-", "application/pdf"),
)
ALLOWED = {
    Purpose.PROOF_MATERIAL: ("image/jpeg", "image/png", "application/pdf"),
    Purpose.PHOTO: ("image/jpeg", "image/png"),
}
_ALIASES = {"image/jpg": "image/jpeg", "image/pjpeg": "image/jpeg"}


def sniff(content: bytes) -> str | None:
    for magic, content_type in _MAGIC:
        if content.startswith(magic):
            return content_type
    return None


def check_upload(purpose: Purpose, file_name: str, declared_type: str, content: bytes) -> tuple[str, str]:
    """(safe file name, content type) of an acceptable upload; INVALID_ARGUMENT naming the field otherwise."""
    if not content:
        raise InvalidArgument(FieldViolation("file.content", "上传的文件为空"))
    if len(content) > MAX_BYTES:
        raise InvalidArgument(FieldViolation("file.content", f"文件不能超过{MAX_BYTES // (1024 * 1024)}MB"))
    actual = sniff(content)
    allowed = ALLOWED[purpose]
    if actual not in allowed:
        names = "、".join(t.split("/")[1].upper() for t in allowed)
        raise InvalidArgument(FieldViolation("file.content", f"只能上传{names}格式的文件"))
    declared = _ALIASES.get(declared_type.strip().lower(), declared_type.strip().lower())
    if declared and declared != actual:
        raise InvalidArgument(FieldViolation("file.content_type", "文件类型与文件内容不符"))
    return safe_name(file_name) or "file", actual


def safe_name(file_name: str) -> str:
    """The last path component without control characters, at most 100 characters (display only)."""
    base = re.split(r"[\\/]", file_name or "")[-1]
    return "".join(c for c in base if c.isprintable()).strip()[:100]
