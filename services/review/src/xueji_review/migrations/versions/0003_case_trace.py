"""The trace of a case's submission, that the events of its decisions continue (tracing).

Revision ID: 0003_case_trace
Revises: 0002_review_chain
Create Date: 2026-12-07
"""

import sqlalchemy as sa
from alembic import op

revision = "0003_case_trace"
down_revision = "0002_review_chain"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("review_cases") as batch:
        batch.add_column(sa.Column("traceparent", sa.String(55), nullable=False, server_default=""))


def downgrade() -> None:
    with op.batch_alter_table("review_cases") as batch:
        batch.drop_column("traceparent")
