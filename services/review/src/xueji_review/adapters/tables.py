"""The review database: review cases, their history, early dedup results, plus the outbox and inbox."""

from sqlalchemy import BigInteger, Boolean, Column, Date, DateTime, Index, Integer, MetaData, String, Table

from xueji_common.db.messaging_tables import add_messaging_tables

metadata = MetaData()

# SQLite only auto-increments INTEGER PRIMARY KEY columns.
_ID = BigInteger().with_variant(Integer(), "sqlite")

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
    # 0002: what the lists show, the level of the handling unit, the gate's failure reason.
    Column("grade", String(20), nullable=False, server_default=""),
    Column("class_name", String(50), nullable=False, server_default=""),
    Column("current_level", Integer, nullable=False, server_default="5"),
    Column("gate_reason", String(500), nullable=False, server_default=""),
    Column("updated_at", DateTime(timezone=True)),
    # 0003: the trace of the submission, that the case's events continue (ReviewCase.traceparent).
    Column("traceparent", String(55), nullable=False, server_default=""),
    Index("ix_review_cases_school_state", "school_code", "state", "category"),
    Index("ix_review_cases_handling", "handling_unit", "state"),
)

# Every step of every case (chapter 14 审核信息): unit, user, role, time, opinion; oldest first by id.
review_case_history = Table(
    "review_case_history",
    metadata,
    Column("id", _ID, primary_key=True, autoincrement=True),
    Column("application_id", String(36), nullable=False),
    Column("revision", Integer, nullable=False),
    Column("event_type", String(20), nullable=False),
    Column("level", Integer, nullable=False),
    Column("unit_code", String(10), nullable=False),
    Column("user_id", String(100), nullable=False),
    Column("role", String(30), nullable=False),
    Column("opinion", String(1000), nullable=False),
    Column("occurred_at", DateTime(timezone=True), nullable=False),
    Index("ix_review_case_history_application", "application_id", "id"),
)

# A dedup result that arrived before the submission it is about (the two come over different
# queues, in no guaranteed order): applied when the case reaches that revision.
review_gate_results = Table(
    "review_gate_results",
    metadata,
    Column("application_id", String(36), primary_key=True),
    Column("revision", Integer, primary_key=True),
    Column("passed", Boolean, nullable=False),
    Column("reason", String(500), nullable=False),
    Column("received_at", DateTime(timezone=True), nullable=False),
)

outbox, inbox = add_messaging_tables(metadata)
