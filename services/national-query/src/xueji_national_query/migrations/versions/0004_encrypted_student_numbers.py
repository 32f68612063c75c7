"""National student numbers encrypted at rest, found by their keyed hash (issue 13 §4: a G number is
G + the resident ID).

`national_records.national_student_number` widens to hold a ciphertext (xueji_common.db.encrypted)
and `national_student_number_hash` (hashing.student_number_hash, under the XUEJI_HASH_KEY bound to the
engine) takes over its unique key. Records loaded from files had the id "nq-" + the number: they get
the id the bulk load now gives (hashing.loaded_record_id), in `record_problems` too (dedup's own
migration dedup0005 renames its holdings the same way). Then every row is rewritten under the
current XUEJI_DATA_KEY (db.reencrypt). Not reversible: a downgrade would write the numbers back in
clear.

Revision ID: nq0004
Revises: nq0003
Create Date: 2026-12-07
"""

import sqlalchemy as sa
from alembic import op

from xueji_common.db.encrypted import hash_key_of
from xueji_common.db.reencrypt import reencrypt_table
from xueji_common.hashing import loaded_record_id, student_number_hash

revision = "nq0004"
down_revision = "nq0003"
branch_labels = None
depends_on = None

BATCH = 5000
_RECORDS = sa.table(
    "national_records",
    sa.column("record_id", sa.String),
    sa.column("national_student_number", sa.String),
    sa.column("national_student_number_hash", sa.String),
)
_PROBLEMS = sa.table("record_problems", sa.column("record_id", sa.String))


def upgrade() -> None:
    bind = op.get_bind()
    postgres = bind.dialect.name == "postgresql"
    hash_type = (
        sa.String(64, collation="C") if postgres else sa.String(64)
    )  # a key compared bytewise (nq0003)
    op.add_column("national_records", sa.Column("national_student_number_hash", hash_type))
    _hashes_and_ids(bind)
    if postgres:
        op.drop_constraint("national_records_national_student_number_key", "national_records", type_="unique")
        convention = {}
    else:  # SQLite's unique constraint has no name: batch mode names it by this convention to drop it
        convention = {"uq": "uq_%(table_name)s_%(column_0_name)s"}
    with op.batch_alter_table("national_records", naming_convention=convention) as batch:
        if convention:
            batch.drop_constraint("uq_national_records_national_student_number", type_="unique")
        batch.alter_column(
            "national_student_number",
            type_=sa.String(200),
            existing_type=sa.String(19),
            existing_nullable=False,
        )
        batch.alter_column("national_student_number_hash", nullable=False, existing_type=hash_type)
        batch.create_unique_constraint(
            "uq_national_records_national_student_number_hash", ["national_student_number_hash"]
        )
    from xueji_national_query.adapters.tables import national_records

    reencrypt_table(bind, national_records, ("record_id",))


def _hashes_and_ids(bind) -> None:
    """Each row's hash from its number still in clear; a loaded record's id no longer the number."""
    query = sa.select(_RECORDS.c.record_id, _RECORDS.c.national_student_number)
    if (
        bind.dialect.name == "postgresql"
    ):  # streamed (a national table); the cursor sees the rows as they were
        result = bind.execute(query.execution_options(stream_results=True, yield_per=BATCH))
        batches = result.partitions(BATCH)
    else:
        rows = bind.execute(query).all()
        batches = [rows[i : i + BATCH] for i in range(0, len(rows), BATCH)]
    key = None
    for rows in batches:
        key = key or hash_key_of(bind.dialect)  # only now: an empty database migrates without a key
        hashes, renamed = [], []
        for record_id, number in rows:
            number_hash = student_number_hash(key, number)
            new_id = loaded_record_id(number_hash) if record_id == "nq-" + number else record_id
            hashes.append({"old": record_id, "new": new_id, "h": number_hash})
            if new_id != record_id:
                renamed.append({"old": record_id, "new": new_id})
        bind.execute(
            sa.update(_RECORDS)
            .where(_RECORDS.c.record_id == sa.bindparam("old"))
            .values(record_id=sa.bindparam("new"), national_student_number_hash=sa.bindparam("h")),
            hashes,
        )
        if renamed:
            bind.execute(
                sa.update(_PROBLEMS)
                .where(_PROBLEMS.c.record_id == sa.bindparam("old"))
                .values(record_id=sa.bindparam("new")),
                renamed,
            )


def downgrade() -> None:
    raise NotImplementedError("nq0004 cannot be undone (it would write numbers in clear)")
