"""A preschool transfer's matches encrypted at rest (issue 13 §4): the national preschool records
found (`candidates`) and the one confirmed (`matched_record`) carry their national student numbers,
G + the child's resident ID. The columns stay JSON (db.encrypted.EncryptedJSON); every existing row
is rewritten under the current XUEJI_DATA_KEY (db.reencrypt). Not reversible.

Revision ID: 0008_encrypted_preschool_matches
Revises: 0007_encrypted_student_numbers
Create Date: 2026-12-07
"""

from alembic import op

from xueji_common.db.reencrypt import reencrypt_table

revision = "0008_encrypted_preschool_matches"
down_revision = "0007_encrypted_student_numbers"
branch_labels = None
depends_on = None


def upgrade() -> None:
    from xueji_registration.adapters.preschool_tables import preschool_transfers

    reencrypt_table(op.get_bind(), preschool_transfers, ("transfer_id",))


def downgrade() -> None:
    raise NotImplementedError(
        "0008_encrypted_preschool_matches cannot be undone (it would write numbers in clear)"
    )
