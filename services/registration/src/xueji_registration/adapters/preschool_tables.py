"""Preschool transfers (学前调档) and Excel imports, on the registration database's shared metadata.

- `preschool_transfers`: the five identity fields of a child and the result of the preschool-record
  matching. The number is kept encrypted (registration is the system of record; db.encrypted); `document_hash`
  (keyed) is NULL for a child without a number, so that the unique index only binds real numbers:
  证件号已经录入的，不允许重复录入 (per school). The registration started for a child is the
  application carrying its `preschool_transfer_id` (not withdrawn), read by a join: a withdrawn
  application makes the transfer editable again without any bookkeeping here. The transfers still
  匹配中 (national-query did not answer) have a partial index of their own, which the periodic
  rematch reads oldest first.
- `imports` and `import_rows`: one row per uploaded file, and per data row either what it created or,
  for a failed row, the cell texts as uploaded (encrypted: they hold document numbers) and the
  reasons, so that the failed rows can be downloaded as a workbook to fix and import again. An
  import and its rows are purged after XUEJI_IMPORT_RETENTION_DAYS (entrypoints.maintenance).
"""

from sqlalchemy import JSON, Column, Date, DateTime, Index, Integer, String, Table, text

from xueji_common.db.encrypted import EncryptedJSON, EncryptedString
from xueji_registration.adapters.tables import metadata

preschool_transfers = Table(
    "preschool_transfers",
    metadata,
    Column("transfer_id", String(36), primary_key=True),
    Column("school_code", String(10), nullable=False),
    Column("name", String(100), nullable=False),
    Column("gender", Integer, nullable=False),
    Column("birth_date", Date, nullable=False),
    Column("document_type", String(2), nullable=False),
    Column("document_number", EncryptedString("preschool_transfers.document_number"), nullable=False),
    Column("document_hash", String(64)),
    Column("category", String(20), nullable=False),
    Column("match_status", String(20), nullable=False),
    # 0008: the national records found hold their national student numbers (G + the child's ID): encrypted.
    Column("candidates", EncryptedJSON("preschool_transfers.candidates"), nullable=False),
    Column("matched_record", EncryptedJSON("preschool_transfers.matched_record")),
    Column("match_confirmed_by", JSON),
    Column("import_id", String(36)),
    Column("created_by", String(100), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    Column("version", Integer, nullable=False),
    Column("formal_record", JSON),  # a formal record the matching found (FormalRecord), masked
    Column("request_id", String(64)),  # CreatePreschoolTransfer's idempotency key
    Index("ux_preschool_transfers_school_document", "school_code", "document_hash", unique=True),
    Index("ux_preschool_transfers_school_request", "school_code", "request_id", unique=True),
    Index("ix_preschool_transfers_school_name", "school_code", "name"),
    Index(
        "ix_preschool_transfers_pending",
        "created_at",
        "transfer_id",
        postgresql_where=text("match_status = 'pending'"),
        sqlite_where=text("match_status = 'pending'"),
    ),
)

imports = Table(
    "imports",
    metadata,
    Column("import_id", String(36), primary_key=True),
    Column("school_code", String(10), nullable=False),
    # The template the file was checked against (excel.columns.TemplateId.key), e.g.
    # "registration:primary_freshman:resident"; the failed rows come back in the same one.
    Column("template", String(60), nullable=False),
    Column("kind", String(30)),
    Column("category", String(20)),
    Column("file_name", String(255), nullable=False),
    Column("rows_total", Integer, nullable=False),
    Column("rows_passed", Integer, nullable=False),
    Column("rows_failed", Integer, nullable=False),
    Column("request_id", String(64)),
    Column("created_by", String(100), nullable=False),
    Column("created_by_role", String(30), nullable=False),
    Column("created_by_unit", String(10), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Index("ux_imports_school_request", "school_code", "request_id", unique=True),
    Index("ix_imports_school_created", "school_code", "created_at"),
)

import_rows = Table(
    "import_rows",
    metadata,
    Column("import_id", String(36), primary_key=True),
    Column("row_number", Integer, primary_key=True),
    # What the passed row created (application or preschool transfer id); NULL for a failed row.
    Column("created_id", String(36)),
    # Failed rows: the cell texts as uploaded, in template column order, and the reasons as
    # [[column header, field path, message], ...].
    Column("cells", EncryptedJSON("import_rows.cells")),
    Column("errors", JSON),
)
