"""Application lifecycle columns, student records, uploaded files.

Revision ID: 0002_lifecycle
Revises: 0001
Create Date: 2026-11-28
"""

import sqlalchemy as sa
from alembic import op

revision = "0002_lifecycle"
down_revision = "0001"
branch_labels = None
depends_on = None

_NEW_APPLICATION_COLUMNS = (
    ("county_code", sa.String(6)),
    ("city_code", sa.String(6)),
    ("province_code", sa.String(6)),
    ("grade", sa.String(20)),
    ("proof_material_ids", sa.JSON),
    ("preschool_transfer_id", sa.String(36)),
    ("import_id", sa.String(36)),
    ("handling_unit_code", sa.String(10)),
    ("dedup_failure_reason", sa.Text),
    ("last_rejection", sa.JSON),
    ("withdrawal", sa.JSON),
    ("record_id", sa.String(36)),
    ("submitted_at", sa.DateTime(timezone=True)),
    ("updated_at", sa.DateTime(timezone=True)),
    ("request_id", sa.String(64)),
)


def upgrade() -> None:
    with op.batch_alter_table("applications") as batch:
        batch.add_column(sa.Column("entry_channel", sa.String(20), nullable=False, server_default="manual"))
        for name, type_ in _NEW_APPLICATION_COLUMNS:
            batch.add_column(sa.Column(name, type_))
        batch.create_index("ix_applications_handling_unit", ["handling_unit_code"])
        batch.create_index("ix_applications_preschool_transfer", ["preschool_transfer_id"])
        for level in ("county", "city", "province"):
            batch.create_index(f"ix_applications_{level}", [f"{level}_code"])
        batch.create_index("ux_applications_school_request", ["school_code", "request_id"], unique=True)
    op.create_table(
        "student_records",
        sa.Column("record_id", sa.String(36), primary_key=True),
        sa.Column("national_student_number", sa.String(19), nullable=False, unique=True),
        sa.Column("number_kind", sa.String(12), nullable=False),
        sa.Column("application_id", sa.String(36), nullable=False, unique=True),
        sa.Column("school_code", sa.String(10), nullable=False),
        sa.Column("province_code", sa.String(6), nullable=False),
        sa.Column("city_code", sa.String(6), nullable=False),
        sa.Column("county_code", sa.String(6), nullable=False),
        sa.Column("kind", sa.String(30), nullable=False),
        sa.Column("category", sa.String(20), nullable=False),
        sa.Column("stage", sa.String(20), nullable=False),
        sa.Column("enrolment_status", sa.String(20), nullable=False),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("gender", sa.Integer, nullable=False),
        sa.Column("birth_date", sa.Date, nullable=False),
        sa.Column("document_type", sa.String(2), nullable=False),
        sa.Column("document_number", sa.String(40), nullable=False),
        sa.Column("document_hash", sa.String(64), nullable=False),
        sa.Column("form", sa.JSON, nullable=False),
        sa.Column("problem_record", sa.Boolean, nullable=False),
        sa.Column("problem_group_id", sa.String(64), nullable=False),
        sa.Column("cancelled", sa.Boolean, nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_student_records_school", "student_records", ["school_code"])
    op.create_index("ix_student_records_document_hash", "student_records", ["document_hash"])
    for level in ("county", "city", "province"):
        op.create_index(f"ix_student_records_{level}", "student_records", [f"{level}_code"])
    op.create_table(
        "uploaded_files",
        sa.Column("file_id", sa.String(36), primary_key=True),
        sa.Column("school_code", sa.String(10), nullable=False),
        sa.Column("purpose", sa.String(20), nullable=False),
        sa.Column("file_name", sa.String(100), nullable=False),
        sa.Column("content_type", sa.String(50), nullable=False),
        sa.Column("size_bytes", sa.BigInteger, nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("storage_key", sa.String(200), nullable=False),
        sa.Column("uploaded_by", sa.String(100), nullable=False),
        sa.Column("uploaded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("application_id", sa.String(36)),
    )
    op.create_index("ix_uploaded_files_school", "uploaded_files", ["school_code"])


def downgrade() -> None:
    op.drop_table("uploaded_files")
    op.drop_table("student_records")
    with op.batch_alter_table("applications") as batch:
        batch.drop_index("ix_applications_preschool_transfer")
        for level in ("county", "city", "province"):
            batch.drop_index(f"ix_applications_{level}")
        batch.drop_index("ux_applications_school_request")
        batch.drop_index("ix_applications_handling_unit")
        for name, _ in reversed(_NEW_APPLICATION_COLUMNS):
            batch.drop_column(name)
        batch.drop_column("entry_channel")
