"""The review use cases on the in-memory unit of work (tests/unit/review_fakes.py): intake from
the bus, decisions and their refusals, the version rule, the skip rules of several-selected and
approve-all, report, the chain to the province, and the events published. The SQL, the races
between workers and the gRPC wiring of the same are tests/integration's."""

from __future__ import annotations

import datetime as dt
import itertools

import pytest
from review_fakes import FakeReviewUoW

from xueji.v1 import events_pb2
from xueji_common.auth import Principal, Role
from xueji_common.errors import ConcurrentModification, InvalidArgument, PermissionDenied, PreconditionFailed
from xueji_common.orgunits import OrgLevel, load_default_tree
from xueji_review.domain.model import CaseEventType, CaseState, GateStatus
from xueji_review.service_layer import intake, queries, reports
from xueji_review.service_layer.decisions import Decision, approve_all, decide, decide_in_sequence

SCHOOL, OTHER_SCHOOL = "1330102001", "1330102002"
COUNTY, CITY, PROVINCE = "330102", "330100", "330000"
TREE = load_default_tree()
LEADER = Principal("leader-1", Role.SCHOOL_LEADER, SCHOOL)
REGISTRAR = Principal("registrar-1", Role.SCHOOL_REGISTRAR, SCHOOL)
START = dt.datetime(2026, 9, 1, tzinfo=dt.UTC)
_serial = itertools.count(1)


@pytest.fixture
def uow():
    return FakeReviewUoW()


def submit(
    uow, category="resident", kind="non_primary_freshman", school=SCHOOL, revision=1, case_id=None
) -> str:
    """ApplicationSubmitted, as the event entrypoint hands it to intake; submitted one second apart."""
    n = next(_serial)
    case_id = case_id or f"app-{n}"
    intake.open_case(
        uow,
        application_id=case_id,
        revision=revision,
        submitted_at=START + dt.timedelta(seconds=n),
        school_code=school,
        county_code=school[1:7],
        kind=kind,
        category=category,
        name=f"学生{n}",
        gender=1,
        birth_date=None,
        document_type="1",
        document_masked="330***********1234",
    )
    return case_id


def dedup(uow, case_id, passed=True, revision=1, reason=""):
    intake.gate_completed(uow, application_id=case_id, revision=revision, passed=passed, reason=reason)


def department(level_code: str) -> Principal:
    return Principal(f"registrar@{level_code}", Role.DEPARTMENT_REGISTRAR, level_code)


def state(uow, case_id):
    case = uow.cases.get(case_id)
    return case.state, case.current_level, case.handling_unit


# -- intake ---------------------------------------------------------------------------------------


def test_a_submission_opens_a_case_at_the_school_with_its_gate_and_history(uow):
    resident, no_document = submit(uow), submit(uow, "no_document")
    assert state(uow, resident) == (CaseState.AWAITING_SCHOOL_REVIEW, OrgLevel.SCHOOL, SCHOOL)
    assert (uow.cases.get(resident).gate, uow.cases.get(no_document).gate) == (
        GateStatus.PENDING,
        GateStatus.NOT_REQUIRED,
    )
    assert [e.type for e in uow.history.for_application(resident)] == [CaseEventType.SUBMITTED]
    assert uow.serialized == [resident, no_document] and not uow.published  # review tells nobody of intake


def test_a_dedup_result_arriving_before_its_submission_waits_for_it(uow):
    dedup(uow, "early", passed=True)
    assert uow.cases.get("early") is None
    submit(uow, case_id="early")
    assert uow.cases.get("early").gate is GateStatus.PASSED
    assert not uow.gate_results.parked


def test_a_failed_gate_closes_a_non_freshman_resident_case_with_the_reason(uow):
    case_id = submit(uow)
    dedup(uow, case_id, passed=False, reason="身份信息不一致")
    case = uow.cases.get(case_id)
    assert (case.state, case.gate_reason) == (CaseState.DEDUP_FAILED, "身份信息不一致")


def test_a_redelivered_or_older_submission_changes_nothing(uow):
    case_id = submit(uow, revision=2)
    before = uow.cases.get(case_id)
    submit(uow, case_id=case_id, revision=2)
    submit(uow, case_id=case_id, revision=1)
    assert uow.cases.get(case_id) == before and len(uow.history.for_application(case_id)) == 1


def test_a_withdrawn_case_leaves_the_summary_and_an_unknown_one_is_ignored(uow):
    case_id = submit(uow, "no_document")
    intake.withdraw_case(uow, case_id)
    intake.withdraw_case(uow, "never-arrived")
    assert uow.cases.get(case_id).state is CaseState.WITHDRAWN
    assert queries.pending_summary(uow, TREE, LEADER).total == 0


# -- school review --------------------------------------------------------------------------------


def test_approval_sends_the_student_to_the_report_list_and_tells_registration(uow):
    case_id = submit(uow, "no_document")
    decided = decide(
        uow, tree=TREE, principal=LEADER, case_id=case_id, decision=Decision.APPROVE, opinion=" 同意 "
    )
    assert (decided.state, decided.version) == (CaseState.AWAITING_REPORT, 2)
    [progressed] = uow.events("ReviewProgressed")
    assert (progressed.stage, progressed.decided_by.user_id, progressed.decided_by.opinion) == (
        events_pb2.REVIEW_STAGE_AWAITING_REPORT,
        "leader-1",
        "同意",
    )
    assert uow.history.for_application(case_id)[-1].type is CaseEventType.APPROVED


def test_a_rejection_needs_an_opinion_and_returns_the_student(uow):
    case_id = submit(uow, "no_document")
    with pytest.raises(InvalidArgument, match="审核意见"):
        decide(uow, tree=TREE, principal=LEADER, case_id=case_id, decision=Decision.REJECT, opinion=" ")
    decide(uow, tree=TREE, principal=LEADER, case_id=case_id, decision=Decision.REJECT, opinion="材料不全")
    assert uow.cases.get(case_id).state is CaseState.RETURNED
    [returned] = uow.events()
    assert (returned.DESCRIPTOR.name, returned.rejected_by.opinion) == ("RegistrationReturned", "材料不全")


def test_a_decision_on_a_version_no_longer_current_is_a_conflict_and_writes_nothing(uow):
    case_id = submit(uow, "no_document")
    decide(uow, tree=TREE, principal=LEADER, case_id=case_id, decision=Decision.APPROVE, expected_version=1)
    other = submit(uow, "no_document")
    with pytest.raises(ConcurrentModification):
        decide(uow, tree=TREE, principal=LEADER, case_id=other, decision=Decision.APPROVE, expected_version=5)
    assert uow.cases.get(other).version == 1 and len(uow.published) == 1


def test_a_case_the_callers_unit_already_decided_is_aborted_not_refused(uow):
    case_id = submit(uow, "no_document")
    decide(uow, tree=TREE, principal=LEADER, case_id=case_id, decision=Decision.APPROVE)
    second_leader = Principal("leader-2", Role.SCHOOL_LEADER, SCHOOL)
    with pytest.raises(ConcurrentModification, match="已被他人更新"):
        decide(uow, tree=TREE, principal=second_leader, case_id=case_id, decision=Decision.APPROVE)


def test_deciding_a_case_not_here_yet_is_a_retryable_refusal(uow):
    with pytest.raises(PreconditionFailed) as err:
        decide(uow, tree=TREE, principal=LEADER, case_id="on-its-way", decision=Decision.APPROVE)
    assert [v.type for v in err.value.violations] == ["CASE_NOT_READY"]


def test_only_a_reviewer_of_the_cases_school_decides(uow):
    case_id = submit(uow, "no_document")
    for someone in (REGISTRAR, Principal("leader-9", Role.SCHOOL_LEADER, OTHER_SCHOOL), department("330105")):
        with pytest.raises(PermissionDenied):
            decide(uow, tree=TREE, principal=someone, case_id=case_id, decision=Decision.APPROVE)
    assert uow.cases.get(case_id).version == 1 and not uow.published


def test_a_school_cannot_review_a_non_freshman_before_authentication(uow):
    case_id = submit(uow)
    with pytest.raises(PreconditionFailed) as err:
        decide(uow, tree=TREE, principal=LEADER, case_id=case_id, decision=Decision.APPROVE)
    assert [v.type for v in err.value.violations] == ["NOT_REVIEWABLE"]
    dedup(uow, case_id)
    assert (
        decide(uow, tree=TREE, principal=LEADER, case_id=case_id, decision=Decision.APPROVE).state
        is CaseState.AWAITING_REPORT
    )


def test_several_selected_answer_the_next_one_waiting_in_list_order(uow):
    first, second, third = (submit(uow, "no_document") for _ in range(3))
    step = decide_in_sequence(
        uow,
        tree=TREE,
        principal=LEADER,
        selected_ids=[third, first, second],
        case_id=first,
        decision=Decision.APPROVE,
    )
    assert (step.decided.application_id, step.next.application_id, step.remaining) == (first, second, 1)


def test_a_non_freshman_selection_with_unauthenticated_students_is_refused_naming_them(uow):
    ready, waiting = submit(uow, "no_document"), submit(uow)
    with pytest.raises(PreconditionFailed) as err:
        decide_in_sequence(
            uow,
            tree=TREE,
            principal=LEADER,
            selected_ids=[ready, waiting],
            case_id=ready,
            decision=Decision.APPROVE,
        )
    assert [v.subject for v in err.value.violations] == [waiting]
    assert uow.cases.get(ready).state is CaseState.AWAITING_SCHOOL_REVIEW


def test_approve_all_approves_the_eligible_and_reports_the_others_with_the_reason(uow):
    eligible = [submit(uow, "no_document"), submit(uow, "resident", kind="primary_freshman")]
    blocked = submit(uow, "hmt_foreign")
    submit(uow, "no_document", school=OTHER_SCHOOL)
    approved, refused = approve_all(uow, tree=TREE, principal=LEADER, school_codes=[])
    assert [c.application_id for c in approved] == eligible
    assert [(r.case.application_id, r.reason_code) for r in refused] == [(blocked, "NOT_REVIEWABLE")]
    assert len(uow.events("ReviewProgressed")) == 2 and uow.commits == 5  # four submissions, one batch
    with pytest.raises(InvalidArgument, match="只能选择一所学校"):
        approve_all(
            uow,
            tree=TREE,
            principal=department(COUNTY),
            school_codes=[SCHOOL, OTHER_SCHOOL],
            category="resident",
        )


# -- report and the departments -------------------------------------------------------------------


def approved_by_school(uow, category="no_document") -> str:
    case_id = submit(uow, category)
    decide(uow, tree=TREE, principal=LEADER, case_id=case_id, decision=Decision.APPROVE)
    return case_id


def test_a_report_sends_the_selected_to_the_county_and_refuses_a_stale_one(uow):
    current, stale = approved_by_school(uow), approved_by_school(uow)
    reported, refused = reports.report_cases(
        uow, tree=TREE, principal=REGISTRAR, school_code=SCHOOL, selection=[(current, 2), (stale, 1)]
    )
    assert [c.application_id for c in reported] == [current]
    assert [(r.case.application_id, r.reason_code) for r in refused] == [(stale, "VERSION_CONFLICT")]
    assert state(uow, current) == (CaseState.AWAITING_DEPARTMENT_REVIEW, OrgLevel.COUNTY, COUNTY)
    with pytest.raises(PermissionDenied):
        reports.report_all(uow, tree=TREE, principal=LEADER, school_code=SCHOOL)


def test_a_report_of_another_schools_student_is_refused_naming_the_row(uow):
    mine, theirs = approved_by_school(uow), submit(uow, "no_document", school=OTHER_SCHOOL)
    with pytest.raises(InvalidArgument) as err:
        reports.report_cases(
            uow, tree=TREE, principal=REGISTRAR, school_code=SCHOOL, selection=[(mine, 0), (theirs, 0)]
        )
    assert [v.field for v in err.value.violations] == ["cases[1]"]
    assert uow.cases.get(mine).state is CaseState.AWAITING_REPORT


def test_a_no_document_student_goes_to_the_county_city_and_province_then_is_approved(uow):
    case_id = approved_by_school(uow)
    reports.report_all(uow, tree=TREE, principal=REGISTRAR, school_code=SCHOOL)
    with pytest.raises(PermissionDenied):  # a city of another province
        decide(uow, tree=TREE, principal=department("320100"), case_id=case_id, decision=Decision.APPROVE)
    with pytest.raises(PreconditionFailed, match="不在本单位待审核"):  # not at the province yet
        decide(uow, tree=TREE, principal=department(PROVINCE), case_id=case_id, decision=Decision.APPROVE)
    for unit, then in ((COUNTY, (OrgLevel.CITY, CITY)), (CITY, (OrgLevel.PROVINCE, PROVINCE))):
        decide(uow, tree=TREE, principal=department(unit), case_id=case_id, decision=Decision.APPROVE)
        assert state(uow, case_id) == (CaseState.AWAITING_DEPARTMENT_REVIEW, *then)
    with pytest.raises(ConcurrentModification):  # the county's own decision came first: reload
        decide(uow, tree=TREE, principal=department(COUNTY), case_id=case_id, decision=Decision.APPROVE)
    decide(uow, tree=TREE, principal=department(PROVINCE), case_id=case_id, decision=Decision.APPROVE)
    assert uow.cases.get(case_id).state is CaseState.APPROVED
    assert [e.approved_by.org_unit_code for e in uow.events("RegistrationApproved")] == [PROVINCE]


def test_the_summary_counts_waiting_students_and_those_a_gate_still_holds(uow):
    submit(uow), submit(uow), submit(uow, "hmt_foreign"), submit(uow, "no_document")
    submit(uow, school=OTHER_SCHOOL)
    summary = queries.pending_summary(uow, TREE, LEADER)
    assert (summary.total, summary.by_category, summary.blocked) == (
        4,
        {"resident": 2, "hmt_foreign": 1, "no_document": 1},
        3,
    )
