"""Row ⇄ domain conversions shared by the registration repositories."""

from __future__ import annotations

import datetime as dt

from xueji_common.db.engine import utc
from xueji_common.documents import DocumentType, ValidDocument, category_of
from xueji_registration.domain.model import Stamp


def document(doc_type: str, number: str) -> ValidDocument:
    """A stored document: validated when it was written, so it is not validated again."""
    kind = DocumentType(doc_type)
    return ValidDocument(type=kind, number=number, category=category_of(kind))


def stamp_to_json(stamp: Stamp | None) -> dict | None:
    if stamp is None:
        return None
    return {
        "unit": stamp.unit_code,
        "user": stamp.user_id,
        "role": stamp.role,
        "time": stamp.time.isoformat(),
        "opinion": stamp.opinion,
    }


def stamp_from_json(value: dict | None) -> Stamp | None:
    if not value:
        return None
    return Stamp(
        value["unit"],
        value["user"],
        value["role"],
        utc(dt.datetime.fromisoformat(value["time"])),
        value.get("opinion", ""),
    )
