"""Row ⇄ domain conversions shared by the registration repositories."""
from __future__ import annotations

import datetime as dt

from xueji_common.db.engine import utc
from xueji_common.documents import DocumentType, ValidDocument, category_of
from xueji_common.errors import FieldViolation, InvalidArgument
from xueji_common import paging
from xueji_registration.domain.model import Stamp


def document(doc_type: str, number: str) -> ValidDocument:
    """A stored document: validated when it was written, so it is not validated again."""
    kind = DocumentType(doc_type)
    return ValidDocument(type=kind, number=number, category=category_of(kind))


def stamp_to_json(stamp: Stamp | None) -> dict | None:
    if stamp is None:
        return None
    return {"unit": stamp.unit_code, "user": stamp.user_id, "role": stamp.role,
            "time": stamp.time.isoformat(), "opinion": stamp.opinion}


def stamp_from_json(value: dict | None) -> Stamp | None:
    if not value:
        return None
    return Stamp(value["unit"], value["user"], value["role"], utc(dt.datetime.fromisoformat(value["time"])),
                 value.get("opinion", ""))


def encode_offset(offset: int) -> str:
    return paging.encode_offset(offset)


def decode_offset(token: str) -> int:
    """The offset of an opaque page token; INVALID_ARGUMENT for a token this service did not make."""
    try:
        return paging.decode_offset(token)
    except ValueError:
        raise InvalidArgument(FieldViolation("page.page_token", "分页标记无效")) from None
