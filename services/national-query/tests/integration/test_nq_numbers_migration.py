"""Migration nq0004 (issue 13 §4): the national student numbers of an existing read model encrypted,
their keyed hashes the unique key, and records loaded under "nq-" + their number renamed (with their
open problem groups), on PostgreSQL and SQLite."""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from xueji_common.config import DEV_HASH_KEY, Settings
from xueji_common.datakeys import is_encrypted
from xueji_common.db.encrypted import bind_hash_key, bind_keyring
from xueji_common.db.engine import make_engine
from xueji_common.db.migrations import upgrade
from xueji_common.hashing import loaded_record_id, student_number_hash
from xueji_national_query.adapters.records import RecordRepository
from xueji_national_query.spec import SPEC

G_NUMBER, L_NUMBER = "G33010220150601123X", "L330102201506011234"


def raw_record(record_id: str, number: str) -> dict:
    return dict(
        record_id=record_id,
        national_student_number=number,
        name="张三",
        gender=1,
        birth_date=dt.date(2015, 6, 1),
        document_type="1",
        document_hash="a" * 64,
        document_masked="330***********123X",
        province_code="330000",
        school_code="1330102001",
        school_name="胜利小学",
        stage="primary",
        enrolment_status="enrolled",
        problem=True,
        version=0,
        changed_at=dt.datetime(2026, 9, 1, tzinfo=dt.UTC),
    )


@pytest.fixture(params=["sqlite", "postgresql"])
def engine(request, tmp_path):
    url = (
        f"sqlite:///{tmp_path / 'nq.db'}"
        if request.param == "sqlite"
        else request.getfixturevalue("pg_database")()
    )
    engine = make_engine(url)
    settings = Settings()
    bind_keyring(engine, settings.data_keyring())
    bind_hash_key(engine, DEV_HASH_KEY)
    yield engine
    engine.dispose()


def test_nq0004_encrypts_the_numbers_and_renames_the_loaded_records(engine):
    upgrade(engine, SPEC.versions_dir, SPEC.metadata, "nq0003")
    records = sa.table("national_records", *(sa.column(c) for c in raw_record("", "")))
    problems = sa.table("record_problems", sa.column("record_id"), sa.column("problem_group_id"))
    with engine.begin() as conn:  # a file-loaded record (its id from the number) and an event-fed one
        conn.execute(
            sa.insert(records), [raw_record("nq-" + G_NUMBER, G_NUMBER), raw_record("r-42", L_NUMBER)]
        )
        conn.execute(
            sa.insert(problems),
            [
                {"record_id": "nq-" + G_NUMBER, "problem_group_id": "g1"},
                {"record_id": "r-42", "problem_group_id": "g1"},
            ],
        )

    upgrade(engine, SPEC.versions_dir, SPEC.metadata)

    loaded_id = loaded_record_id(student_number_hash(DEV_HASH_KEY, G_NUMBER))
    with engine.connect() as conn:
        stored = conn.execute(
            sa.text(
                "SELECT record_id, national_student_number, national_student_number_hash "
                "FROM national_records ORDER BY record_id"
            )
        ).all()
        open_groups = (
            conn.execute(sa.text("SELECT record_id FROM record_problems ORDER BY record_id")).scalars().all()
        )
    assert [r[0] for r in stored] == sorted([loaded_id, "r-42"]) and open_groups == sorted(
        [loaded_id, "r-42"]
    )
    assert all(is_encrypted(r[1]) for r in stored) and G_NUMBER[1:] not in repr(stored)
    assert {r[2] for r in stored} == {student_number_hash(DEV_HASH_KEY, n) for n in (G_NUMBER, L_NUMBER)}
    with Session(engine) as session:  # read back by the number, opened
        [record] = RecordRepository(session, DEV_HASH_KEY).by_student_number("张三", G_NUMBER)
        assert (record.record_id, record.national_student_number) == (loaded_id, G_NUMBER)
