"""Disability certificate numbers encrypted at rest (issue 13 §4: a 残疾证 number begins with the
resident ID). `special_ed_infos.certificate_number` widens to hold a ciphertext (xueji_common.db.
encrypted) and every existing row is rewritten under the current XUEJI_DATA_KEY (db.reencrypt); ''
(no certificate) stays ''. Not reversible: a downgrade would write the numbers back in clear.

Revision ID: sped0005
Revises: sped0004
Create Date: 2026-12-07
"""

import sqlalchemy as sa
from alembic import op

from xueji_common.db.reencrypt import reencrypt_table

revision = "sped0005"
down_revision = "sped0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("special_ed_infos") as batch:
        batch.alter_column(
            "certificate_number", type_=sa.String(200), existing_type=sa.String(30), existing_nullable=False
        )
    from xueji_special_ed.adapters.tables import special_ed_infos

    reencrypt_table(op.get_bind(), special_ed_infos, ("record_id",))


def downgrade() -> None:
    raise NotImplementedError("sped0005 cannot be undone (it would write numbers in clear)")
