"""Partial indexes for the periodic jobs, so that neither scans a whole table: the preschool transfers
still 匹配中, read oldest first by the rematch (service_layer.preschool.rematch_pending), and the uploads
not attached to an application, read oldest first by the purge (service_layer.uploads).

Revision ID: 0004_pending_transfers
Revises: 0003_live_document_unique
Create Date: 2026-11-29
"""

import sqlalchemy as sa
from alembic import op

revision = "0004_pending_transfers"
down_revision = "0003_live_document_unique"
branch_labels = None
depends_on = None

PENDING = sa.text("match_status = 'pending'")
UNATTACHED = sa.text("application_id IS NULL")


def upgrade() -> None:
    op.create_index(
        "ix_preschool_transfers_pending",
        "preschool_transfers",
        ["created_at", "transfer_id"],
        postgresql_where=PENDING,
        sqlite_where=PENDING,
    )
    op.create_index(
        "ix_uploaded_files_unattached",
        "uploaded_files",
        ["uploaded_at"],
        postgresql_where=UNATTACHED,
        sqlite_where=UNATTACHED,
    )


def downgrade() -> None:
    op.drop_index("ix_uploaded_files_unattached", table_name="uploaded_files")
    op.drop_index("ix_preschool_transfers_pending", table_name="preschool_transfers")
