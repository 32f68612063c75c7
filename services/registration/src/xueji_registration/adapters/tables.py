"""The registration database: applications, student records, uploaded files, outbox and inbox.

The application and record rows keep the document number (registration is the system of record
for it) and the national student number encrypted (xueji_common.db.encrypted; the form too: family
members' numbers, addresses, phones), and their keyed hashes, which the uniqueness checks and the
number filters use. The preschool transfer tables are defined on the same `metadata` in
`preschool_tables`.
"""

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    Date,
    DateTime,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    text,
)

from xueji_common.db.encrypted import EncryptedJSON, EncryptedString
from xueji_common.db.messaging_tables import add_messaging_tables

metadata = MetaData()
LIVE_DOCUMENT = "state <> 'withdrawn' AND record_id IS NULL AND document_number <> ''"

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
    Column("document_number", EncryptedString("applications.document_number"), nullable=False),
    Column("document_hash", String(64), nullable=False),
    Column("state", String(40), nullable=False),
    Column("authentication", String(30), nullable=False),
    Column("form", EncryptedJSON("applications.form"), nullable=False),
    Column("created_by", String(100), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("revision", Integer, nullable=False),
    Column("version", Integer, nullable=False),
    # 0002_lifecycle
    Column("entry_channel", String(20), nullable=False, server_default="manual"),
    # The school's departments, so that a department's list is one indexed comparison.
    Column("county_code", String(6)),
    Column("city_code", String(6)),
    Column("province_code", String(6)),
    Column("grade", String(20)),
    Column("proof_material_ids", JSON),
    Column("preschool_transfer_id", String(36)),
    Column("import_id", String(36)),
    Column("handling_unit_code", String(10)),
    Column("dedup_failure_reason", Text),
    Column("last_rejection", JSON),
    Column("withdrawal", JSON),
    Column("record_id", String(36)),
    Column("submitted_at", DateTime(timezone=True)),
    Column("updated_at", DateTime(timezone=True)),
    # CreateApplicationRequest.request_id: repeating a create returns the first result (AIP-155).
    Column("request_id", String(64)),
    Index("ix_applications_school_state", "school_code", "state"),
    Index("ix_applications_document_hash", "document_hash"),
    Index("ix_applications_handling_unit", "handling_unit_code"),
    Index("ix_applications_preschool_transfer", "preschool_transfer_id"),
    Index("ix_applications_county", "county_code"),
    Index("ix_applications_city", "city_code"),
    Index("ix_applications_province", "province_code"),
    Index("ux_applications_school_request", "school_code", "request_id", unique=True),
    # One live application per document (0003): not withdrawn, not yet a record, with a number.
    Index(
        "ux_applications_live_document",
        "document_hash",
        unique=True,
        postgresql_where=text(LIVE_DOCUMENT),
        sqlite_where=text(LIVE_DOCUMENT),
    ),
)

student_records = Table(
    "student_records",
    metadata,
    Column("record_id", String(36), primary_key=True),
    # 0007_encrypted_student_numbers: a G number is G + the resident ID, so it is encrypted like the
    # document number; its keyed hash (hashing.student_number_hash) is the unique index looked up by.
    Column(
        "national_student_number", EncryptedString("student_records.national_student_number"), nullable=False
    ),
    Column("national_student_number_hash", String(64), nullable=False, unique=True),
    Column("number_kind", String(12), nullable=False),
    Column("application_id", String(36), nullable=False, unique=True),
    Column("school_code", String(10), nullable=False),
    Column("province_code", String(6), nullable=False),
    Column("city_code", String(6), nullable=False),
    Column("county_code", String(6), nullable=False),
    Column("kind", String(30), nullable=False),
    Column("category", String(20), nullable=False),
    Column("stage", String(20), nullable=False),
    Column("enrolment_status", String(20), nullable=False),
    Column("name", String(100), nullable=False),
    Column("gender", Integer, nullable=False),
    Column("birth_date", Date, nullable=False),
    Column("document_type", String(2), nullable=False),
    Column("document_number", EncryptedString("student_records.document_number"), nullable=False),
    Column("document_hash", String(64), nullable=False),
    Column("form", EncryptedJSON("student_records.form"), nullable=False),
    Column("problem_record", Boolean, nullable=False),
    Column("problem_group_id", String(64), nullable=False),
    Column("cancelled", Boolean, nullable=False),
    Column("version", Integer, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    # 0006_encrypted_numbers: the form's grade in clear, for the list's filter (the form is encrypted).
    Column("grade", String(20)),
    Index("ix_student_records_school", "school_code"),
    Index("ix_student_records_county", "county_code"),
    Index("ix_student_records_city", "city_code"),
    Index("ix_student_records_province", "province_code"),
    Index("ix_student_records_document_hash", "document_hash"),
)

# Uploaded proof material and photos: the bytes live under XUEJI_FILES_DIR, the row says whose.
uploaded_files = Table(
    "uploaded_files",
    metadata,
    Column("file_id", String(36), primary_key=True),
    Column("school_code", String(10), nullable=False),
    Column("purpose", String(20), nullable=False),
    Column("file_name", String(100), nullable=False),
    Column("content_type", String(50), nullable=False),
    Column("size_bytes", BigInteger, nullable=False),
    Column("sha256", String(64), nullable=False),
    Column("storage_key", String(200), nullable=False),
    Column("uploaded_by", String(100), nullable=False),
    Column("uploaded_at", DateTime(timezone=True), nullable=False),
    Column("application_id", String(36)),
    Index("ix_uploaded_files_school", "school_code"),
    # the periodic purge reads the unattached ones oldest first (service_layer.uploads)
    Index(
        "ix_uploaded_files_unattached",
        "uploaded_at",
        postgresql_where=text("application_id IS NULL"),
        sqlite_where=text("application_id IS NULL"),
    ),
)

outbox, inbox = add_messaging_tables(metadata)
