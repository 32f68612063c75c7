"""Students' national student numbers encrypted at rest (issue 13 §4: a G number is G + the
resident ID). The column widens to hold a ciphertext (xueji_common.db.encrypted) and every existing
row is rewritten under the current XUEJI_DATA_KEY (db.reencrypt). Not reversible: a downgrade would
write the numbers back in clear.

Revision ID: sped0004
Revises: sped0003
Create Date: 2026-12-07
"""

import sqlalchemy as sa
from alembic import op

from xueji_common.db.reencrypt import reencrypt_table

revision = "sped0004"
down_revision = "sped0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("students") as batch:
        batch.alter_column(
            "national_student_number",
            type_=sa.String(200),
            existing_type=sa.String(19),
            existing_nullable=False,
        )
    from xueji_special_ed.adapters.tables import students

    reencrypt_table(op.get_bind(), students, ("record_id",))


def downgrade() -> None:
    raise NotImplementedError("sped0004 cannot be undone (it would write numbers in clear)")
