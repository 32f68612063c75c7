"""The national read model of student records (preschool included), captchas, the lookup audit,
the open problem groups per record, plus the outbox and inbox.

Document numbers are stored as a keyed hash and a masked form, never in clear. National student
numbers (a G number is G + the resident ID) are stored encrypted (xueji_common.db.encrypted) beside
their keyed hash (hashing.student_number_hash), the unique key every lookup and load goes by
(migration nq0004).
"""

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Date,
    DateTime,
    Index,
    Integer,
    MetaData,
    PrimaryKeyConstraint,
    String,
    Table,
)

from xueji_common.db.encrypted import EncryptedString
from xueji_common.db.messaging_tables import add_messaging_tables

metadata = MetaData()


def _bytewise(length: int) -> String:
    """A key compared byte by byte (COLLATE "C") on PostgreSQL: see migration nq0003."""
    return String(length).with_variant(String(length, collation="C"), "postgresql")


national_records = Table(
    "national_records",
    metadata,
    Column("record_id", _bytewise(36), primary_key=True),
    Column(
        "national_student_number", EncryptedString("national_records.national_student_number"), nullable=False
    ),
    Column("national_student_number_hash", _bytewise(64), nullable=False, unique=True),
    Column("name", _bytewise(100), nullable=False),
    Column("gender", Integer, nullable=False),
    Column("birth_date", Date, nullable=False),
    Column("document_type", String(2), nullable=False),
    Column("document_hash", _bytewise(64), nullable=False),
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

# Open problem groups (问题学籍) per record, from dedup's ProblemRaised / ProblemResolved.
record_problems = Table(
    "record_problems",
    metadata,
    Column("record_id", String(36), nullable=False),
    Column("problem_group_id", String(64), nullable=False),
    PrimaryKeyConstraint("record_id", "problem_group_id", name="pk_record_problems"),
)

captchas = Table(
    "captchas",
    metadata,
    Column("captcha_id", String(36), primary_key=True),
    Column("answer_digest", String(64), nullable=False),
    Column("user_id", String(100), nullable=False),
    Column("expire_time", DateTime(timezone=True), nullable=False),
    Column("used_time", DateTime(timezone=True)),
    Index("ix_captchas_expire_time", "expire_time"),
)

# Every lookup: who asked, when, what (masked), and what came of it.
lookup_audit = Table(
    "lookup_audit",
    metadata,
    Column("id", BigInteger().with_variant(Integer(), "sqlite"), primary_key=True, autoincrement=True),
    Column("asked_at", DateTime(timezone=True), nullable=False),
    Column("user_id", String(100), nullable=False),
    Column("role", String(30), nullable=False),
    Column("org_unit", String(10), nullable=False),
    Column("client_address", String(100), nullable=False),
    Column("query_kind", String(20), nullable=False),
    Column("name_masked", String(100), nullable=False),
    Column("key_masked", String(40), nullable=False),
    Column("outcome", String(20), nullable=False),
    Column("result_count", Integer, nullable=False),
    Index("ix_lookup_audit_user_time", "user_id", "asked_at"),
)

outbox, inbox = add_messaging_tables(metadata)
