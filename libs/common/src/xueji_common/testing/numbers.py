"""Test helpers for national student numbers in record snapshots: sealed as registration seals them
(xueji_common.sealed_numbers), under the development data key unless a ring is given."""

from __future__ import annotations

from xueji_common.config import DEV_HASH_KEY
from xueji_common.datakeys import DEV_DATA_KEY, KeyRing
from xueji_common.sealed_numbers import open_student_number, snapshot_number_fields


def sealed(number: str, hash_key: str = DEV_HASH_KEY, ring: KeyRing | None = None) -> dict[str, str]:
    """The StudentRecordSnapshot fields that carry `number` (sealed, hash, masked)."""
    return snapshot_number_fields(number, ring or KeyRing.from_texts(DEV_DATA_KEY), hash_key)


def seal_into(snapshot, number: str, hash_key: str = DEV_HASH_KEY, ring: KeyRing | None = None) -> None:
    """Set `number` on a snapshot message in place."""
    for name, value in sealed(number, hash_key, ring).items():
        setattr(snapshot, name, value)


def opened(snapshot, ring: KeyRing | None = None) -> str:
    """The number a snapshot carries, opened with the development key unless a ring is given."""
    return open_student_number(snapshot, ring or KeyRing.from_texts(DEV_DATA_KEY))
