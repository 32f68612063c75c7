"""The review chain of one case: gates, levels per category, rejection, resubmission, dedup results."""

import datetime as dt

import pytest

from xueji_common.errors import InvalidArgument, PreconditionFailed
from xueji_common.orgunits import OrgLevel
from xueji_review.domain.model import Actor, CaseEventType, CaseState, GateStatus, ReviewCase

NOW = dt.datetime(2026, 9, 1, tzinfo=dt.UTC)
SCHOOL, COUNTY, CITY, PROVINCE = "1330102001", "330102", "330100", "330000"
ABOVE = {OrgLevel.COUNTY: COUNTY, OrgLevel.CITY: CITY, OrgLevel.PROVINCE: PROVINCE}
LEADER = Actor(SCHOOL, OrgLevel.SCHOOL, "leader", "school_leader")
REGISTRAR = Actor(SCHOOL, OrgLevel.SCHOOL, "registrar", "school_registrar")
DEPARTMENTS = {
    level: Actor(code, level, f"dept-{code}", "department_registrar") for level, code in ABOVE.items()
}


def make(category="resident", kind="non_primary_freshman", **kw):
    values = dict(
        application_id="a1",
        revision=1,
        school_code=SCHOOL,
        county_code=COUNTY,
        kind=kind,
        category=category,
        name="张三",
        gender=1,
        birth_date=dt.date(2015, 6, 1),
        document_type="1",
        document_masked="330***********1234",
    )
    values.update(kw)
    return ReviewCase.open(submitted_at=NOW, **values)


def passed(case):
    case.gate_completed(case.revision, True, "", NOW)
    return case


def test_a_new_case_waits_for_the_school_and_for_its_gate():
    case = make()
    assert case.state is CaseState.AWAITING_SCHOOL_REVIEW
    assert case.gate is GateStatus.PENDING
    assert (case.handling_unit, case.current_level) == (SCHOOL, OrgLevel.SCHOOL)
    assert [e.type for e in case.events] == [CaseEventType.SUBMITTED]


def test_no_document_cases_have_no_gate():
    assert make(category="no_document").gate is GateStatus.NOT_REQUIRED


@pytest.mark.parametrize(
    "kind, category, reviewable_before_gate",
    [
        ("primary_freshman", "resident", True),  # authentication may still run
        ("primary_freshman", "hmt_foreign", False),  # not before document dedup passed
        ("primary_freshman", "no_document", True),  # directly
        ("non_primary_freshman", "resident", False),  # 未查重认证 blocks
        ("non_primary_freshman", "hmt_foreign", False),
        ("non_primary_freshman", "no_document", True),
    ],
)
def test_school_review_gates(kind, category, reviewable_before_gate):
    case = make(category=category, kind=kind)
    assert (case.review_block is None) == reviewable_before_gate
    if not reviewable_before_gate:
        with pytest.raises(PreconditionFailed) as err:
            case.approve(LEADER, NOW, {})
        assert err.value.violations[0].type == "NOT_REVIEWABLE" and "不能审核" in err.value.message
        with pytest.raises(PreconditionFailed):
            case.reject(LEADER, NOW, "资料不全")
        passed(case)
    case.approve(LEADER, NOW, {})
    assert case.state is CaseState.AWAITING_REPORT


def test_the_non_freshman_block_uses_the_manuals_words():
    assert make().review_block == "学籍查重认证状态为“未查重认证”，不能审核"
    assert "证件号查重" in make(category="hmt_foreign").review_block


@pytest.mark.parametrize(
    "category, levels",
    [
        ("resident", [OrgLevel.COUNTY]),
        ("hmt_foreign", [OrgLevel.COUNTY]),
        ("no_document", [OrgLevel.COUNTY, OrgLevel.CITY, OrgLevel.PROVINCE]),
    ],
)
@pytest.mark.parametrize("kind", ["primary_freshman", "non_primary_freshman"])
def test_each_category_climbs_its_chain(kind, category, levels):
    case = passed(make(category=category, kind=kind))
    case.approve(LEADER, NOW, {})
    case.report(REGISTRAR, NOW)
    assert (case.state, case.current_level, case.handling_unit) == (
        CaseState.AWAITING_DEPARTMENT_REVIEW,
        OrgLevel.COUNTY,
        COUNTY,
    )
    for i, level in enumerate(levels):
        assert case.awaits(ABOVE[level], level)
        case.approve(DEPARTMENTS[level], NOW, ABOVE, "同意")
        if i + 1 < len(levels):
            assert (case.state, case.current_level, case.handling_unit) == (
                CaseState.AWAITING_DEPARTMENT_REVIEW,
                levels[i + 1],
                ABOVE[levels[i + 1]],
            )
    assert case.state is CaseState.APPROVED
    assert case.required_levels == tuple(levels)


def test_a_department_cannot_decide_a_case_waiting_at_another_level():
    case = passed(make(category="no_document"))
    case.approve(LEADER, NOW, {})
    case.report(REGISTRAR, NOW)
    with pytest.raises(PreconditionFailed) as err:
        case.approve(DEPARTMENTS[OrgLevel.CITY], NOW, ABOVE)
    assert err.value.violations[0].type == "NOT_PENDING_FOR_CALLER"
    with pytest.raises(PreconditionFailed):
        case.approve(LEADER, NOW, ABOVE)  # the school decided already


@pytest.mark.parametrize("level", [OrgLevel.SCHOOL, OrgLevel.COUNTY, OrgLevel.CITY, OrgLevel.PROVINCE])
def test_a_rejection_at_any_level_returns_the_case_to_the_school(level):
    case = make(category="no_document")
    actors = [
        LEADER,
        DEPARTMENTS[OrgLevel.COUNTY],
        DEPARTMENTS[OrgLevel.CITY],
        DEPARTMENTS[OrgLevel.PROVINCE],
    ]
    for actor in actors:
        if actor.level == level:
            break
        case.approve(actor, NOW, ABOVE)
        if actor is LEADER:
            case.report(REGISTRAR, NOW)
    case.reject(actor, NOW, "  出生日期与证明材料不符 ")
    assert (case.state, case.handling_unit, case.current_level) == (
        CaseState.RETURNED,
        SCHOOL,
        OrgLevel.SCHOOL,
    )
    last = case.last_event
    assert (last.type, last.level, last.unit_code, last.opinion) == (
        CaseEventType.REJECTED,
        level,
        actor.unit_code,
        "出生日期与证明材料不符",
    )


def test_a_rejection_needs_an_opinion():
    with pytest.raises(InvalidArgument) as err:
        make(category="no_document").reject(LEADER, NOW, "  ")
    assert err.value.violations[0].field == "opinion"


def test_only_school_approved_cases_of_the_own_school_are_reported():
    case = make(category="no_document")
    with pytest.raises(PreconditionFailed):
        case.report(REGISTRAR, NOW)
    case.approve(LEADER, NOW, {})
    with pytest.raises(PreconditionFailed):
        case.report(Actor("1330102002", OrgLevel.SCHOOL, "x", "school_registrar"), NOW)


def test_a_failed_gate_closes_gated_cases_but_not_a_freshman_resident():
    hmt, resident = make(category="hmt_foreign"), make()
    freshman = make(kind="primary_freshman")
    for case in (hmt, resident, freshman):
        assert case.gate_completed(1, False, "证件号已被使用", NOW)
    assert hmt.state is resident.state is CaseState.DEDUP_FAILED
    assert freshman.state is CaseState.AWAITING_SCHOOL_REVIEW and freshman.review_block is None
    assert freshman.gate is GateStatus.FAILED and freshman.gate_reason == "证件号已被使用"


def test_a_dedup_result_for_another_revision_changes_nothing():
    case = make(revision=2)
    assert not case.gate_completed(1, True, "", NOW)
    assert case.gate is GateStatus.PENDING and case.version == 1


def test_a_stale_revision_changes_nothing():
    case = make(revision=2)
    assert not case.resubmitted(2, NOW, name="改名")
    assert not case.resubmitted(1, NOW, name="改名")
    assert case.name == "张三" and case.version == 1


def test_a_resubmission_restarts_review_at_the_school():
    case = passed(make(category="hmt_foreign"))
    case.approve(LEADER, NOW, {})
    case.report(REGISTRAR, NOW)
    case.reject(DEPARTMENTS[OrgLevel.COUNTY], NOW, "证件照片不清晰")
    assert case.resubmitted(2, NOW, name="张叁")
    assert (case.state, case.name, case.revision, case.handling_unit) == (
        CaseState.AWAITING_SCHOOL_REVIEW,
        "张叁",
        2,
        SCHOOL,
    )
    assert case.gate is GateStatus.PENDING  # the corrected document is checked again


def test_withdrawal_ends_the_case():
    case = make()
    case.withdraw()
    assert case.state is CaseState.WITHDRAWN and case.handling_unit == "" and case.version == 2
