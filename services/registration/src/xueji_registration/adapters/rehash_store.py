"""SQL of a document-hash rotation (service_layer.rehash): the stored numbers in key order, their
hashes written back, and the announcements written to the outbox in the same transaction."""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import bindparam, select, update
from sqlalchemy.orm import Session

from xueji_common.db.bulk import insert_rows
from xueji_common.db.engine import now
from xueji_common.db.reencrypt import reencrypt_table
from xueji_common.errors import ConcurrentModification
from xueji_common.hashing import student_number_hash
from xueji_common.messaging.envelope import new_envelope
from xueji_registration.adapters.preschool_tables import import_rows, preschool_transfers
from xueji_registration.adapters.record_repository import _from_row as record_from_row  # the one mapping
from xueji_registration.adapters.tables import applications, outbox, student_records
from xueji_registration.domain.records import StudentRecord
from xueji_registration.service_layer.unit_of_work import StoredNumber

# Per table: its key column, and the columns a rotation reads.
TABLES = {
    "applications": (applications, "application_id"),
    "student_records": (student_records, "record_id"),
    "preschool_transfers": (preschool_transfers, "transfer_id"),
}
_OPTIONAL = ("state", "record_id", "national_student_number", "national_student_number_hash")
# Per table whose values are encrypted: its primary key (service_layer.unit_of_work.ENCRYPTED_TABLES).
ENCRYPTED = {
    "applications": (applications, ("application_id",)),
    "student_records": (student_records, ("record_id",)),
    "preschool_transfers": (preschool_transfers, ("transfer_id",)),
    "import_rows": (import_rows, ("import_id", "row_number")),
}


class RehashStore:
    def __init__(self, session: Session) -> None:
        self._s = session

    def numbers(self, table: str, after: str, limit: int) -> list[StoredNumber]:
        """(key, document type, number, hash[, state, record id | national student number and its
        hash]) of the next rows in key order."""
        t, key = TABLES[table]
        extra = ()
        if table == "applications":
            extra = (t.c.state, t.c.record_id)
        elif table == "student_records":
            extra = (t.c.national_student_number, t.c.national_student_number_hash)
        rows = self._s.execute(
            select(t.c[key].label("key"), t.c.document_type, t.c.document_number, t.c.document_hash, *extra)
            .where(t.c[key] > after)
            .order_by(t.c[key])
            .limit(limit)
        ).all()
        return [
            StoredNumber(
                **{name: value or "" if name in _OPTIONAL else value for name, value in r._mapping.items()}
            )
            for r in rows
        ]

    def records(self, record_ids: list[str]) -> list[StudentRecord]:
        if not record_ids:
            return []
        rows = self._s.execute(
            select(student_records)
            .where(student_records.c.record_id.in_(record_ids))
            .order_by(student_records.c.record_id)
        ).all()
        return [record_from_row(r) for r in rows]

    def set_hashes(self, table: str, pairs: list[tuple[str, str | None]]) -> None:
        t, key = TABLES[table]
        if pairs:
            self._s.execute(
                update(t).where(t.c[key] == bindparam("k")).values(document_hash=bindparam("h")),
                [{"k": k, "h": h} for k, h in pairs],
            )

    def save_records(self, records: list[StudentRecord], hash_key: str) -> None:
        """Hashes (the national student number's under `hash_key`) and version of records read in
        this transaction (the version they had is checked)."""
        if not records:
            return
        t = student_records
        key = hash_key
        result = self._s.execute(
            update(t)
            .where(t.c.record_id == bindparam("k"), t.c.version == bindparam("was"))
            .values(
                document_hash=bindparam("h"),
                national_student_number_hash=bindparam("nh"),
                version=bindparam("v"),
            ),
            [
                {
                    "k": r.record_id,
                    "was": r.version - 1,
                    "h": r.document_hash,
                    "v": r.version,
                    "nh": student_number_hash(key, r.national_student_number),
                }
                for r in records
            ],
        )
        if result.supports_sane_multi_rowcount() and result.rowcount != len(records):
            raise ConcurrentModification("学籍在重算期间被修改，请重新运行")

    def reencrypt(self, table: str, progress: Callable[[int], None] | None = None) -> int:
        encrypted, keys = ENCRYPTED[table]
        return reencrypt_table(self._s.connection(), encrypted, keys, progress=progress)

    def announce(self, events: list[tuple[object, str]], correlation_id: str) -> None:
        """(event, aggregate id) pairs into the outbox, one statement."""
        at = now()
        rows = []
        for event, aggregate_id in events:
            envelope = new_envelope(
                event, producer="registration", aggregate_id=aggregate_id, correlation_id=correlation_id
            )
            rows.append(
                dict(
                    event_id=envelope.event_id,
                    event_type=envelope.type,
                    producer="registration",
                    aggregate_id=aggregate_id,
                    envelope=envelope.SerializeToString(),
                    created_at=at,
                    attempts=0,
                )
            )
        insert_rows(self._s, outbox, rows)
