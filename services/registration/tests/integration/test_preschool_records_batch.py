"""Registration's preschool matcher (adapters/preschool_records.py) against national-query's
`PreschoolRecords` contract (a gRPC test double): many children go 500 a call to
MatchPreschoolRecords, answered in the order asked; a national-query without the batch call is asked
child by child with the same answers; one that is down leaves every child unanswered (None)."""

from __future__ import annotations

import datetime as dt

import grpc
import pytest
from intake_harness import intake, record  # noqa: F401 (fixture)

from xueji.v1 import common_pb2
from xueji_common.documents import DocumentType, Gender, validate_document
from xueji_registration.adapters.preschool_records import PreschoolRecords
from xueji_registration.domain.identity import Identity
from xueji_registration.testing import resident_id

BORN = dt.date(2015, 6, 1)


def with_document(i: int) -> Identity:
    return Identity(f"童{i}", Gender.MALE, BORN, validate_document(DocumentType.RESIDENT_ID, number(i)))


def without_document(name: str) -> Identity:
    return Identity(name, Gender.FEMALE, BORN, validate_document(DocumentType.OTHER, ""))


def number(i: int) -> str:
    return resident_id(seq=f"{i % 1000:03d}", birth=f"2015{1 + i // 1000 % 12:02d}01")


def answers_of(answers):
    return [
        None
        if a is None
        else ([c.record_id for c in a.candidates], [f.school_code for f in a.formal_records])
        for a in answers
    ]


def mixed(intake):
    """A child matched by document with a formal record, one by name with two candidates, one with
    nothing, in that order."""
    intake.records.by_number = {number(1): [record("r0001")]}
    intake.records.formal = {number(1): [common_pb2.FormalRecordHolder(school_code="1330102009")]}
    intake.records.by_name = {"无证": [record("r0002", name="无证"), record("r0003", name="无证")]}
    return [with_document(1), without_document("无证"), with_document(2)]


EXPECTED = [(["r0001"], ["1330102009"]), (["r0002", "r0003"], []), ([], [])]


def test_many_children_are_asked_in_one_batch_call(intake):
    answers = PreschoolRecords(intake.runtime).match(mixed(intake))
    assert answers_of(answers) == EXPECTED
    assert (intake.records.batches, intake.records.calls) == ([3], 0)


def test_more_than_500_go_500_a_call_and_come_back_in_the_order_asked(intake):
    children = [with_document(i) for i in range(1201)]
    intake.records.by_number = {number(i): [record(f"r{i:04d}")] for i in range(1201)}
    answers = PreschoolRecords(intake.runtime).match(children)
    assert [a.candidates[0].record_id for a in answers] == [f"r{i:04d}" for i in range(1201)]
    assert sorted(intake.records.batches) == [201, 500, 500] and intake.records.calls == 0


@pytest.mark.parametrize("refusal", [grpc.StatusCode.UNIMPLEMENTED, grpc.StatusCode.INVALID_ARGUMENT])
def test_a_national_query_without_the_batch_call_or_refusing_a_batch_is_asked_child_by_child(intake, refusal):
    """UNIMPLEMENTED: a national-query not yet upgraded; INVALID_ARGUMENT: a child it cannot read
    (that child alone is then left unanswered, as one call each did)."""
    children = mixed(intake)
    intake.records.batch_refusal = refusal
    answers = PreschoolRecords(intake.runtime).match(children)
    assert answers_of(answers) == EXPECTED
    assert (intake.records.batches, intake.records.calls) == ([], 3)


def test_one_child_is_one_single_call(intake):
    [answer] = PreschoolRecords(intake.runtime).match(mixed(intake)[:1])
    assert answers_of([answer]) == EXPECTED[:1]
    assert (intake.records.batches, intake.records.calls) == ([], 1)


def test_a_national_query_down_leaves_every_child_unanswered(intake):
    children = mixed(intake)
    intake.records.unavailable = True
    assert PreschoolRecords(intake.runtime).match(children) == [None, None, None]
    assert intake.records.calls == 0  # not asked again child by child: the rematch job retries them
