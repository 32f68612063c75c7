"""The dedup database: the population register's default table, plus the outbox and inbox.

The population register (基础数据库) stores a keyed hash of the resident ID number, never the number.
Issue #4 adds the identity index, reservations and problem records.
"""
from sqlalchemy import Column, Date, Integer, MetaData, String, Table

from xueji_common.db.messaging_tables import add_messaging_tables

metadata = MetaData()

population = Table(
    "population_register",
    metadata,
    Column("document_hash", String(64), primary_key=True),
    Column("name", String(100), nullable=False),
    Column("gender", Integer, nullable=False),
    Column("birth_date", Date, nullable=False),
    Column("household_division", String(6), nullable=False),
)

outbox, inbox = add_messaging_tables(metadata)
