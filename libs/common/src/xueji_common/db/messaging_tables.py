"""The outbox and inbox tables that every service's database carries.

Outbox: events written in the same transaction as the state change that caused them; the relay
publishes them and stamps `published_at`. Inbox: the ids of events a consumer has handled, so that a
redelivered event changes nothing.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Column,
    DateTime,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    PrimaryKeyConstraint,
    String,
    Table,
    text,
)

# SQLite only auto-increments INTEGER PRIMARY KEY columns.
_ID = BigInteger().with_variant(Integer(), "sqlite")


def add_messaging_tables(metadata: MetaData) -> tuple[Table, Table]:
    outbox = Table(
        "outbox",
        metadata,
        Column("id", _ID, primary_key=True, autoincrement=True),
        Column("event_id", String(36), nullable=False, unique=True),
        Column("event_type", String(100), nullable=False),
        Column("producer", String(50), nullable=False),
        Column("aggregate_id", String(64), nullable=False, default=""),
        Column("envelope", LargeBinary, nullable=False),
        Column("created_at", DateTime(timezone=True), nullable=False),
        Column("published_at", DateTime(timezone=True)),
        Column("attempts", Integer, nullable=False, default=0),
        Index(
            "ix_outbox_unpublished",
            "id",
            postgresql_where=text("published_at IS NULL"),
            sqlite_where=text("published_at IS NULL"),
        ),
    )
    inbox = Table(
        "inbox",
        metadata,
        Column("event_id", String(36), nullable=False),
        Column("consumer", String(100), nullable=False),
        Column("event_type", String(100), nullable=False),
        Column("handled_at", DateTime(timezone=True), nullable=False),
        PrimaryKeyConstraint("event_id", "consumer", name="pk_inbox"),
    )
    return outbox, inbox


def create_messaging_tables(op) -> None:
    """For a service's first Alembic migration: create the outbox and inbox."""
    outbox, inbox = add_messaging_tables(MetaData())
    bind = op.get_bind()
    outbox.create(bind)
    inbox.create(bind)


def drop_messaging_tables(op) -> None:
    op.drop_table("inbox")
    op.drop_table("outbox")
