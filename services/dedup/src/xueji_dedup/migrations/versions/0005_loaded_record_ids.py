"""Records loaded from files (national-query's bulk load, Dedup.LoadRecordHoldings) held under the id
"nq-" + their national student number: renamed to the id the load now gives (hashing.
loaded_record_id, "nq-" + the number's keyed hash), as national-query's migration nq0004 renames
them there. A G number is G + the resident ID (issue 13 §4): no id may carry it. Every table that
names a record is renamed alike; the keyed hash needs the XUEJI_HASH_KEY bound to the engine, read
only when such an id exists.

Revision ID: 0005_loaded_record_ids
Revises: 0004_number_update_time
Create Date: 2026-12-07
"""

import re

import sqlalchemy as sa
from alembic import op

from xueji_common.db.encrypted import hash_key_of
from xueji_common.hashing import loaded_record_id, student_number_hash

revision = "0005_loaded_record_ids"
down_revision = "0004_number_update_time"
branch_labels = None
depends_on = None

TABLES = ("national_records", "national_reservations", "problem_students", "problem_actions")
_LOADED = re.compile(r"nq-([GLJ][0-9]{17}[0-9X])")


def upgrade() -> None:
    bind = op.get_bind()
    key = None
    for name in TABLES:
        table = sa.table(name, sa.column("record_id", sa.String))
        ids = bind.execute(
            sa.select(table.c.record_id).where(table.c.record_id.like("nq-%")).distinct()
        ).scalars()
        renamed = []
        for record_id in ids:
            if (match := _LOADED.fullmatch(record_id)) is not None:
                key = key or hash_key_of(bind.dialect)
                renamed.append(
                    {"old": record_id, "new": loaded_record_id(student_number_hash(key, match[1]))}
                )
        if renamed:
            bind.execute(
                sa.update(table)
                .where(table.c.record_id == sa.bindparam("old"))
                .values(record_id=sa.bindparam("new")),
                renamed,
            )


def downgrade() -> None:
    raise NotImplementedError(
        "0005_loaded_record_ids cannot be undone (the ids would carry the numbers again)"
    )
