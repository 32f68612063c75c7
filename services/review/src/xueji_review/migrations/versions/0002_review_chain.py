"""The review chain: list columns and level on cases, the decision history, early dedup results.

Revision ID: 0002_review_chain
Revises: 0001
Create Date: 2026-12-01
"""

import sqlalchemy as sa
from alembic import op

revision = "0002_review_chain"
down_revision = "0001"
branch_labels = None
depends_on = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    with op.batch_alter_table("review_cases") as batch:
        batch.add_column(sa.Column("grade", sa.String(20), nullable=False, server_default=""))
        batch.add_column(sa.Column("class_name", sa.String(50), nullable=False, server_default=""))
        batch.add_column(sa.Column("current_level", sa.Integer, nullable=False, server_default="5"))
        batch.add_column(sa.Column("gate_reason", sa.String(500), nullable=False, server_default=""))
        batch.add_column(sa.Column("updated_at", sa.DateTime(timezone=True)))
    op.create_table(
        "review_case_history",
        sa.Column("id", _ID, primary_key=True, autoincrement=True),
        sa.Column("application_id", sa.String(36), nullable=False),
        sa.Column("revision", sa.Integer, nullable=False),
        sa.Column("event_type", sa.String(20), nullable=False),
        sa.Column("level", sa.Integer, nullable=False),
        sa.Column("unit_code", sa.String(10), nullable=False),
        sa.Column("user_id", sa.String(100), nullable=False),
        sa.Column("role", sa.String(30), nullable=False),
        sa.Column("opinion", sa.String(1000), nullable=False),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_review_case_history_application", "review_case_history", ["application_id", "id"])
    op.create_table(
        "review_gate_results",
        sa.Column("application_id", sa.String(36), primary_key=True),
        sa.Column("revision", sa.Integer, primary_key=True),
        sa.Column("passed", sa.Boolean, nullable=False),
        sa.Column("reason", sa.String(500), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("review_gate_results")
    op.drop_index("ix_review_case_history_application", "review_case_history")
    op.drop_table("review_case_history")
    with op.batch_alter_table("review_cases") as batch:
        for name in ("updated_at", "gate_reason", "current_level", "class_name", "grade"):
            batch.drop_column(name)
