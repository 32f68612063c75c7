"""The national read model of student records (preschool included), plus the outbox and inbox.

Document numbers are stored as a keyed hash and a masked form. Issue #6 feeds it from record events
and the bulk load, and adds captchas and the lookup audit.
"""
from sqlalchemy import Boolean, Column, Date, DateTime, Index, Integer, MetaData, String, Table

from xueji_common.db.messaging_tables import add_messaging_tables

metadata = MetaData()

national_records = Table(
    "national_records",
    metadata,
    Column("record_id", String(36), primary_key=True),
    Column("national_student_number", String(19), nullable=False, unique=True),
    Column("name", String(100), nullable=False),
    Column("gender", Integer, nullable=False),
    Column("birth_date", Date, nullable=False),
    Column("document_type", String(2), nullable=False),
    Column("document_hash", String(64), nullable=False),
    Column("document_masked", String(40), nullable=False),
    Column("province_code", String(6), nullable=False),
    Column("school_code", String(10), nullable=False),
    Column("school_name", String(200), nullable=False),
    Column("stage", String(20), nullable=False),
    Column("enrolment_status", String(20), nullable=False),
    Column("problem", Boolean, nullable=False),
    Column("version", Integer, nullable=False),
    Column("changed_at", DateTime(timezone=True), nullable=False),
    Index("ix_national_records_document", "document_hash"),
    Index("ix_national_records_identity", "name", "gender", "birth_date"),
)

outbox, inbox = add_messaging_tables(metadata)
