"""Student numbers: when their hash was last written (a hash-key rotation keys them anew).

Revision ID: 0004_number_update_time
Revises: 0003_national_problem_view
Create Date: 2027-01-10
"""

import sqlalchemy as sa
from alembic import op

revision = "0004_number_update_time"
down_revision = "0003_national_problem_view"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("student_numbers") as batch:
        batch.add_column(sa.Column("update_time", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("student_numbers") as batch:
        batch.drop_column("update_time")
