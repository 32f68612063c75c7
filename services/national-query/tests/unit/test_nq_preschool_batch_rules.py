"""学前学籍匹配 in batches (issue 16 step 2) on the in-memory unit of work: a batch answers each child
as the single match does, in the order asked (PostgreSQL and SQLite: tests/integration/
test_nq_preschool_batch.py)."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace

import pytest
from nq_fakes import FakeNationalQueryUoW
from test_nq_use_cases import KEY, record

from xueji_common.documents import DocumentType
from xueji_common.errors import InvalidArgument
from xueji_common.hashing import document_hash
from xueji_national_query.domain.preschool import ByPerson
from xueji_national_query.service_layer import preschool

BORN = dt.date(2015, 6, 1)
A, B, C = "330102201506011234", "330102201506015678", "330102201506019999"


def child(record_id: str, number: str = "", **kw: object):
    """A preschool record: with a document when `number` is given, else without one (type Z)."""
    doc = (
        dict(
            document_type="1", document_hash=document_hash(KEY, "1", number), document_masked=number[:3] + "*"
        )
        if number
        else dict(document_type="Z", document_hash="", document_masked="")
    )
    values = dict(stage="preschool", national_student_number="L" + record_id.rjust(18, "0")) | doc
    return record(record_id, **(values | kw))  # type: ignore[arg-type]


def stored(uow) -> None:
    """One child of each case the rule tells apart."""
    rows = [
        child("p1", A),  # A: one preschool record ...
        record("f1", document_hash=document_hash(KEY, "1", A)),  # ... and a formal record of A
        record("f2", national_student_number="G2", document_hash=document_hash(KEY, "1", A), version=5),
        child("p2", B, problem=True),  # B: a number shared by two preschool records
        child("p3", B, problem=True),
        child("p4"),  # 张三 1 2015-06-01 without a document: two candidates
        child("p5", school_code="1330102002"),
        child("p6", name="李四", gender=2),  # 李四 2: one
        child("p7", A, name="王五"),  # has a document: not a candidate of 王五 by person
        record(
            "f3", document_type="Z", document_hash="", name="王五", national_student_number="G3"
        ),  # formal
    ]
    with uow:
        for r in rows:
            uow.records.put(r, exists=False)
        uow.commit()


def keys(uow):
    doc = preschool.document_key
    return [
        doc(uow.hash_key, DocumentType.RESIDENT_ID, A),
        preschool.person_key(" 张三 ", 1, BORN),
        doc(uow.hash_key, DocumentType.RESIDENT_ID, B),
        doc(uow.hash_key, DocumentType.RESIDENT_ID, C),  # none
        preschool.person_key("王五", 1, BORN),  # none: one has a document, the other is formal
        preschool.person_key("李四", 2, BORN),
        doc(uow.hash_key, DocumentType.RESIDENT_ID, A.lower()),  # the same child twice
        doc(uow.hash_key, DocumentType.PASSPORT, A),  # another type: another hash, none
    ]


def ids(answers):
    return [([r.record_id for r in a.candidates], [r.record_id for r in a.formal]) for a in answers]


@pytest.fixture
def uow() -> FakeNationalQueryUoW:
    u = FakeNationalQueryUoW(KEY)
    stored(u)
    return u


def test_a_batch_answers_each_child_as_the_single_match_does_in_the_order_asked(uow):
    asked = keys(uow)
    batch = preschool.match_keys(uow, asked)
    assert batch == [preschool.match_keys(uow, [k])[0] for k in asked]
    assert ids(batch) == [
        (["p1", "p7"], ["f2", "f1"]),  # preschool records in number order, formal ones newest first
        (["p4", "p5"], []),
        (["p2", "p3"], []),
        ([], []),
        ([], []),
        (["p6"], []),
        (["p1", "p7"], ["f2", "f1"]),
        ([], []),
    ]


def test_a_batch_reads_once(uow, monkeypatch):
    reads = []
    real = uow.records.preschool_matching
    monkeypatch.setattr(uow.records, "preschool_matching", lambda ks: reads.append(ks) or real(ks))
    preschool.match_keys(uow, keys(uow))
    assert len(reads) == 1 and preschool.match_keys(uow, []) == [] and len(reads) == 1


def test_a_batch_holds_at_most_500_children(uow):
    preschool.match_keys(uow, [ByPerson("张三", 1, BORN)] * 500)
    with pytest.raises(InvalidArgument) as exc:
        preschool.match_keys(uow, [ByPerson("张三", 1, BORN)] * 501)
    assert [v.field for v in exc.value.violations] == ["identities"]


def test_a_record_changed_to_another_key_is_no_longer_its_old_keys_answer(uow):
    with uow:
        uow.records.put(replace(uow.records.get("p6"), birth_date=BORN.replace(day=2)), exists=True)
        uow.commit()
    [answer] = preschool.match_keys(uow, [preschool.person_key("李四", 2, BORN)])
    assert answer.candidates == []
