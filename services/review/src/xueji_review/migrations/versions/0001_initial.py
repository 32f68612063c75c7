"""Review cases, outbox and inbox.

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
        "review_cases",
        sa.Column("application_id", sa.String(36), primary_key=True),
        sa.Column("revision", sa.Integer, nullable=False),
        sa.Column("school_code", sa.String(10), nullable=False),
        sa.Column("county_code", sa.String(6), nullable=False),
        sa.Column("kind", sa.String(30), nullable=False),
        sa.Column("category", sa.String(20), nullable=False),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("gender", sa.Integer, nullable=False),
        sa.Column("birth_date", sa.Date),
        sa.Column("document_type", sa.String(2), nullable=False),
        sa.Column("document_masked", sa.String(40), nullable=False),
        sa.Column("state", sa.String(40), nullable=False),
        sa.Column("gate", sa.String(20), nullable=False),
        sa.Column("handling_unit", sa.String(10), nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("submitted_at", sa.DateTime(timezone=True)),
    )
    op.create_index("ix_review_cases_school_state", "review_cases", ["school_code", "state", "category"])
    op.create_index("ix_review_cases_handling", "review_cases", ["handling_unit", "state"])
    create_messaging_tables(op)


def downgrade() -> None:
    drop_messaging_tables(op)
    op.drop_table("review_cases")
