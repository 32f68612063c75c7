"""Preschool transfers (学前调档), Excel imports and their row outcomes.

Revision ID: 0002_preschool_imports
Revises: 0001
Create Date: 2026-11-28
"""

import sqlalchemy as sa
from alembic import op

revision = "0002_preschool_imports"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "preschool_transfers",
        sa.Column("transfer_id", sa.String(36), primary_key=True),
        sa.Column("school_code", sa.String(10), nullable=False),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("gender", sa.Integer, nullable=False),
        sa.Column("birth_date", sa.Date, nullable=False),
        sa.Column("document_type", sa.String(2), nullable=False),
        sa.Column("document_number", sa.String(40), nullable=False),
        sa.Column("document_hash", sa.String(64)),
        sa.Column("category", sa.String(20), nullable=False),
        sa.Column("match_status", sa.String(20), nullable=False),
        sa.Column("candidates", sa.JSON, nullable=False),
        sa.Column("matched_record", sa.JSON),
        sa.Column("match_confirmed_by", sa.JSON),
        sa.Column("import_id", sa.String(36)),
        sa.Column("created_by", sa.String(100), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
    )
    op.create_index(
        "ux_preschool_transfers_school_document",
        "preschool_transfers",
        ["school_code", "document_hash"],
        unique=True,
    )
    op.create_index("ix_preschool_transfers_school_name", "preschool_transfers", ["school_code", "name"])
    op.create_table(
        "imports",
        sa.Column("import_id", sa.String(36), primary_key=True),
        sa.Column("school_code", sa.String(10), nullable=False),
        sa.Column("template", sa.String(60), nullable=False),
        sa.Column("kind", sa.String(30)),
        sa.Column("category", sa.String(20)),
        sa.Column("file_name", sa.String(255), nullable=False),
        sa.Column("rows_total", sa.Integer, nullable=False),
        sa.Column("rows_passed", sa.Integer, nullable=False),
        sa.Column("rows_failed", sa.Integer, nullable=False),
        sa.Column("request_id", sa.String(64)),
        sa.Column("created_by", sa.String(100), nullable=False),
        sa.Column("created_by_role", sa.String(30), nullable=False),
        sa.Column("created_by_unit", sa.String(10), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ux_imports_school_request", "imports", ["school_code", "request_id"], unique=True)
    op.create_index("ix_imports_school_created", "imports", ["school_code", "created_at"])
    op.create_table(
        "import_rows",
        sa.Column("import_id", sa.String(36), primary_key=True),
        sa.Column("row_number", sa.Integer, primary_key=True),
        sa.Column("created_id", sa.String(36)),
        sa.Column("cells", sa.JSON),
        sa.Column("errors", sa.JSON),
    )


def downgrade() -> None:
    op.drop_table("import_rows")
    op.drop_table("imports")
    op.drop_table("preschool_transfers")
