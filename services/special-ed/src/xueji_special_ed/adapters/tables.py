"""The special-education database: its projection of student records, the information, outbox, inbox."""

from sqlalchemy import Boolean, Column, Date, DateTime, Index, Integer, MetaData, String, Table, Text

from xueji_common.db.encrypted import EncryptedString
from xueji_common.db.messaging_tables import add_messaging_tables

metadata = MetaData()

# What special education needs of each student record, from StudentRecordCreated / Changed.
students = Table(
    "students",
    metadata,
    Column("record_id", String(36), primary_key=True),
    # 0004: encrypted (a G number is G + the resident ID); special-ed never looks a number up.
    Column("national_student_number", EncryptedString("students.national_student_number"), nullable=False),
    Column("name", String(100), nullable=False),
    Column("gender", Integer, nullable=False),
    Column("birth_date", Date),
    Column("school_code", String(10), nullable=False),
    Column("disability_type", String(20), nullable=False),
    Column("inclusive_education", String(20), nullable=False),
    Column("document_type", String(2), nullable=False),
    Column("document_hash", String(64), nullable=False),
    Column("enrolled", Boolean, nullable=False),
    Column("version", Integer, nullable=False),
    Column("grade", String(20), nullable=False, server_default=""),
    Column("class_name", String(50), nullable=False, server_default=""),
    Index("ix_students_school", "school_code", "disability_type"),
)

special_ed_infos = Table(
    "special_ed_infos",
    metadata,
    Column("record_id", String(36), primary_key=True),
    Column("disability_type", String(20), nullable=False),
    Column("proof_type", String(20), nullable=False),
    Column("degree", String(10), nullable=False),
    # sped0005: encrypted (a disability certificate number begins with the resident ID); never looked up.
    Column("certificate_number", EncryptedString("special_ed_infos.certificate_number"), nullable=False),
    Column("symptom_description", Text, nullable=False),
    Column("inclusive_education", String(20), nullable=False),
    Column("version", Integer, nullable=False),
    Column("updated_org_unit", String(10), nullable=False),
    Column("updated_user_id", String(100), nullable=False),
    Column("updated_role", String(30), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
)

outbox, inbox = add_messaging_tables(metadata)
