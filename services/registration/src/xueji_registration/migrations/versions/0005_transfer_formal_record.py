"""Preschool transfers: the formal record the matching found for the child (where, number masked:
manual 4.5, 已成为正式学籍学生的，不允许导出), and CreatePreschoolTransfer's request id, unique per
school, so that a retried create returns the transfer it added.

Revision ID: 0005_transfer_formal_record
Revises: 0004_pending_transfers
Create Date: 2026-12-07
"""

import sqlalchemy as sa
from alembic import op

revision = "0005_transfer_formal_record"
down_revision = "0004_pending_transfers"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("preschool_transfers") as batch:
        batch.add_column(sa.Column("formal_record", sa.JSON()))
        batch.add_column(sa.Column("request_id", sa.String(64)))
        batch.create_index(
            "ux_preschool_transfers_school_request", ["school_code", "request_id"], unique=True
        )


def downgrade() -> None:
    with op.batch_alter_table("preschool_transfers") as batch:
        batch.drop_index("ux_preschool_transfers_school_request")
        batch.drop_column("request_id")
        batch.drop_column("formal_record")
