"""Identity dedup: national reservations, records and student numbers; province index; problem records.

Revision ID: 0002_dedup_tiers
Revises: 0001
Create Date: 2026-12-01
"""

import sqlalchemy as sa
from alembic import op

revision = "0002_dedup_tiers"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "national_records",
        sa.Column("record_id", sa.String(length=64), nullable=False),
        sa.Column("document_type", sa.String(length=1), nullable=False),
        sa.Column("document_hash", sa.String(length=64), nullable=False),
        sa.Column("application_id", sa.String(length=64), nullable=False),
        sa.Column("province_code", sa.String(length=6), nullable=False),
        sa.Column("school_code", sa.String(length=10), nullable=False),
        sa.Column("national_student_number", sa.String(length=19), nullable=False),
        sa.Column("update_time", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("record_id"),
    )
    op.create_index(
        "ix_national_records_document", "national_records", ["document_type", "document_hash"], unique=False
    )
    op.create_table(
        "national_reservations",
        sa.Column("reservation_id", sa.String(length=36), nullable=False),
        sa.Column("document_type", sa.String(length=1), nullable=False),
        sa.Column("document_hash", sa.String(length=64), nullable=False),
        sa.Column("application_id", sa.String(length=64), nullable=False),
        sa.Column("province_code", sa.String(length=6), nullable=False),
        sa.Column("school_code", sa.String(length=10), nullable=False),
        sa.Column("state", sa.String(length=12), nullable=False),
        sa.Column("record_id", sa.String(length=64), nullable=False),
        sa.Column("national_student_number", sa.String(length=19), nullable=False),
        sa.Column("release_reason", sa.String(length=40), nullable=False),
        sa.Column("create_time", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expire_time", sa.DateTime(timezone=True), nullable=False),
        sa.Column("update_time", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("reservation_id"),
    )
    op.create_index(
        "ix_national_reservations_application", "national_reservations", ["application_id"], unique=False
    )
    op.create_index(
        "uq_national_reservations_holding",
        "national_reservations",
        ["document_type", "document_hash"],
        unique=True,
        postgresql_where=sa.text("state IN ('active', 'committed')"),
        sqlite_where=sa.text("state IN ('active', 'committed')"),
    )
    op.create_table(
        "problem_actions",
        sa.Column(
            "id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False
        ),
        sa.Column("group_id", sa.String(length=36), nullable=False),
        sa.Column("record_id", sa.String(length=64), nullable=False),
        sa.Column("resolution", sa.String(length=20), nullable=False),
        sa.Column("org_unit_code", sa.String(length=10), nullable=False),
        sa.Column("org_unit_name", sa.String(length=100), nullable=False),
        sa.Column("user_id", sa.String(length=100), nullable=False),
        sa.Column("role", sa.String(length=30), nullable=False),
        sa.Column("time", sa.DateTime(timezone=True), nullable=False),
        sa.Column("opinion", sa.Text(), nullable=False),
        sa.Column("corrected_name", sa.String(length=100), nullable=False),
        sa.Column("corrected_gender", sa.Integer(), nullable=False),
        sa.Column("corrected_birth_date", sa.Date(), nullable=True),
        sa.Column("corrected_document_type", sa.String(length=1), nullable=False),
        sa.Column("corrected_document_masked", sa.String(length=40), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_problem_actions_group", "problem_actions", ["group_id"], unique=False)
    op.create_table(
        "problem_groups",
        sa.Column("group_id", sa.String(length=36), nullable=False),
        sa.Column("kind", sa.String(length=30), nullable=False),
        sa.Column("match_key", sa.String(length=64), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("resolver_level", sa.Integer(), nullable=False),
        sa.Column("resolver_unit_code", sa.String(length=10), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("create_time", sa.DateTime(timezone=True), nullable=False),
        sa.Column("update_time", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("group_id"),
    )
    op.create_index("ix_problem_groups_match", "problem_groups", ["kind", "match_key"], unique=False)
    op.create_table(
        "problem_proofs",
        sa.Column("file_id", sa.String(length=36), nullable=False),
        sa.Column("group_id", sa.String(length=36), nullable=False),
        sa.Column("action_time", sa.DateTime(timezone=True), nullable=False),
        sa.Column("file_name", sa.String(length=255), nullable=False),
        sa.Column("content_type", sa.String(length=100), nullable=False),
        sa.Column("size_bytes", sa.BigInteger(), nullable=False),
        sa.Column("content", sa.LargeBinary(), nullable=False),
        sa.PrimaryKeyConstraint("file_id"),
    )
    op.create_index("ix_problem_proofs_group", "problem_proofs", ["group_id"], unique=False)
    op.create_table(
        "problem_students",
        sa.Column("group_id", sa.String(length=36), nullable=False),
        sa.Column("record_id", sa.String(length=64), nullable=False),
        sa.Column("application_id", sa.String(length=64), nullable=False),
        sa.Column("national_student_number", sa.String(length=19), nullable=False),
        sa.Column("temporary_number", sa.Boolean(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("gender", sa.Integer(), nullable=False),
        sa.Column("birth_date", sa.Date(), nullable=True),
        sa.Column("document_type", sa.String(length=1), nullable=False),
        sa.Column("document_masked", sa.String(length=40), nullable=False),
        sa.Column("school_code", sa.String(length=10), nullable=False),
        sa.Column("county_code", sa.String(length=6), nullable=False),
        sa.Column("city_code", sa.String(length=6), nullable=False),
        sa.Column("province_code", sa.String(length=6), nullable=False),
        sa.Column("status", sa.String(length=30), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("group_id", "record_id"),
    )
    op.create_index("ix_problem_students_city", "problem_students", ["city_code"], unique=False)
    op.create_index("ix_problem_students_county", "problem_students", ["county_code"], unique=False)
    op.create_index("ix_problem_students_province", "problem_students", ["province_code"], unique=False)
    op.create_index("ix_problem_students_record", "problem_students", ["record_id"], unique=False)
    op.create_index("ix_problem_students_school", "problem_students", ["school_code"], unique=False)
    op.create_table(
        "province_applications",
        sa.Column("application_id", sa.String(length=64), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("school_code", sa.String(length=10), nullable=False),
        sa.Column("kind", sa.String(length=30), nullable=False),
        sa.Column("category", sa.String(length=20), nullable=False),
        sa.Column("document_type", sa.String(length=1), nullable=False),
        sa.Column("document_hash", sa.String(length=64), nullable=False),
        sa.Column("document_masked", sa.String(length=40), nullable=False),
        sa.Column("outcome", sa.String(length=20), nullable=False),
        sa.Column("reason_code", sa.String(length=40), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("reservation_id", sa.String(length=36), nullable=False),
        sa.Column("state", sa.String(length=20), nullable=False),
        sa.Column("update_time", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("application_id"),
    )
    op.create_table(
        "province_records",
        sa.Column("record_id", sa.String(length=64), nullable=False),
        sa.Column("application_id", sa.String(length=64), nullable=False),
        sa.Column("school_code", sa.String(length=10), nullable=False),
        sa.Column("county_code", sa.String(length=6), nullable=False),
        sa.Column("category", sa.String(length=20), nullable=False),
        sa.Column("document_type", sa.String(length=1), nullable=False),
        sa.Column("document_hash", sa.String(length=64), nullable=False),
        sa.Column("document_masked", sa.String(length=40), nullable=False),
        sa.Column("national_student_number", sa.String(length=19), nullable=False),
        sa.Column("temporary_number", sa.Boolean(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("gender", sa.Integer(), nullable=False),
        sa.Column("birth_date", sa.Date(), nullable=True),
        sa.Column("snapshot_version", sa.BigInteger(), nullable=False),
        sa.Column("update_time", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("record_id"),
    )
    op.create_index(
        "ix_province_records_document", "province_records", ["document_type", "document_hash"], unique=False
    )
    op.create_index(
        "ix_province_records_identity", "province_records", ["name", "gender", "birth_date"], unique=False
    )
    op.create_table(
        "student_numbers",
        sa.Column("number_hash", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=12), nullable=False),
        sa.Column("owner_id", sa.String(length=64), nullable=False),
        sa.Column("national_student_number", sa.String(length=19), nullable=False),
        sa.Column("create_time", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("number_hash"),
        sa.UniqueConstraint("owner_id", "kind", name="uq_student_numbers_owner"),
    )


def downgrade() -> None:
    op.drop_table("student_numbers")
    op.drop_index("ix_province_records_identity", table_name="province_records")
    op.drop_index("ix_province_records_document", table_name="province_records")
    op.drop_table("province_records")
    op.drop_table("province_applications")
    op.drop_index("ix_problem_students_school", table_name="problem_students")
    op.drop_index("ix_problem_students_record", table_name="problem_students")
    op.drop_index("ix_problem_students_province", table_name="problem_students")
    op.drop_index("ix_problem_students_county", table_name="problem_students")
    op.drop_index("ix_problem_students_city", table_name="problem_students")
    op.drop_table("problem_students")
    op.drop_index("ix_problem_proofs_group", table_name="problem_proofs")
    op.drop_table("problem_proofs")
    op.drop_index("ix_problem_groups_match", table_name="problem_groups")
    op.drop_table("problem_groups")
    op.drop_index("ix_problem_actions_group", table_name="problem_actions")
    op.drop_table("problem_actions")
    op.drop_index(
        "uq_national_reservations_holding",
        table_name="national_reservations",
        postgresql_where=sa.text("state IN ('active', 'committed')"),
        sqlite_where=sa.text("state IN ('active', 'committed')"),
    )
    op.drop_index("ix_national_reservations_application", table_name="national_reservations")
    op.drop_table("national_reservations")
    op.drop_index("ix_national_records_document", table_name="national_records")
    op.drop_table("national_records")
