"""Cross-province problem groups reported to the national tier; deleted records release their holding.

Revision ID: 0003_national_problem_view
Revises: 0002_dedup_tiers
Create Date: 2026-12-08
"""

import sqlalchemy as sa
from alembic import op

revision = "0003_national_problem_view"
down_revision = "0002_dedup_tiers"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("problem_groups") as batch:
        batch.add_column(
            sa.Column("reporting_province", sa.String(length=6), nullable=False, server_default="")
        )
    op.create_index("ix_national_reservations_record", "national_reservations", ["record_id"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_national_reservations_record", table_name="national_reservations")
    with op.batch_alter_table("problem_groups") as batch:
        batch.drop_column("reporting_province")
