"""Problem students: the version of the record a national group's copy was taken from, so that an
older refresh arriving after a newer one changes nothing. Also joins the two 0005 heads.

Revision ID: 0006_problem_copy_version
Revises: 0005_loaded_record_ids, 0005_national_problem_groups
Create Date: 2026-12-07
"""

import sqlalchemy as sa
from alembic import op

revision = "0006_problem_copy_version"
down_revision = ("0005_loaded_record_ids", "0005_national_problem_groups")
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("problem_students") as batch:
        batch.add_column(sa.Column("record_version", sa.BigInteger, nullable=False, server_default="0"))


def downgrade() -> None:
    with op.batch_alter_table("problem_students") as batch:
        batch.drop_column("record_version")
