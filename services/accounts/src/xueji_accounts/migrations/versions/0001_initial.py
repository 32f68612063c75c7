"""Outbox, inbox, users, refresh tokens, sign-in attempts, account changes.

Revision ID: 0001
Revises:
Create Date: 2026-12-07
"""

import sqlalchemy as sa
from alembic import op

from xueji_common.db.messaging_tables import create_messaging_tables, drop_messaging_tables

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
_TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    create_messaging_tables(op)
    op.create_table(
        "users",
        sa.Column("login_name", sa.String(64), primary_key=True),
        sa.Column("display_name", sa.String(100), nullable=False),
        sa.Column("role", sa.String(30), nullable=False),
        sa.Column("org_unit", sa.String(10), nullable=False),
        sa.Column("state", sa.String(10), nullable=False),
        sa.Column("password_hash", sa.String(200), nullable=False),
        sa.Column("must_change_password", sa.Boolean, nullable=False),
        sa.Column("failures", sa.Integer, nullable=False),
        sa.Column("locks", sa.Integer, nullable=False),
        sa.Column("locked_until", _TS),
        sa.Column("last_sign_in", _TS),
        sa.Column("created_at", _TS, nullable=False),
    )
    op.create_index("ix_users_org_unit", "users", ["org_unit"])
    op.create_table(
        "refresh_tokens",
        sa.Column("token_hash", sa.String(64), primary_key=True),
        sa.Column("family_id", sa.String(32), nullable=False),
        sa.Column("login_name", sa.String(64), nullable=False),
        sa.Column("created_at", _TS, nullable=False),
        sa.Column("expires_at", _TS, nullable=False),
        sa.Column("used_at", _TS),
        sa.Column("revoked_at", _TS),
    )
    op.create_index("ix_refresh_tokens_family", "refresh_tokens", ["family_id"])
    op.create_table(
        "sign_in_attempts",
        sa.Column("id", _ID, primary_key=True, autoincrement=True),
        sa.Column("at", _TS, nullable=False),
        sa.Column("login_name", sa.String(64), nullable=False),
        sa.Column("org_unit", sa.String(10), nullable=False),
        sa.Column("source_address", sa.String(100), nullable=False),
        sa.Column("outcome", sa.String(30), nullable=False),
    )
    op.create_index("ix_sign_in_attempts_login", "sign_in_attempts", ["login_name", "id"])
    op.create_table(
        "account_changes",
        sa.Column("id", _ID, primary_key=True, autoincrement=True),
        sa.Column("at", _TS, nullable=False),
        sa.Column("actor", sa.String(100), nullable=False),
        sa.Column("login_name", sa.String(64), nullable=False),
        sa.Column("org_unit", sa.String(10), nullable=False),
        sa.Column("action", sa.String(30), nullable=False),
        sa.Column("detail", sa.String(500), nullable=False),
    )
    op.create_index("ix_account_changes_login", "account_changes", ["login_name", "id"])


def downgrade() -> None:
    for table in ("account_changes", "sign_in_attempts", "refresh_tokens", "users"):
        op.drop_table(table)
    drop_messaging_tables(op)
