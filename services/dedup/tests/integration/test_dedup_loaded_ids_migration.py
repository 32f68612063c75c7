"""Migration 0005_loaded_record_ids (issue 13 §4): holdings and problem students of records loaded
from files under "nq-" + their national student number (G + the resident ID) take the id national-
query's load now gives them (hashing.loaded_record_id); other ids stay; PostgreSQL and SQLite."""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa

from xueji_common.config import DEV_HASH_KEY
from xueji_common.db.encrypted import bind_hash_key
from xueji_common.db.engine import make_engine
from xueji_common.db.migrations import upgrade
from xueji_common.hashing import loaded_record_id, student_number_hash
from xueji_dedup.spec import SPEC

G_NUMBER = "G33010220150601123X"
NOW = dt.datetime(2026, 9, 1, tzinfo=dt.UTC)


@pytest.fixture(params=["sqlite", "postgresql"])
def engine(request, tmp_path):
    url = (
        f"sqlite:///{tmp_path / 'dedup.db'}"
        if request.param == "sqlite"
        else request.getfixturevalue("pg_database")()
    )
    engine = make_engine(url)
    bind_hash_key(engine, DEV_HASH_KEY)
    yield engine
    engine.dispose()


def test_loaded_records_are_renamed_wherever_they_are_named(engine):
    upgrade(engine, SPEC.versions_dir, SPEC.metadata, "0004_number_update_time")
    holding = dict(
        document_type="1",
        document_hash="a" * 64,
        application_id="",
        province_code="330000",
        school_code="1330102001",
        national_student_number="G330***********123X",
        update_time=NOW,
    )
    student = dict(
        group_id="g1",
        application_id="",
        national_student_number="G330***********123X",
        temporary_number=False,
        name="张三",
        gender=1,
        birth_date=dt.date(2015, 6, 1),
        document_type="1",
        document_masked="330***********123X",
        school_code="1330102001",
        county_code="330102",
        city_code="330100",
        province_code="330000",
        status="pending",
        reason="",
    )
    holdings = sa.table("national_records", *(sa.column(c) for c in ["record_id", *holding]))
    students = sa.table("problem_students", *(sa.column(c) for c in ["record_id", *student]))
    with engine.begin() as conn:
        conn.execute(
            sa.insert(holdings),
            [
                {"record_id": "nq-" + G_NUMBER, **holding},
                {"record_id": "r-42", **holding, "document_hash": "b" * 64},
            ],
        )
        conn.execute(
            sa.insert(students),
            [{"record_id": "nq-" + G_NUMBER, **student}, {"record_id": "r-42", **student}],
        )

    upgrade(engine, SPEC.versions_dir, SPEC.metadata)

    renamed = loaded_record_id(student_number_hash(DEV_HASH_KEY, G_NUMBER))
    with engine.connect() as conn:
        for table in ("national_records", "problem_students"):
            ids = conn.execute(sa.text(f"SELECT record_id FROM {table} ORDER BY record_id")).scalars().all()
            assert ids == sorted([renamed, "r-42"]), table
