"""The dedup database. Document numbers are never stored: only keyed hashes and masked numbers.

Three groups of tables, one database (in the embedded mode one process plays both tiers):

* the population register's default table (`population_register`, read by the PopulationRegister
  servicer);
* the national tier (`national_*`, `student_numbers`): reservations of identities, every record's
  holding of its document, reserved national student numbers, and (in `problem_*`) the
  cross-province problem groups the province tiers report;
* the province tier (`province_*`, `problem_*`): what the province knows of its applications and
  records (its index), and the problem records (问题学籍) it found.
"""

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Date,
    DateTime,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    text,
)

from xueji_common.db.messaging_tables import add_messaging_tables

metadata = MetaData()
_ID = BigInteger().with_variant(Integer(), "sqlite")  # SQLite only auto-increments INTEGER keys

population = Table(
    "population_register",
    metadata,
    Column("document_hash", String(64), primary_key=True),
    Column("name", String(100), nullable=False),
    Column("gender", Integer, nullable=False),
    Column("birth_date", Date, nullable=False),
    Column("household_division", String(6), nullable=False),
)

# -- national tier -------------------------------------------------------------------------------

# One row per reservation. The partial unique index is the race arbiter: at most one ACTIVE or
# COMMITTED reservation per document, whoever inserts first wins (INSERT ... ON CONFLICT DO NOTHING).
national_reservations = Table(
    "national_reservations",
    metadata,
    Column("reservation_id", String(36), primary_key=True),
    Column("document_type", String(1), nullable=False),
    Column("document_hash", String(64), nullable=False),
    Column("application_id", String(64), nullable=False),
    Column("province_code", String(6), nullable=False),
    Column("school_code", String(10), nullable=False),
    Column("state", String(12), nullable=False),
    Column("record_id", String(64), nullable=False),
    Column("national_student_number", String(19), nullable=False),
    Column("release_reason", String(40), nullable=False),
    Column("create_time", DateTime(timezone=True), nullable=False),
    Column("expire_time", DateTime(timezone=True), nullable=False),
    Column("update_time", DateTime(timezone=True), nullable=False),
    Index(
        "uq_national_reservations_holding",
        "document_type",
        "document_hash",
        unique=True,
        postgresql_where=text("state IN ('active', 'committed')"),
        sqlite_where=text("state IN ('active', 'committed')"),
    ),
    Index("ix_national_reservations_application", "application_id"),
    Index("ix_national_reservations_record", "record_id"),
)

# Every record's holding of its document (several rows per document: a problem record, 一人多籍).
national_records = Table(
    "national_records",
    metadata,
    Column("record_id", String(64), primary_key=True),
    Column("document_type", String(1), nullable=False),
    Column("document_hash", String(64), nullable=False),
    Column("application_id", String(64), nullable=False),
    Column("province_code", String(6), nullable=False),
    Column("school_code", String(10), nullable=False),
    Column("national_student_number", String(19), nullable=False),  # masked
    Column("update_time", DateTime(timezone=True), nullable=False),
    Index("ix_national_records_document", "document_type", "document_hash"),
)

# Reserved national student numbers. A G number contains the resident ID: only its keyed hash is
# kept; L and J numbers carry no document number and are kept as issued.
student_numbers = Table(
    "student_numbers",
    metadata,
    Column("number_hash", String(64), primary_key=True),
    Column("kind", String(12), nullable=False),
    Column("owner_id", String(64), nullable=False),
    Column("national_student_number", String(19), nullable=False),  # empty for G numbers
    Column("create_time", DateTime(timezone=True), nullable=False),
    # When number_hash was last written (taken, or keyed anew after a hash-key rotation).
    Column("update_time", DateTime(timezone=True)),
    UniqueConstraint("owner_id", "kind", name="uq_student_numbers_owner"),
)

# -- province tier -------------------------------------------------------------------------------

province_applications = Table(
    "province_applications",
    metadata,
    Column("application_id", String(64), primary_key=True),
    Column("revision", Integer, nullable=False),
    Column("school_code", String(10), nullable=False),
    Column("kind", String(30), nullable=False),
    Column("category", String(20), nullable=False),
    Column("document_type", String(1), nullable=False),
    Column("document_hash", String(64), nullable=False),
    Column("document_masked", String(40), nullable=False),
    Column("outcome", String(20), nullable=False),  # pending | passed | failed | not_required
    Column("reason_code", String(40), nullable=False),
    Column("reason", Text, nullable=False),
    Column("reservation_id", String(36), nullable=False),
    Column("state", String(20), nullable=False),  # active | withdrawn ("returned" in rows of before)
    Column("update_time", DateTime(timezone=True), nullable=False),
)

province_records = Table(
    "province_records",
    metadata,
    Column("record_id", String(64), primary_key=True),
    Column("application_id", String(64), nullable=False),
    Column("school_code", String(10), nullable=False),
    Column("county_code", String(6), nullable=False),
    Column("category", String(20), nullable=False),
    Column("document_type", String(1), nullable=False),
    Column("document_hash", String(64), nullable=False),
    Column("document_masked", String(40), nullable=False),
    Column("national_student_number", String(19), nullable=False),  # masked
    Column("temporary_number", Boolean, nullable=False),
    Column("name", String(100), nullable=False),
    Column("gender", Integer, nullable=False),
    Column("birth_date", Date),
    Column("snapshot_version", BigInteger, nullable=False),
    Column("update_time", DateTime(timezone=True), nullable=False),
    Index("ix_province_records_document", "document_type", "document_hash"),
    Index("ix_province_records_identity", "name", "gender", "birth_date"),
)

problem_groups = Table(
    "problem_groups",
    metadata,
    Column("group_id", String(36), primary_key=True),
    Column("kind", String(30), nullable=False),
    # What the records share: the document hash, or a keyed hash of name/gender/birth date.
    Column("match_key", String(64), nullable=False),
    Column("status", String(20), nullable=False),
    Column("resolver_level", Integer, nullable=False),
    Column("resolver_unit_code", String(10), nullable=False),
    Column("version", Integer, nullable=False),
    Column("create_time", DateTime(timezone=True), nullable=False),
    Column("update_time", DateTime(timezone=True), nullable=False),
    # National tier: the province tier that reported this cross-province group (empty: held here).
    Column("reporting_province", String(6), nullable=False, server_default=""),
    Index("ix_problem_groups_match", "kind", "match_key"),
    # One open group per (kind, match_key): two provinces raising the same cross-province group at
    # the national tier at once meet on one row (INSERT ... ON CONFLICT DO NOTHING, as reservations).
    Index(
        "uq_problem_groups_open",
        "kind",
        "match_key",
        unique=True,
        postgresql_where=text("status <> 'resolved' AND match_key <> ''"),
        sqlite_where=text("status <> 'resolved' AND match_key <> ''"),
    ),
)

problem_students = Table(
    "problem_students",
    metadata,
    Column("group_id", String(36), primary_key=True),
    Column("record_id", String(64), primary_key=True),
    Column("application_id", String(64), nullable=False),
    Column("national_student_number", String(19), nullable=False),  # masked
    Column("temporary_number", Boolean, nullable=False),
    Column("name", String(100), nullable=False),
    Column("gender", Integer, nullable=False),
    Column("birth_date", Date),
    Column("document_type", String(1), nullable=False),
    Column("document_masked", String(40), nullable=False),
    Column("school_code", String(10), nullable=False),
    # The chain above the school, for jurisdiction filters (empty outside the tree).
    Column("county_code", String(6), nullable=False),
    Column("city_code", String(6), nullable=False),
    Column("province_code", String(6), nullable=False),
    Column("status", String(30), nullable=False),
    Column("reason", Text, nullable=False),
    # The record's version this copy was taken from (0: not known), see ProblemGroup.refresh_from.
    Column("record_version", BigInteger, nullable=False, server_default="0"),
    Index("ix_problem_students_record", "record_id"),
    Index("ix_problem_students_county", "county_code"),
    Index("ix_problem_students_city", "city_code"),
    Index("ix_problem_students_province", "province_code"),
    Index("ix_problem_students_school", "school_code"),
)

# The audit of every handling step: unit, user, role, time, opinion, proof, corrected key data.
problem_actions = Table(
    "problem_actions",
    metadata,
    Column("id", _ID, primary_key=True, autoincrement=True),
    Column("group_id", String(36), nullable=False),
    Column("record_id", String(64), nullable=False),
    Column("resolution", String(20), nullable=False),
    Column("org_unit_code", String(10), nullable=False),
    Column("org_unit_name", String(100), nullable=False),
    Column("user_id", String(100), nullable=False),
    Column("role", String(30), nullable=False),
    Column("time", DateTime(timezone=True), nullable=False),
    Column("opinion", Text, nullable=False),
    Column("corrected_name", String(100), nullable=False),
    Column("corrected_gender", Integer, nullable=False),
    Column("corrected_birth_date", Date),
    Column("corrected_document_type", String(1), nullable=False),
    Column("corrected_document_masked", String(40), nullable=False),
    Index("ix_problem_actions_group", "group_id"),
)

problem_proofs = Table(
    "problem_proofs",
    metadata,
    Column("file_id", String(36), primary_key=True),
    Column("group_id", String(36), nullable=False),
    Column("action_time", DateTime(timezone=True), nullable=False),
    Column("file_name", String(255), nullable=False),
    Column("content_type", String(100), nullable=False),
    Column("size_bytes", BigInteger, nullable=False),
    Column("content", LargeBinary, nullable=False),
    Index("ix_problem_proofs_group", "group_id"),
)

# -- delivery of the national tier's problem events to the provinces (docs/CROSS-PROVINCE-PROBLEMS.md) --

# National tier: one outbox per province. The sequence is consecutive per province, taken under the
# lock of the province's head row in the transaction that writes the event, so that rows commit in
# sequence order and a puller reading after its cursor never skips one still being written.
national_deliveries = Table(
    "national_deliveries",
    metadata,
    Column("province_code", String(6), primary_key=True),
    Column("sequence", BigInteger, primary_key=True),
    Column("event_id", String(36), nullable=False, unique=True),
    Column("event_type", String(40), nullable=False),
    Column("payload", LargeBinary, nullable=False),
    Column("create_time", DateTime(timezone=True), nullable=False),
)

national_delivery_heads = Table(
    "national_delivery_heads",
    metadata,
    Column("province_code", String(6), primary_key=True),
    Column("last_sequence", BigInteger, nullable=False),
)

# Province tier: how far it has pulled each province's deliveries (moved in the transaction that
# republishes the events, with their inbox claims).
province_delivery_cursor = Table(
    "province_delivery_cursor",
    metadata,
    Column("province_code", String(6), primary_key=True),
    Column("after_sequence", BigInteger, nullable=False),
    Column("update_time", DateTime(timezone=True), nullable=False),
)

# Province tier: its records' places in national groups, as its deliveries told it (status pending
# or deleted): so that a record already in the national group of its document gets no
# failed-authentication group of its own, and a record the ministry deleted holds nothing here either.
province_national_members = Table(
    "province_national_members",
    metadata,
    Column("group_id", String(36), primary_key=True),
    Column("record_id", String(64), primary_key=True),
    Column("status", String(30), nullable=False),
    Index("ix_province_national_members_record", "record_id"),
)

outbox, inbox = add_messaging_tables(metadata)
