"""Document numbers, forms and failed-row cells encrypted at rest (xueji_common.db.encrypted).

The number columns widen to hold a ciphertext; student records get their form's grade as a column
of its own (the list filters on it; the form is encrypted now); every existing row is rewritten
under the current XUEJI_DATA_KEY (xueji_common.db.reencrypt). Not reversible: a downgrade would
have to write numbers back in clear.

Revision ID: 0006_encrypted_numbers
Revises: 0005_transfer_formal_record
Create Date: 2026-12-07
"""

import sqlalchemy as sa
from alembic import op

from xueji_common.db.reencrypt import reencrypt_table

revision = "0006_encrypted_numbers"
down_revision = "0005_transfer_formal_record"
branch_labels = None
depends_on = None

NUMBER_TABLES = ("applications", "student_records", "preschool_transfers")


def upgrade() -> None:
    for name in NUMBER_TABLES:
        with op.batch_alter_table(name) as batch:
            batch.alter_column(
                "document_number", type_=sa.String(200), existing_type=sa.String(40), existing_nullable=False
            )
    op.add_column("student_records", sa.Column("grade", sa.String(20)))
    bind = op.get_bind()
    from xueji_registration.adapters.preschool_tables import import_rows, preschool_transfers
    from xueji_registration.adapters.tables import applications, student_records

    _grades(bind)
    for table, keys in (
        (applications, ("application_id",)),
        (student_records, ("record_id",)),
        (preschool_transfers, ("transfer_id",)),
        (import_rows, ("import_id", "row_number")),
    ):
        reencrypt_table(bind, table, keys)


def _grades(bind) -> None:
    """The grade out of each record's form, while the forms are still in clear."""
    raw = sa.table(
        "student_records",
        sa.column("record_id", sa.String),
        sa.column("form", sa.JSON),
        sa.column("grade", sa.String),
    )
    for record_id, form in bind.execute(sa.select(raw.c.record_id, raw.c.form)).all():
        grade = (form or {}).get("grade", "") if isinstance(form, dict) else ""
        bind.execute(sa.update(raw).where(raw.c.record_id == record_id).values(grade=grade))


def downgrade() -> None:
    raise NotImplementedError("0006_encrypted_numbers cannot be undone (it would write numbers in clear)")
