"""Rules of dedup without I/O: who resolves a group, handling rules, reasons, numbers, and the
translations of outcomes and reported groups."""

from __future__ import annotations

import datetime as dt
import random
from types import SimpleNamespace

import pytest

from xueji.v1 import events_pb2
from xueji_common.documents import resident_id_check_digit
from xueji_common.orgunits import load_default_tree
from xueji_dedup.adapters import metrics
from xueji_dedup.adapters.problem_messages import group_to_pb, reported_group
from xueji_dedup.domain import checks, numbers
from xueji_dedup.domain.checks import Holding, HoldingKind
from xueji_dedup.domain.problems import (
    GroupStatus,
    ProblemGroup,
    ProblemKind,
    ProblemStudent,
    Resolution,
    RuleRefused,
    StudentStatus,
    may_resolve,
    resolver_for,
)
from xueji_dedup.entrypoints.grpc_register import verify

TREE = load_default_tree()


@pytest.mark.parametrize(
    "schools, expected",
    [
        (["1330102001"], (5, "1330102001")),
        (["1330102001", "1330102002"], (4, "330102")),
        (["1330102001", "1330105001"], (3, "330100")),
        (["1330102001", "1320102001"], (1, "000000")),
        (["1330102001", "1510104001"], (1, "000000")),  # a school of a province outside this tree
    ],
)
def test_the_smallest_unit_above_every_school_resolves(schools, expected):
    provinces = [s[1:3] + "0000" for s in schools]
    assert resolver_for(TREE, schools, provinces) == expected


def student(record_id, status=StudentStatus.PENDING):
    return ProblemStudent(
        record_id,
        "a-" + record_id,
        "L***",
        True,
        "张三",
        1,
        dt.date(2015, 6, 1),
        "A",
        "E******78",
        "1330102001",
        "330102",
        "330100",
        "330000",
        status,
    )


def group(*students):
    return ProblemGroup("g", ProblemKind.SHARED_DOCUMENT, "h", 4, "330102", list(students))


def test_at_least_one_record_stays():
    with pytest.raises(RuleRefused) as err:
        group(student("r1"), student("r2", StudentStatus.DELETED)).check_can_handle({"r1": Resolution.DELETE})
    assert err.value.code == "WOULD_DELETE_ALL"


def test_a_handled_record_is_not_handled_again_and_a_resolved_group_is_closed():
    g = group(student("r1", StudentStatus.CORROBORATED), student("r2"))
    with pytest.raises(RuleRefused) as err:
        g.check_can_handle({"r1": Resolution.DELETE})
    assert err.value.code == "RECORD_ALREADY_HANDLED"
    with pytest.raises(ValueError):
        g.check_can_handle({"r9": Resolution.DELETE})
    g.handled("r2", StudentStatus.DELETED)
    assert g.status is GroupStatus.RESOLVED
    with pytest.raises(RuleRefused):
        g.check_can_handle({"r2": Resolution.CORROBORATE})


def test_a_failed_correction_stays_to_handle_and_a_new_record_reopens_the_group():
    g = group(student("r1"), student("r2"))
    g.handled("r1", StudentStatus.CORRECTION_FAILED, "姓名与身份证件号不符")
    assert g.status is GroupStatus.PENDING
    g.handled("r2", StudentStatus.CORROBORATED)
    assert g.status is GroupStatus.IN_PROGRESS
    g.handled("r1", StudentStatus.CORRECTED)
    assert g.status is GroupStatus.RESOLVED
    assert g.add(student("r3")) and g.status is GroupStatus.IN_PROGRESS
    assert not g.add(student("r3"))


def test_school_groups_are_the_schools_and_department_groups_the_departments():
    school_group = ProblemGroup("g", ProblemKind.AUTHENTICATION_FAILED, "h", 5, "1330102001")
    assert may_resolve(TREE, "school_registrar", "1330102001", school_group)
    assert not may_resolve(TREE, "school_registrar", "1330102002", school_group)
    assert may_resolve(TREE, "department_registrar", "330102", school_group)
    county_group = group()
    assert not may_resolve(TREE, "school_registrar", "1330102001", county_group)
    assert may_resolve(TREE, "department_registrar", "330000", county_group)
    assert not may_resolve(TREE, "department_registrar", "330105", county_group)


def test_reasons_name_the_holders_school_and_mask_the_number():
    record = Holding(HoldingKind.RECORD, "r1", "330000", "1330102001")
    place = checks.describe_school(TREE, "1330102001", "330000")
    assert (
        checks.held(record, place, "330***********1234").reason
        == "该身份证件号已被浙江省杭州市上城区胜利小学的学籍使用（330***********1234）"
    )
    assert checks.describe_school(TREE, "1510104001", "510000") == "省份510000学校（学校标识码 1510104001）"
    assert checks.first_holding([Holding(HoldingKind.RESERVATION, "x", "", ""), record]) is record
    assert checks.register_refusal("NOT_FOUND", "330***").reason_code == "NOT_FOUND"


def test_numbers_have_their_layouts():
    birth = dt.date(2015, 6, 1)
    first = next(numbers.temporary_candidates("330102", birth, random.Random(1)))
    assert first.startswith("L33010220150601") and len(first) == 19
    j = next(numbers.provincial_candidates("330102", birth))
    assert j == "J33010220150601001" + resident_id_check_digit("33010220150601001")
    with pytest.raises(ValueError):
        numbers.check_division("330000")  # a province, not a county


class Row:
    name, gender, birth_date = "张三", 1, dt.date(2015, 6, 1)


def test_the_register_checks_in_the_contracts_order():
    assert verify(None, "张三", 1, Row.birth_date) == 1  # NOT_FOUND
    assert verify(Row, "李四", 2, Row.birth_date) == 3  # NAME_MISMATCH before gender
    assert verify(Row, "张三", 2, Row.birth_date) == 4
    assert verify(Row, "张三", 1, dt.date(2015, 6, 2)) == 5
    assert verify(Row, " 张三 ", 1, Row.birth_date) == 0


def test_a_record_change_touching_nothing_of_the_group_leaves_it_unchanged():
    g = group(student("r1"), student("r2"))
    assert not g.refresh_student("r1", name="张三", gender=1, birth_date=dt.date(2015, 6, 1))
    assert g.refresh_student("r1", name="张山", gender=1)
    assert g.student("r1").name == "张山" and g.student("r2").name == "张三"
    assert not g.refresh_student("r9", name="李四")  # not in the group


@pytest.mark.parametrize(
    "kind, outcome, labels",
    [
        (
            events_pb2.DEDUP_KIND_DOCUMENT_NUMBER,
            events_pb2.DEDUP_OUTCOME_PASSED,
            ("document_number", "passed"),
        ),
        (
            events_pb2.DEDUP_KIND_IDENTITY_AUTHENTICATION,
            events_pb2.DEDUP_OUTCOME_FAILED,
            ("identity_authentication", "failed"),
        ),
    ],
)
def test_outcome_metric_labels_name_the_kind_and_outcome(kind, outcome, labels):
    assert metrics.outcome_labels(events_pb2.DedupCompleted(kind=kind, outcome=outcome)) == labels


def test_a_reported_group_reaches_the_national_copy_whole():
    at = dt.datetime(2026, 12, 1, 8, 30, tzinfo=dt.UTC)
    mine = group(student("r1", StudentStatus.DELETED), student("r2", StudentStatus.CORROBORATED))
    mine.students[1].school_code, mine.students[1].province_code = "1320102001", "320000"
    mine.resolver_level, mine.resolver_unit_code, mine.status, mine.version = (
        1,
        "000000",
        GroupStatus.RESOLVED,
        3,
    )
    mine.create_time = mine.update_time = at
    action = SimpleNamespace(
        record_id="r1",
        resolution="delete",
        org_unit_code="000000",
        org_unit_name="教育部",
        user_id="u1",
        role="department_registrar",
        time=at,
        opinion="删除重复",
        corrected_document_type="",
    )
    copy, actions = reported_group(group_to_pb(mine, TREE, [action]), "320000", TREE)
    assert (
        copy.group_id,
        copy.kind,
        copy.status,
        copy.version,
        copy.reporting_province,
        copy.update_time,
    ) == ("g", ProblemKind.SHARED_DOCUMENT, GroupStatus.RESOLVED, 3, "320000", at)
    assert [(s.record_id, s.status, s.county_code, s.city_code, s.province_code) for s in copy.students] == [
        ("r1", StudentStatus.DELETED, "330102", "330100", "330000"),
        ("r2", StudentStatus.CORROBORATED, "320102", "320100", "320000"),
    ]
    assert [(a["record_id"], a["resolution"], a["role"], a["time"], a["opinion"]) for a in actions] == [
        ("r1", "delete", "department_registrar", at, "删除重复")
    ]


def test_a_resident_id_held_by_a_record_tells_a_non_freshman_to_transfer():
    record = Holding(HoldingKind.RECORD, "nq-G1", "320000", "1320102001")
    reservation = Holding(HoldingKind.RESERVATION, "x", "320000", "1320102001")
    place = checks.describe_school(TREE, "1320102001", "320000")
    enrolled = checks.held(record, place, "360***********1926", enrolled_resident=True)
    assert (
        enrolled.reason == "该身份证件号已被江苏省南京市玄武区梅园小学的学籍使用（360***********1926）："
        "该学生已有学籍，应办理转学，不能重复注册"
    )
    assert enrolled.reason_code == checks.HELD_BY_RECORD
    # an application in flight is no enrolment: no transfer to speak of
    assert not checks.held(reservation, place, "360***", enrolled_resident=True).reason.endswith(
        "不能重复注册"
    )


def test_a_failed_authentication_merged_into_the_national_group_closes_once():
    group = ProblemGroup("g", ProblemKind.AUTHENTICATION_FAILED, "r1", 5, "1330102001", [student("r1")])
    assert group.merge_into("r1") is True
    assert (group.student("r1").status, group.status) == (StudentStatus.MERGED, GroupStatus.RESOLVED)
    assert group.merge_into("r1") is False  # a redelivered notice changes nothing
    assert group.merge_into("r9") is False  # not a member


def test_a_raised_student_crosses_the_tiers_with_its_application_but_never_to_users():
    from xueji_dedup.adapters.problem_messages import student_from_pb, student_to_pb

    s = student("r1")
    assert student_to_pb(s, TREE).application_id == ""
    back = student_from_pb(student_to_pb(s, TREE, with_application=True), TREE)
    assert back == s
