"""学前学籍匹配 in batches (issue 16 step 2) on PostgreSQL and SQLite: a batch answers each child as
the single match does (by document, by name, gender and birth date, several candidates, none,
formal records), with one read whatever the number of children."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace

import pytest

from xueji_common.config import Settings
from xueji_common.documents import DocumentType
from xueji_common.hashing import document_hash
from xueji_common.runtime.bootstrap import ServiceRuntime
from xueji_common.testing.statements import statements_sent
from xueji_national_query.domain.records import NationalRecord
from xueji_national_query.service_layer import preschool
from xueji_national_query.spec import SPEC

BORN = dt.date(2015, 6, 1)
AT = dt.datetime(2026, 9, 1, 8, tzinfo=dt.UTC)
A, B, C = "330102201506011234", "330102201506015678", "330102201506019999"


@pytest.fixture(params=["postgresql", "sqlite"])
def runtime(request, tmp_path):
    if request.param == "postgresql":
        yield request.getfixturevalue("service_runtime")(SPEC)
        return
    rt = ServiceRuntime(SPEC, Settings(), database_url=f"sqlite:///{tmp_path / 'nq.db'}")
    rt.migrate()
    yield rt
    rt.close()


def row(record_id: str, number: str = "", stage: str = "preschool", hours: int = 0, **kw) -> NationalRecord:
    """A record; with a document when `number` is given (hashed with the runtime's key), else type Z."""
    values = dict(
        record_id=record_id,
        national_student_number=("L" if stage == "preschool" else "G") + record_id.rjust(18, "0"),
        name="张三",
        gender=1,
        birth_date=BORN,
        document_type="1" if number else "Z",
        document_hash=number,  # replaced by its hash in `store`
        document_masked=number[:3] + "*" * 11 + number[-4:] if number else "",
        province_code="330000",
        school_code="1330102001",
        school_name="阳光幼儿园",
        stage=stage,
        enrolment_status="enrolled",
        problem=False,
        version=1,
        changed_at=AT + dt.timedelta(hours=hours),
    )
    return NationalRecord(**(values | kw))


def store(runtime, rows: list[NationalRecord]) -> None:
    key = runtime.settings.hash_key
    hashed = [
        replace(r, document_hash=document_hash(key, "1", r.document_hash)) if r.document_hash else r
        for r in rows
    ]
    uow = runtime.uow_factory()
    with uow:
        uow.records.write([], [], hashed)
        uow.commit()


MIXED = [
    row("p1", A),  # A: one preschool record, and two formal ones
    row("f1", A, stage="primary", hours=1),
    row("f2", A, stage="junior_secondary", hours=5),
    row("p2", B, problem=True),  # B: shared by two preschool records
    row("p3", B, problem=True),
    row("p4"),  # 张三 1 2015-06-01 without a document: two candidates
    row("p5", school_code="1330102002"),
    row("p6", name="李四", gender=2),
    row("p7", A, name="王五"),  # 王五 has a document: not found by person
    row("f3", name="王五", stage="primary"),  # a formal record without a document: not a candidate
]


def keys(hash_key: str):
    doc = preschool.document_key
    return [
        doc(hash_key, DocumentType.RESIDENT_ID, A),
        preschool.person_key(" 张三 ", 1, BORN),
        doc(hash_key, DocumentType.RESIDENT_ID, B),
        doc(hash_key, DocumentType.RESIDENT_ID, C),
        preschool.person_key("王五", 1, BORN),
        preschool.person_key("李四", 2, BORN),
        doc(hash_key, DocumentType.RESIDENT_ID, A),
        preschool.person_key("李四", 1, BORN),
    ]


def ids(answers):
    return [([r.record_id for r in a.candidates], [r.record_id for r in a.formal]) for a in answers]


def test_a_batch_answers_each_child_as_the_single_match_does(runtime):
    store(runtime, MIXED)
    asked = keys(runtime.settings.hash_key)
    batch = preschool.match_keys(runtime.uow_factory(), asked)
    assert batch == [preschool.match_keys(runtime.uow_factory(), [k])[0] for k in asked]
    assert ids(batch) == [
        (["p1", "p7"], ["f2", "f1"]),
        (["p4", "p5"], []),
        (["p2", "p3"], []),
        ([], []),
        ([], []),
        (["p6"], []),
        (["p1", "p7"], ["f2", "f1"]),
        ([], []),
    ]
    p1 = batch[0].candidates[0]  # read back whole
    assert (p1.school_name, p1.changed_at, p1.document_masked) == ("阳光幼儿园", AT, "330***********1234")


def statements(runtime, n: int) -> int:
    hash_key = runtime.settings.hash_key
    asked = [
        preschool.document_key(hash_key, DocumentType.RESIDENT_ID, f"3301022015060{i:04d}X")
        if i % 2
        else preschool.person_key(f"童{i}", 1, BORN)
        for i in range(n)
    ]
    with statements_sent(runtime.engine) as counted:
        answers = preschool.match_keys(runtime.uow_factory(), asked)
    assert len(answers) == n and sum(len(a.candidates) for a in answers) == n
    return len(counted)


def test_a_batch_reads_with_the_same_statements_for_5_children_as_for_50(runtime):
    store(
        runtime,
        [row(f"d{i}", f"3301022015060{i:04d}X") if i % 2 else row(f"n{i}", name=f"童{i}") for i in range(50)],
    )
    assert statements(runtime, 5) == statements(runtime, 50) <= 3
