"""National student numbers encrypted at rest, found by their keyed hash (issue 13 §4).

A formal number is G + the resident ID: `student_records.national_student_number` widens to hold a
ciphertext (xueji_common.db.encrypted), and `national_student_number_hash` (hashing.
student_number_hash, under the XUEJI_HASH_KEY bound to the engine) takes over its unique index. Every
existing row gets its hash while the number is still in clear, then is rewritten under the current
XUEJI_DATA_KEY (db.reencrypt). Not reversible: a downgrade would write the numbers back in clear.

Revision ID: 0007_encrypted_student_numbers
Revises: 0006_encrypted_numbers
Create Date: 2026-12-07
"""

import sqlalchemy as sa
from alembic import op

from xueji_common.db.encrypted import hash_key_of
from xueji_common.db.reencrypt import reencrypt_table
from xueji_common.hashing import student_number_hash

revision = "0007_encrypted_student_numbers"
down_revision = "0006_encrypted_numbers"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("student_records", sa.Column("national_student_number_hash", sa.String(64)))
    bind = op.get_bind()
    _hashes(bind)
    if bind.dialect.name == "postgresql":
        op.drop_constraint("student_records_national_student_number_key", "student_records", type_="unique")
        convention = {}
    else:  # SQLite's unique constraint has no name: batch mode names it by this convention to drop it
        convention = {"uq": "uq_%(table_name)s_%(column_0_name)s"}
    with op.batch_alter_table("student_records", naming_convention=convention) as batch:
        if convention:
            batch.drop_constraint("uq_student_records_national_student_number", type_="unique")
        batch.alter_column(
            "national_student_number",
            type_=sa.String(200),
            existing_type=sa.String(19),
            existing_nullable=False,
        )
        batch.alter_column("national_student_number_hash", nullable=False, existing_type=sa.String(64))
        batch.create_unique_constraint(
            "uq_student_records_national_student_number_hash", ["national_student_number_hash"]
        )
    from xueji_registration.adapters.tables import student_records

    reencrypt_table(bind, student_records, ("record_id",))


def _hashes(bind) -> None:
    raw = sa.table(
        "student_records",
        sa.column("record_id", sa.String),
        sa.column("national_student_number", sa.String),
        sa.column("national_student_number_hash", sa.String),
    )
    rows = bind.execute(sa.select(raw.c.record_id, raw.c.national_student_number)).all()
    if not rows:
        return
    key = hash_key_of(bind.dialect)  # only now: an empty database migrates without a key
    for record_id, number in rows:
        bind.execute(
            sa.update(raw)
            .where(raw.c.record_id == record_id)
            .values(national_student_number_hash=student_number_hash(key, number))
        )


def downgrade() -> None:
    raise NotImplementedError(
        "0007_encrypted_student_numbers cannot be undone (it would write numbers in clear)"
    )
