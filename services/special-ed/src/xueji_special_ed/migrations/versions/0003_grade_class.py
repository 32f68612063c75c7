"""Students: grade and class from the record snapshot.

Revision ID: sped0003
Revises: sped0002
Create Date: 2026-11-28
"""

import sqlalchemy as sa
from alembic import op

revision = "sped0003"
down_revision = "sped0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("students") as batch:
        batch.add_column(sa.Column("grade", sa.String(20), nullable=False, server_default=""))
        batch.add_column(sa.Column("class_name", sa.String(50), nullable=False, server_default=""))


def downgrade() -> None:
    with op.batch_alter_table("students") as batch:
        batch.drop_column("class_name")
        batch.drop_column("grade")
