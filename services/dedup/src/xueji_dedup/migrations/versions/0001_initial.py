"""Population register table, outbox and inbox.

Revision ID: 0001
Revises:
Create Date: 2026-11-28
"""

import sqlalchemy as sa
from alembic import op

from xueji_common.db.messaging_tables import create_messaging_tables, drop_messaging_tables

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "population_register",
        sa.Column("document_hash", sa.String(64), primary_key=True),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("gender", sa.Integer, nullable=False),
        sa.Column("birth_date", sa.Date, nullable=False),
        sa.Column("household_division", sa.String(6), nullable=False),
    )
    create_messaging_tables(op)


def downgrade() -> None:
    drop_messaging_tables(op)
    op.drop_table("population_register")
