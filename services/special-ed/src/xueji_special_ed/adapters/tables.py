"""The special-education database: the outbox and inbox (issue #6 adds its tables)."""
from sqlalchemy import MetaData

from xueji_common.db.messaging_tables import add_messaging_tables

metadata = MetaData()

outbox, inbox = add_messaging_tables(metadata)
