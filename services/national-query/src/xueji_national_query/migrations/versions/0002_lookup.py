"""Open problem groups per record, captchas, the lookup audit.

Revision ID: nq0002
Revises: 0001
Create Date: 2026-11-28
"""

import sqlalchemy as sa
from alembic import op

revision = "nq0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "record_problems",
        sa.Column("record_id", sa.String(36), nullable=False),
        sa.Column("problem_group_id", sa.String(64), nullable=False),
        sa.PrimaryKeyConstraint("record_id", "problem_group_id", name="pk_record_problems"),
    )
    op.create_table(
        "captchas",
        sa.Column("captcha_id", sa.String(36), primary_key=True),
        sa.Column("answer_digest", sa.String(64), nullable=False),
        sa.Column("user_id", sa.String(100), nullable=False),
        sa.Column("expire_time", sa.DateTime(timezone=True), nullable=False),
        sa.Column("used_time", sa.DateTime(timezone=True)),
    )
    op.create_index("ix_captchas_expire_time", "captchas", ["expire_time"])
    op.create_table(
        "lookup_audit",
        sa.Column(
            "id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), primary_key=True, autoincrement=True
        ),
        sa.Column("asked_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("user_id", sa.String(100), nullable=False),
        sa.Column("role", sa.String(30), nullable=False),
        sa.Column("org_unit", sa.String(10), nullable=False),
        sa.Column("client_address", sa.String(100), nullable=False),
        sa.Column("query_kind", sa.String(20), nullable=False),
        sa.Column("name_masked", sa.String(100), nullable=False),
        sa.Column("key_masked", sa.String(40), nullable=False),
        sa.Column("outcome", sa.String(20), nullable=False),
        sa.Column("result_count", sa.Integer, nullable=False),
    )
    op.create_index("ix_lookup_audit_user_time", "lookup_audit", ["user_id", "asked_at"])


def downgrade() -> None:
    op.drop_table("lookup_audit")
    op.drop_table("captchas")
    op.drop_table("record_problems")
