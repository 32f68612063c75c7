"""Cross-province problem groups live at the national tier: one open group per (kind, match_key), and
the per-province outbox of their events (national_deliveries, pulled by each province's dedup
worker, which keeps its cursor in province_delivery_cursor and its records' places in national groups
in province_national_members).

Revision ID: 0005_national_problem_groups
Revises: 0004_number_update_time
Create Date: 2026-12-07
"""

import sqlalchemy as sa
from alembic import op

revision = "0005_national_problem_groups"
down_revision = "0004_number_update_time"
branch_labels = None
depends_on = None

_OPEN = "status <> 'resolved' AND match_key <> ''"


def upgrade() -> None:
    op.create_index(
        "uq_problem_groups_open",
        "problem_groups",
        ["kind", "match_key"],
        unique=True,
        postgresql_where=sa.text(_OPEN),
        sqlite_where=sa.text(_OPEN),
    )
    op.create_table(
        "national_deliveries",
        sa.Column("province_code", sa.String(6), primary_key=True),
        sa.Column("sequence", sa.BigInteger, primary_key=True),
        sa.Column("event_id", sa.String(36), nullable=False, unique=True),
        sa.Column("event_type", sa.String(40), nullable=False),
        sa.Column("payload", sa.LargeBinary, nullable=False),
        sa.Column("create_time", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "national_delivery_heads",
        sa.Column("province_code", sa.String(6), primary_key=True),
        sa.Column("last_sequence", sa.BigInteger, nullable=False),
    )
    op.create_table(
        "province_delivery_cursor",
        sa.Column("province_code", sa.String(6), primary_key=True),
        sa.Column("after_sequence", sa.BigInteger, nullable=False),
        sa.Column("update_time", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "province_national_members",
        sa.Column("group_id", sa.String(36), primary_key=True),
        sa.Column("record_id", sa.String(64), primary_key=True),
        sa.Column("status", sa.String(30), nullable=False),
    )
    op.create_index("ix_province_national_members_record", "province_national_members", ["record_id"])


def downgrade() -> None:
    op.drop_table("province_national_members")
    op.drop_table("province_delivery_cursor")
    op.drop_table("national_delivery_heads")
    op.drop_table("national_deliveries")
    op.drop_index("uq_problem_groups_open", table_name="problem_groups")
