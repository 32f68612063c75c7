"""update_rows: one guarded UPDATE for a batch (unnest on PostgreSQL, executemany on SQLite), the
same rows changed on both databases, and a row whose guard moved left alone and not counted."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import Column, DateTime, Integer, MetaData, String, Table, event, insert, select
from sqlalchemy.orm import sessionmaker

from xueji_common.db.bulk_update import update_rows
from xueji_common.db.engine import make_engine

metadata = MetaData()
apps = Table(
    "apps",
    metadata,
    Column("application_id", String(36), primary_key=True),
    Column("state", String(40), nullable=False),
    Column("unit", String(10)),
    Column("updated_at", DateTime(timezone=True)),
    Column("version", Integer, nullable=False),
)
AT = dt.datetime(2026, 9, 1, 8, 30, tzinfo=dt.UTC)


@pytest.fixture(params=["sqlite", "postgresql"])
def sessions(request, tmp_path):
    url = (
        f"sqlite:///{tmp_path / 'u.db'}"
        if request.param == "sqlite"
        else request.getfixturevalue("pg_database")()
    )
    engine = make_engine(url)
    metadata.create_all(engine)
    with engine.begin() as conn:
        conn.execute(insert(apps), [dict(application_id=f"a{i}", state="new", version=1) for i in range(60)])
    yield sessionmaker(engine)
    engine.dispose()


def changes(ids, read=1):
    return [
        dict(application_id=i, state="moved", unit=None, updated_at=AT, version=read + 1, read=read)
        for i in ids
    ]


def test_every_row_read_at_its_version_is_updated_and_the_others_left(sessions):
    with sessions() as s, s.begin():
        s.execute(apps.update().where(apps.c.application_id == "a1").values(version=2))  # moved meanwhile
        assert (
            update_rows(
                s,
                apps,
                "application_id",
                "version",
                ["state", "unit", "updated_at", "version"],
                changes(["a0", "a1", "a2"]),
            )
            == 2
        )
    with sessions() as s:
        rows = {
            r.application_id: r
            for r in s.execute(select(apps).where(apps.c.application_id.in_(["a0", "a1", "a2"])))
        }
    assert (rows["a0"].state, rows["a0"].version, rows["a2"].state) == ("moved", 2, "moved")
    assert (rows["a1"].state, rows["a1"].version) == ("new", 2)
    assert rows["a0"].updated_at.replace(tzinfo=dt.UTC) == AT


def test_one_statement_on_postgresql_whatever_the_rows(sessions):
    with sessions() as s, s.begin():
        if s.get_bind().dialect.name != "postgresql":
            pytest.skip("SQLite: one executemany")
        seen = []
        event.listen(s.get_bind(), "before_cursor_execute", lambda *a: seen.append(a[2]))
        update_rows(
            s, apps, "application_id", "version", ["state", "version"], changes([f"a{i}" for i in range(5)])
        )
        update_rows(
            s,
            apps,
            "application_id",
            "version",
            ["state", "version"],
            changes([f"a{i}" for i in range(5, 55)]),
        )
    assert len(seen) == 2


def test_an_encrypted_or_json_column_is_refused():
    from xueji_common.db.encrypted import EncryptedString

    t = Table(
        "secret",
        MetaData(),
        Column("id", String(36), primary_key=True),
        Column("number", EncryptedString("n")),
        Column("version", Integer),
    )
    with pytest.raises(TypeError):
        update_rows(None, t, "id", "version", ["number"], [dict(id="x", number="1", read=1)])
