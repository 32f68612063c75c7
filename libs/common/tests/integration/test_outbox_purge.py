"""Published outbox rows are deleted after the retention, unpublished and recent ones never, on
PostgreSQL and SQLite; every service's periodic jobs include the purge."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import MetaData, func, insert, select, update
from sqlalchemy.orm import sessionmaker

from xueji_common.config import Settings
from xueji_common.db.engine import make_engine, now
from xueji_common.db.messaging_tables import add_messaging_tables
from xueji_common.messaging.outbox_purge import purge_published

metadata = MetaData()
outbox, _ = add_messaging_tables(metadata)


@pytest.fixture(params=["sqlite", "postgresql"])
def sessions(request, tmp_path):
    url = (
        f"sqlite:///{tmp_path / 'svc.db'}"
        if request.param == "sqlite"
        else request.getfixturevalue("pg_database")()
    )
    engine = make_engine(url)
    metadata.create_all(engine)
    yield sessionmaker(engine, expire_on_commit=False)
    engine.dispose()


def add(sessions, event_id: str, published_ago: dt.timedelta | None) -> None:
    with sessions.begin() as s:
        s.execute(
            insert(outbox).values(
                event_id=event_id,
                event_type="T",
                producer="svc",
                envelope=b"x",
                created_at=now() - dt.timedelta(days=30),
                attempts=0,
                published_at=None if published_ago is None else now() - published_ago,
            )
        )


def test_published_rows_older_than_the_retention_go_and_the_others_stay(sessions):
    for i in range(7):
        add(sessions, f"old-{i}", dt.timedelta(hours=30))
    add(sessions, "recent", dt.timedelta(hours=1))
    add(sessions, "unsent", None)
    assert purge_published(sessions, outbox, dt.timedelta(hours=24), batch=3) == 7
    with sessions() as s:
        assert set(s.execute(select(outbox.c.event_id)).scalars()) == {"recent", "unsent"}
    with sessions.begin() as s:  # the unsent row published long ago now: the next run takes it
        s.execute(
            update(outbox)
            .where(outbox.c.event_id == "unsent")
            .values(published_at=now() - dt.timedelta(days=2))
        )
    assert purge_published(sessions, outbox, dt.timedelta(hours=24)) == 1
    with sessions() as s:
        assert s.execute(select(func.count()).select_from(outbox)).scalar_one() == 1


@pytest.mark.parametrize("retention, expected", [(24.0, True), (0.0, False)])
def test_every_service_runs_the_purge_unless_the_retention_is_zero(tmp_path, retention, expected):
    from xueji_common.runtime.bootstrap import ServiceRuntime
    from xueji_common.runtime.periodic import PeriodicRunner
    from xueji_common.runtime.spec import load_specs

    for spec in load_specs():
        runtime = ServiceRuntime(
            spec, Settings(data_dir=tmp_path, outbox_retention_hours=retention, metrics_port=0)
        )
        try:
            names = [t.name for t in PeriodicRunner.of(runtime).tasks]
        finally:
            runtime.close()
        assert ("outbox-purge" in names) is expected, spec.name
