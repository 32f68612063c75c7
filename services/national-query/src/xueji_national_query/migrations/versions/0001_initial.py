"""National records read model, outbox and inbox.

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
        "national_records",
        sa.Column("record_id", sa.String(36), primary_key=True),
        sa.Column("national_student_number", sa.String(19), nullable=False, unique=True),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("gender", sa.Integer, nullable=False),
        sa.Column("birth_date", sa.Date, nullable=False),
        sa.Column("document_type", sa.String(2), nullable=False),
        sa.Column("document_hash", sa.String(64), nullable=False),
        sa.Column("document_masked", sa.String(40), nullable=False),
        sa.Column("province_code", sa.String(6), nullable=False),
        sa.Column("school_code", sa.String(10), nullable=False),
        sa.Column("school_name", sa.String(200), nullable=False),
        sa.Column("stage", sa.String(20), nullable=False),
        sa.Column("enrolment_status", sa.String(20), nullable=False),
        sa.Column("problem", sa.Boolean, nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("changed_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_national_records_document", "national_records", ["document_hash"])
    op.create_index("ix_national_records_identity", "national_records", ["name", "gender", "birth_date"])
    create_messaging_tables(op)


def downgrade() -> None:
    drop_messaging_tables(op)
    op.drop_table("national_records")
