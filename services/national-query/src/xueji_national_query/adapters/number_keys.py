"""The national student numbers of the read model under new keys (deploy/OPERATIONS.md §8, §8a).

`rehash_numbers`: after a rotation of XUEJI_HASH_KEY, every number's keyed hash computed again from
the number (opened with the data key), so that the reloaded files and the announced records find
their rows by the new hash (the number's unique key). Record ids stay as they are. Idempotent: a
second run rewrites 0. A rotation of XUEJI_DATA_KEY is `reencrypt_table` (db.reencrypt).
"""

from __future__ import annotations

import sqlalchemy as sa

from xueji_common.db.encrypted import hash_key_of, keyring_of
from xueji_national_query.adapters.tables import national_records as t
from xueji_national_query.domain.doc_hash import hasher
from xueji_national_query.domain.load_rows import STUDENT_NUMBER_TYPE

BATCH = 5000
_PURPOSE = t.c.national_student_number.type.purpose
# Read raw: the number as stored (the ciphertext), opened here with the ring.
_RAW = sa.table(
    t.name,
    sa.column("record_id", sa.String),
    sa.column("national_student_number", sa.String),
    sa.column("national_student_number_hash", sa.String),
)


def rehash_numbers(connection, *, batch: int = BATCH) -> int:
    """Rows whose hash changed, in record id order, in the connection's transaction."""
    ring, hash_of = keyring_of(connection.dialect), hasher(hash_key_of(connection.dialect))
    after, rewritten = None, 0
    while True:
        query = sa.select(_RAW).order_by(_RAW.c.record_id).limit(batch)
        if after is not None:
            query = query.where(_RAW.c.record_id > after)
        rows = connection.execute(query).all()
        if not rows:
            return rewritten
        changed = []
        for record_id, sealed, stored_hash in rows:
            fresh = hash_of(STUDENT_NUMBER_TYPE, ring.decrypt(sealed, _PURPOSE))
            if fresh != stored_hash:
                changed.append({"b_id": record_id, "b_hash": fresh})
        if changed:
            connection.execute(
                sa.update(_RAW)
                .where(_RAW.c.record_id == sa.bindparam("b_id"))
                .values(national_student_number_hash=sa.bindparam("b_hash")),
                changed,
            )
        rewritten += len(changed)
        after = rows[-1].record_id
