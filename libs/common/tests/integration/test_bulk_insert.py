"""insert_rows (COPY on PostgreSQL) stores what an INSERT of the same dicts stores, on both databases;
publish_many writes openable envelopes in order with one clock reading."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    Date,
    DateTime,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    insert,
    select,
)
from sqlalchemy.orm import sessionmaker

from xueji.v1 import events_pb2
from xueji_common.db.bulk import insert_rows, insert_shared
from xueji_common.db.engine import make_engine
from xueji_common.db.messaging_tables import add_messaging_tables
from xueji_common.db.uow import SqlAlchemyUnitOfWork
from xueji_common.messaging.envelope import open_envelope

metadata = MetaData()


def _table(name: str) -> Table:
    return Table(
        name,
        metadata,
        Column("id", Integer, primary_key=True),
        Column("name", String(50)),
        Column("doc", JSON),
        Column("tries", Integer, nullable=False, default=0),
    )


items, copied = _table("items"), _table("copied")


def _blobs(name: str) -> Table:
    return Table(
        name,
        metadata,
        Column("id", Integer, primary_key=True),
        Column("data", LargeBinary),
        Column("at", DateTime(timezone=True)),
        Column("day", Date),
        Column("big", BigInteger),
        Column("flag", Boolean),
        Column("label", String(20)),
    )


blobs, copied_blobs = _blobs("blobs"), _blobs("copied_blobs")
outbox, inbox = add_messaging_tables(metadata)


@pytest.fixture(params=["sqlite", "postgresql"])
def sessions(request, tmp_path):
    url = (
        f"sqlite:///{tmp_path / 'bulk.db'}"
        if request.param == "sqlite"
        else request.getfixturevalue("pg_database")()
    )
    engine = make_engine(url)
    metadata.create_all(engine)
    yield sessionmaker(engine, expire_on_commit=False)
    engine.dispose()


ROWS = [
    dict(id=1, name="a", doc={"k": ["x", 1], "名": "值"}),
    dict(id=2, name="b\\t\n'c", doc=None),
    dict(id=3, name=None, doc=[]),
]


def test_insert_rows_stores_what_an_insert_stores(sessions):
    with sessions() as session:
        session.execute(insert(items), ROWS)
        insert_rows(session, copied, ROWS)
        session.commit()
        stored = session.execute(select(items).order_by(items.c.id)).all()
        assert session.execute(select(copied).order_by(copied.c.id)).all() == stored
        assert [r.tries for r in stored] == [0, 0, 0]  # the Python-side default
        # JSON null (not SQL NULL) for None, as SQLAlchemy's JSON type stores it
        assert session.execute(select(copied.c.id).where(copied.c.doc.is_(None))).all() == []


def test_rows_with_binary_data_are_stored_as_an_insert_stores_them(sessions):
    """(They travel in COPY's binary format on PostgreSQL.)"""
    at = dt.datetime(2024, 9, 1, 8, 30, 15, 123456, tzinfo=dt.UTC)
    rows = [
        dict(
            id=1, data=bytes(range(256)) * 3, at=at, day=dt.date(2015, 6, 1), big=2**40, flag=True, label="名"
        ),
        dict(id=2, data=b"", at=None, day=None, big=None, flag=False, label=None),
    ]
    with sessions() as session:
        session.execute(insert(blobs), rows)
        insert_rows(session, copied_blobs, rows)
        session.commit()
        assert (
            session.execute(select(copied_blobs).order_by(copied_blobs.c.id)).all()
            == session.execute(select(blobs).order_by(blobs.c.id)).all()
        )


@pytest.mark.parametrize("names", [("id", "doc"), ("id", "name"), ("id",)])
def test_insert_shared_stores_what_an_insert_of_the_merged_rows_stores(sessions, names):
    shared = {"name": "同", "doc": {"k": [1, "x"]}}
    own = [tuple(row[n] for n in names) for row in ROWS]
    merged = [{**shared, **dict(zip(names, values))} for values in own]
    with sessions() as session:
        session.execute(insert(items), merged)
        insert_shared(session, copied, {k: v for k, v in shared.items() if k not in names}, names, own)
        session.commit()
        stored = session.execute(select(items).order_by(items.c.id)).all()
        assert session.execute(select(copied).order_by(copied.c.id)).all() == stored
        assert [r.tries for r in stored] == [0, 0, 0]


def test_publish_many_writes_events_in_order_in_the_transaction(sessions):
    uow = SqlAlchemyUnitOfWork(sessions, "svc", outbox, inbox)
    with uow:
        uow.publish_many((events_pb2.ApplicationWithdrawn(application_id=f"a{i}"), f"a{i}") for i in range(5))
        uow.rollback()
    with sessions() as session:
        assert session.execute(select(outbox)).all() == []
    with uow:
        assert (
            uow.publish_many(
                (events_pb2.ApplicationWithdrawn(application_id=f"a{i}"), f"a{i}") for i in range(5)
            )
            == 5
        )
        uow.commit()
    with sessions() as session:
        rows = session.execute(select(outbox).order_by(outbox.c.id)).all()
    opened = [open_envelope(r.envelope) for r in rows]
    assert [event.application_id for _, event in opened] == [f"a{i}" for i in range(5)]
    assert [r.aggregate_id for r in rows] == [f"a{i}" for i in range(5)] and {r.attempts for r in rows} == {0}
    assert len({envelope.occurred_at.ToNanoseconds() for envelope, _ in opened}) == 1
    assert len({r.event_id for r in rows}) == 5
