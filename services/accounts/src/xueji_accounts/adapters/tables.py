"""The accounts database: users, refresh tokens, sign-in attempts, account changes, outbox, inbox."""

from sqlalchemy import BigInteger, Boolean, Column, DateTime, Index, Integer, MetaData, String, Table

from xueji_common.db.messaging_tables import add_messaging_tables

metadata = MetaData()
_ID = BigInteger().with_variant(Integer(), "sqlite")

users = Table(
    "users",
    metadata,
    Column("login_name", String(64), primary_key=True),
    Column("display_name", String(100), nullable=False),
    Column("role", String(30), nullable=False),
    Column("org_unit", String(10), nullable=False),
    Column("state", String(10), nullable=False),
    Column("password_hash", String(200), nullable=False),
    Column("must_change_password", Boolean, nullable=False),
    Column("failures", Integer, nullable=False),
    Column("locks", Integer, nullable=False),
    Column("locked_until", DateTime(timezone=True)),
    Column("last_sign_in", DateTime(timezone=True)),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Index("ix_users_org_unit", "org_unit"),
)

# Refresh tokens, stored as SHA-256 of the opaque value. A family is one sign-in and its rotations.
refresh_tokens = Table(
    "refresh_tokens",
    metadata,
    Column("token_hash", String(64), primary_key=True),
    Column("family_id", String(32), nullable=False),
    Column("login_name", String(64), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("expires_at", DateTime(timezone=True), nullable=False),
    Column("used_at", DateTime(timezone=True)),
    Column("revoked_at", DateTime(timezone=True)),
    Index("ix_refresh_tokens_family", "family_id"),
)

sign_in_attempts = Table(
    "sign_in_attempts",
    metadata,
    Column("id", _ID, primary_key=True, autoincrement=True),
    Column("at", DateTime(timezone=True), nullable=False),
    Column("login_name", String(64), nullable=False),
    Column("org_unit", String(10), nullable=False),  # the login's unit, "" for an unknown login
    Column("source_address", String(100), nullable=False),
    Column("outcome", String(30), nullable=False),
    Index("ix_sign_in_attempts_login", "login_name", "id"),
)

account_changes = Table(
    "account_changes",
    metadata,
    Column("id", _ID, primary_key=True, autoincrement=True),
    Column("at", DateTime(timezone=True), nullable=False),
    Column("actor", String(100), nullable=False),
    Column("login_name", String(64), nullable=False),
    Column("org_unit", String(10), nullable=False),
    Column("action", String(30), nullable=False),
    Column("detail", String(500), nullable=False),
    Index("ix_account_changes_login", "login_name", "id"),
)

outbox, inbox = add_messaging_tables(metadata)
