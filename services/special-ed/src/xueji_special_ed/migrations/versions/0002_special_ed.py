"""Students (projection of record events) and their special-education information.

Revision ID: sped0002
Revises: 0001
Create Date: 2026-11-28
"""

import sqlalchemy as sa
from alembic import op

revision = "sped0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "students",
        sa.Column("record_id", sa.String(36), primary_key=True),
        sa.Column("national_student_number", sa.String(19), nullable=False),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("gender", sa.Integer, nullable=False),
        sa.Column("birth_date", sa.Date),
        sa.Column("school_code", sa.String(10), nullable=False),
        sa.Column("disability_type", sa.String(20), nullable=False),
        sa.Column("inclusive_education", sa.String(20), nullable=False),
        sa.Column("document_type", sa.String(2), nullable=False),
        sa.Column("document_hash", sa.String(64), nullable=False),
        sa.Column("enrolled", sa.Boolean, nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
    )
    op.create_index("ix_students_school", "students", ["school_code", "disability_type"])
    op.create_table(
        "special_ed_infos",
        sa.Column("record_id", sa.String(36), primary_key=True),
        sa.Column("disability_type", sa.String(20), nullable=False),
        sa.Column("proof_type", sa.String(20), nullable=False),
        sa.Column("degree", sa.String(10), nullable=False),
        sa.Column("certificate_number", sa.String(30), nullable=False),
        sa.Column("symptom_description", sa.Text, nullable=False),
        sa.Column("inclusive_education", sa.String(20), nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("updated_org_unit", sa.String(10), nullable=False),
        sa.Column("updated_user_id", sa.String(100), nullable=False),
        sa.Column("updated_role", sa.String(30), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("special_ed_infos")
    op.drop_table("students")
