"""One live application per document: a partial unique index on the document hash.

Two imports or entries of the same document number running at the same time each see no holder
and would both create an application; the index lets one of them win (the other's statement fails
and the use case runs again, then refused with the usual duplicate message). Live: not withdrawn,
not yet a student record (dedup corrects a record's key data through its application, and shared
numbers among records are dedup's problem records), and with a number (no-document students have
none).

Revision ID: 0003_live_document_unique
Revises: 0002_lifecycle, 0002_preschool_imports
Create Date: 2026-11-28
"""

import sqlalchemy as sa
from alembic import op

revision = "0003_live_document_unique"
down_revision = ("0002_lifecycle", "0002_preschool_imports")
branch_labels = None
depends_on = None

LIVE = "state <> 'withdrawn' AND record_id IS NULL AND document_number <> ''"


def upgrade() -> None:
    bind = op.get_bind()
    shared = bind.execute(
        sa.text(
            f"SELECT count(*) FROM (SELECT document_hash FROM applications WHERE {LIVE} "
            "GROUP BY document_hash HAVING count(*) > 1) AS groups"
        )
    ).scalar()
    if shared:
        raise RuntimeError(
            f"{shared} document(s) are held by more than one live application: withdraw the "
            "extra applications (registration admin) before this upgrade"
        )
    op.create_index(
        "ux_applications_live_document",
        "applications",
        ["document_hash"],
        unique=True,
        postgresql_where=sa.text(LIVE),
        sqlite_where=sa.text(LIVE),
    )


def downgrade() -> None:
    op.drop_index("ux_applications_live_document", table_name="applications")
