"""Applications, outbox and inbox.

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
        "applications",
        sa.Column("application_id", sa.String(36), primary_key=True),
        sa.Column("school_code", sa.String(10), nullable=False),
        sa.Column("kind", sa.String(30), nullable=False),
        sa.Column("category", sa.String(20), nullable=False),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("gender", sa.Integer, nullable=False),
        sa.Column("birth_date", sa.Date, nullable=False),
        sa.Column("document_type", sa.String(2), nullable=False),
        sa.Column("document_number", sa.String(40), nullable=False),
        sa.Column("document_hash", sa.String(64), nullable=False),
        sa.Column("state", sa.String(40), nullable=False),
        sa.Column("authentication", sa.String(30), nullable=False),
        sa.Column("form", sa.JSON, nullable=False),
        sa.Column("created_by", sa.String(100), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revision", sa.Integer, nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
    )
    op.create_index("ix_applications_school_state", "applications", ["school_code", "state"])
    op.create_index("ix_applications_document_hash", "applications", ["document_hash"])
    create_messaging_tables(op)


def downgrade() -> None:
    drop_messaging_tables(op)
    op.drop_table("applications")
