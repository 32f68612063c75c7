"""The record keys compared byte by byte (COLLATE "C") on PostgreSQL.

Record ids, national student numbers and document hashes are ASCII codes, and names are only ever
compared for equality: none needs the database locale's ordering, which makes every comparison a
locale-aware one. With "C", sorting them (a first bulk load builds the indexes on these columns
from scratch) and searching their indexes compare bytes: the index builds of a load take about a
third less time, more under a zh_CN or en_US locale. Equality is the same under either collation.
SQLite (embedded mode) compares bytes already.

Revision ID: nq0003
Revises: nq0002
Create Date: 2026-11-29
"""

from alembic import op

revision = "nq0003"
down_revision = "nq0002"
branch_labels = None
depends_on = None

KEYS = {"record_id": 36, "national_student_number": 19, "name": 100, "document_hash": 64}


def _collate(collation: str) -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    columns = ", ".join(
        f'ALTER COLUMN {name} TYPE varchar({length}) COLLATE "{collation}"' for name, length in KEYS.items()
    )
    op.execute(f"ALTER TABLE national_records {columns}")  # the indexes on them are rebuilt


def upgrade() -> None:
    _collate("C")


def downgrade() -> None:
    _collate("default")
