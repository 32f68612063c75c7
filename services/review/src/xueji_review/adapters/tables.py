"""The review database: review cases, plus the outbox and inbox."""
from sqlalchemy import Column, Date, DateTime, Index, Integer, MetaData, String, Table

from xueji_common.db.messaging_tables import add_messaging_tables

metadata = MetaData()

review_cases = Table(
    "review_cases",
    metadata,
    Column("application_id", String(36), primary_key=True),
    Column("revision", Integer, nullable=False),
    Column("school_code", String(10), nullable=False),
    Column("county_code", String(6), nullable=False),
    Column("kind", String(30), nullable=False),
    Column("category", String(20), nullable=False),
    Column("name", String(100), nullable=False),
    Column("gender", Integer, nullable=False),
    Column("birth_date", Date),
    Column("document_type", String(2), nullable=False),
    Column("document_masked", String(40), nullable=False),
    Column("state", String(40), nullable=False),
    Column("gate", String(20), nullable=False),
    Column("handling_unit", String(10), nullable=False),
    Column("version", Integer, nullable=False),
    Column("submitted_at", DateTime(timezone=True)),
    Index("ix_review_cases_school_state", "school_code", "state", "category"),
    Index("ix_review_cases_handling", "handling_unit", "state"),
)

outbox, inbox = add_messaging_tables(metadata)
