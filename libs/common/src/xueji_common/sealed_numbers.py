"""A record's national student number on the bus (StudentRecordSnapshot): sealed with the
deployment's data key, beside its keyed hash and masked form, never in clear (docs/MASKING.md).

A formal number is G + the resident ID, so it is as sensitive as the document number. Registration
seals it (`snapshot_number_fields`); the services that keep it (national-query, special-ed, dedup's
re-keying of a formal number) open it with their own ring (`open_student_number`). A ring without
the sealing key raises DataKeyError: the event is not applied (fails closed) rather than guessed.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from xueji_common.datakeys import STUDENT_NUMBER, KeyRing
from xueji_common.hashing import student_number_hash
from xueji_common.masking import mask_student_number

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from xueji.v1.events_pb2 import StudentRecordSnapshot


def snapshot_number_fields(number: str, ring: KeyRing | None, hash_key: str) -> dict[str, str]:
    """The snapshot's national_student_number_{sealed,hash,masked} fields of `number`."""
    if ring is None:
        raise ValueError("a national student number needs the data key ring to be sealed")
    if not number:
        return {}
    return dict(
        national_student_number_sealed=ring.encrypt(number, STUDENT_NUMBER),
        national_student_number_hash=student_number_hash(hash_key, number),
        national_student_number_masked=mask_student_number(number),
    )


def open_student_number(snapshot: StudentRecordSnapshot, ring: KeyRing | None) -> str:
    """The clear number of a StudentRecordSnapshot ('' when it carries none)."""
    if not snapshot.national_student_number_sealed:
        return ""
    if ring is None:
        raise ValueError("no data key ring to open a national student number")
    return ring.decrypt(snapshot.national_student_number_sealed, STUDENT_NUMBER)


def opened_number(snapshot: StudentRecordSnapshot, session: Session) -> str:
    """`open_student_number` with the ring bound to the session's engine (db.encrypted)."""
    from xueji_common.db.encrypted import keyring_of

    if not snapshot.national_student_number_sealed:
        return ""
    return open_student_number(snapshot, keyring_of(session.get_bind().dialect))
