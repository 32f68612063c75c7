"""The registration database: applications, plus the outbox and inbox.

The application row keeps the document number (registration is the system of record for it) and
its keyed hash, which the uniqueness checks use.
"""
from sqlalchemy import JSON, Column, Date, DateTime, Index, Integer, MetaData, String, Table

from xueji_common.db.messaging_tables import add_messaging_tables

metadata = MetaData()

applications = Table(
    "applications",
    metadata,
    Column("application_id", String(36), primary_key=True),
    Column("school_code", String(10), nullable=False),
    Column("kind", String(30), nullable=False),
    Column("category", String(20), nullable=False),
    Column("name", String(100), nullable=False),
    Column("gender", Integer, nullable=False),
    Column("birth_date", Date, nullable=False),
    Column("document_type", String(2), nullable=False),
    Column("document_number", String(40), nullable=False),
    Column("document_hash", String(64), nullable=False),
    Column("state", String(40), nullable=False),
    Column("authentication", String(30), nullable=False),
    Column("form", JSON, nullable=False),
    Column("created_by", String(100), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("revision", Integer, nullable=False),
    Column("version", Integer, nullable=False),
    Index("ix_applications_school_state", "school_code", "state"),
    Index("ix_applications_document_hash", "document_hash"),
)

outbox, inbox = add_messaging_tables(metadata)
