import datetime as dt

from xueji_review.domain.model import CaseState, GateStatus, ReviewCase

NOW = dt.datetime(2026, 9, 1, tzinfo=dt.timezone.utc)


def make(category="resident", **kw):
    values = dict(application_id="a1", revision=1, school_code="1330102001", county_code="330102",
                  kind="non_primary_freshman", category=category, name="张三", gender=1,
                  birth_date=dt.date(2015, 6, 1), document_type="1", document_masked="330***********1234")
    values.update(kw)
    return ReviewCase.open(submitted_at=NOW, **values)


def test_a_new_case_waits_for_the_school_and_for_its_gate():
    case = make()
    assert case.state is CaseState.AWAITING_SCHOOL_REVIEW
    assert case.gate is GateStatus.PENDING
    assert case.handling_unit == "1330102001"


def test_no_document_cases_have_no_gate():
    assert make(category="no_document").gate is GateStatus.NOT_REQUIRED


def test_a_stale_revision_changes_nothing():
    case = make(revision=2)
    assert not case.resubmitted(2, NOW, name="改名")
    assert not case.resubmitted(1, NOW, name="改名")
    assert case.name == "张三" and case.version == 1


def test_a_resubmission_restarts_review_at_the_school():
    case = make()
    case.state = CaseState.RETURNED
    assert case.resubmitted(2, NOW, name="张叁")
    assert (case.state, case.name, case.revision, case.version) == (CaseState.AWAITING_SCHOOL_REVIEW, "张叁", 2, 2)


def test_withdrawal_ends_the_case():
    case = make()
    case.withdraw()
    assert case.state is CaseState.WITHDRAWN and case.handling_unit == "" and case.version == 2
