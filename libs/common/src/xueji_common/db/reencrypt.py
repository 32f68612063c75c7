"""Rewriting encrypted columns under the current data key: values in clear (rows written before the
columns were encrypted: the migrations) and values under a previous key (a rotation of
XUEJI_DATA_KEY: `xueji registration rehash`, deploy/OPERATIONS.md §8). Values already under the
current key are left alone, so a second run changes nothing.

The rows are read raw (a lightweight table without the encrypted types), in key order, in batches.
"""

from __future__ import annotations

import json
from collections.abc import Callable

import sqlalchemy as sa

from xueji_common.datakeys import KeyRing, is_encrypted, key_id_of
from xueji_common.db.encrypted import ENVELOPE, EncryptedJSON, keyring_of

BATCH = 1000
_SAME = object()


def reencrypt_table(
    connection,
    table: sa.Table,
    keys: tuple[str, ...],
    *,
    batch: int = BATCH,
    progress: Callable[[int], None] | None = None,
) -> int:
    """Every encrypted column of `table` under the current key; returns the rows rewritten. `keys`:
    the primary key columns. Runs in the connection's transaction."""
    columns = {c.name: c.type for c in table.columns if hasattr(c.type, "purpose")}
    raw = sa.table(
        table.name,
        *(sa.column(k, sa.String) for k in keys),
        *(sa.column(n, sa.JSON if isinstance(t, EncryptedJSON) else sa.String) for n, t in columns.items()),
    )
    key_of = sa.tuple_(*(raw.c[k] for k in keys))
    after, rewritten = None, 0
    while True:
        query = sa.select(raw).order_by(*(raw.c[k] for k in keys)).limit(batch)
        if after is not None:
            query = query.where(key_of > sa.tuple_(*after))
        rows = connection.execute(query).all()
        if not rows:
            return rewritten
        ring = keyring_of(connection.dialect)  # only now: an empty database migrates without a key
        for row in rows:
            values = {n: fresh(ring, t, row._mapping[n]) for n, t in columns.items()}
            values = {n: v for n, v in values.items() if v is not _SAME}
            if values:
                where = [raw.c[k] == row._mapping[k] for k in keys]
                connection.execute(sa.update(raw).where(*where).values(**values))
                rewritten += 1
        after = tuple(rows[-1]._mapping[k] for k in keys)
        if progress:
            progress(len(rows))


def fresh(ring: KeyRing, column_type, value):
    """The value to store under the current key, or _SAME when it already is."""
    if value is None or value == "":
        return _SAME
    purpose = column_type.purpose
    if isinstance(column_type, EncryptedJSON):
        if isinstance(value, str):  # a driver that hands JSON back as text
            value = json.loads(value)
        if isinstance(value, dict) and set(value) == {ENVELOPE}:
            inner = _fresh_text(ring, purpose, value[ENVELOPE])
            return _SAME if inner is _SAME else {ENVELOPE: inner}
        text = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
        return {ENVELOPE: ring.encrypt(text, purpose)}
    return _fresh_text(ring, purpose, value)


def _fresh_text(ring: KeyRing, purpose: str, value: str):
    if not is_encrypted(value):
        return ring.encrypt(value, purpose)
    if key_id_of(value) == ring.current_id:
        return _SAME
    return ring.encrypt(ring.decrypt(value, purpose), purpose)
