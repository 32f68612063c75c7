"""The application state machine of the six flows (docs/DOMAIN.md#the-six-flows), kind × category."""

import datetime as dt

import pytest

from xueji_common.documents import DocumentCategory, DocumentType, Gender, validate_document
from xueji_common.errors import InvalidArgument, PreconditionFailed
from xueji_common.vocabulary import RegistrationKind
from xueji_registration.domain.identity import check_identity
from xueji_registration.domain.model import (
    Application,
    Stamp,
)
from xueji_registration.domain.model import (
    ApplicationState as S,
)
from xueji_registration.domain.model import (
    AuthenticationStatus as A,
)
from xueji_registration.domain.records import NumberKind, number_has_layout, number_kind_due
from xueji_registration.testing import resident_id

FRESHMAN, OTHER = RegistrationKind.PRIMARY_FRESHMAN, RegistrationKind.NON_PRIMARY_FRESHMAN
RESIDENT, HMT, NODOC = DocumentCategory.RESIDENT, DocumentCategory.HMT_FOREIGN, DocumentCategory.NO_DOCUMENT
NOW = dt.datetime(2026, 9, 1, tzinfo=dt.UTC)
SCHOOL = "1330102001"
REJECTION = Stamp("330102", "u9", "department_registrar", NOW, "照片不清晰")


def identity(category, number=None):
    if category is RESIDENT:
        return check_identity(
            "张三", None, None, validate_document(DocumentType.RESIDENT_ID, number or resident_id())
        )
    if category is HMT:
        return check_identity(
            "陈大文", Gender.MALE, dt.date(2015, 1, 1), validate_document(DocumentType.HK, "H12345678")
        )
    return check_identity(
        "赵六", Gender.FEMALE, dt.date(2016, 1, 1), validate_document(DocumentType.OTHER, "")
    )


def submit(kind, category) -> Application:
    return Application.submit(
        school_code=SCHOOL,
        kind=kind,
        category=category,
        identity=identity(category),
        form={"grade": "21"},
        document_hash="h",
        created_by="u1",
        now=NOW,
    )


def through_review(app, *, city_and_province=False):
    chain = [S.AWAITING_REPORT, S.AWAITING_COUNTY_REVIEW]
    if city_and_province:
        chain += [S.AWAITING_CITY_REVIEW, S.AWAITING_PROVINCE_REVIEW]
    for state, unit in zip(chain, [SCHOOL, "330102", "330100", "330000"]):
        assert app.review_progressed(app.revision, state, unit, NOW)
        assert (app.state, app.handling_unit_code) == (state, unit)
    assert app.approved(app.revision, NOW)
    assert app.state is S.APPROVED and app.handling_unit_code == ""


# (kind, category, gate passes?, number due at approval)
@pytest.mark.parametrize("kind, category", [(FRESHMAN, RESIDENT), (OTHER, RESIDENT)])
def test_resident_students_get_a_formal_number_after_authentication(kind, category):
    app = submit(kind, category)
    if kind is OTHER:  # non-freshman: authentication gates school review
        assert app.state is S.AWAITING_DEDUP
    assert app.dedup_completed(1, True, "", NOW)
    assert (app.state, app.authentication) == (S.AWAITING_SCHOOL_REVIEW, A.PASSED)
    through_review(app)
    assert number_kind_due(app) is NumberKind.FORMAL


def test_freshman_resident_review_runs_in_parallel_and_the_number_waits_for_authentication():
    app = submit(FRESHMAN, RESIDENT)
    assert app.state is S.AWAITING_SCHOOL_REVIEW and app.authentication is A.NOT_AUTHENTICATED
    through_review(app)
    assert number_kind_due(app) is None  # approved, authentication still running
    assert app.dedup_completed(1, False, "证件号不存在", NOW)
    assert app.state is S.APPROVED  # the result no longer moves the state
    assert number_kind_due(app) is NumberKind.TEMPORARY and app.dedup_failure_reason == "证件号不存在"


@pytest.mark.parametrize("kind", [FRESHMAN, OTHER])
def test_hmt_foreign_students_need_document_dedup_then_get_a_temporary_number(kind):
    app = submit(kind, HMT)
    assert app.state is S.AWAITING_DEDUP
    # review refuses the case until dedup passed; its steps may still arrive first (test below)
    app.dedup_completed(1, True, "", NOW)
    through_review(app)
    assert number_kind_due(app) is NumberKind.TEMPORARY


@pytest.mark.parametrize("kind, category", [(OTHER, RESIDENT), (FRESHMAN, HMT), (OTHER, HMT)])
def test_a_failed_gate_returns_the_application_with_the_reason(kind, category):
    app = submit(kind, category)
    app.dedup_completed(1, False, "该证件号已被其他学籍使用", NOW)
    assert (app.state, app.authentication) == (S.DEDUP_FAILED, A.FAILED)
    assert app.dedup_failure_reason == "该证件号已被其他学籍使用"


@pytest.mark.parametrize("kind", [FRESHMAN, OTHER])
def test_no_document_students_go_up_to_the_province_and_get_a_temporary_number(kind):
    app = submit(kind, NODOC)
    assert (app.state, app.authentication) == (S.AWAITING_SCHOOL_REVIEW, A.NOT_REQUIRED)
    assert not app.dedup_completed(1, True, "", NOW)  # no gate: a stray result changes nothing
    through_review(app, city_and_province=True)
    assert number_kind_due(app) is NumberKind.TEMPORARY


def test_events_of_another_revision_or_out_of_order_change_nothing():
    app = submit(OTHER, NODOC)
    app.review_progressed(1, S.AWAITING_COUNTY_REVIEW, "330102", NOW)
    assert not app.review_progressed(1, S.AWAITING_REPORT, SCHOOL, NOW)  # late step
    assert not app.review_progressed(2, S.AWAITING_CITY_REVIEW, "330100", NOW)  # future revision
    assert not app.approved(0, NOW)
    assert app.state is S.AWAITING_COUNTY_REVIEW


def test_rejection_returns_to_the_registrar_who_corrects_and_resubmits():
    app = submit(OTHER, RESIDENT)
    app.dedup_completed(1, True, "", NOW)
    app.review_progressed(1, S.AWAITING_COUNTY_REVIEW, "330102", NOW)
    assert app.returned(1, REJECTION, NOW)
    assert (app.state, app.last_rejection, app.handling_unit_code) == (S.RETURNED, REJECTION, SCHOOL)
    new_identity = identity(RESIDENT, resident_id(seq="125"))
    app.correct(
        identity=new_identity, document_hash="h2", form={"grade": "22"}, proof_material_ids=(), now=NOW
    )
    app.resubmit(NOW)
    assert (app.revision, app.state, app.authentication) == (2, S.AWAITING_DEDUP, A.NOT_AUTHENTICATED)
    assert app.last_rejection is None
    assert not app.dedup_completed(1, True, "", NOW)  # the old revision's result is stale


@pytest.mark.parametrize(
    "state", [S.AWAITING_SCHOOL_REVIEW, S.AWAITING_COUNTY_REVIEW, S.APPROVED, S.WITHDRAWN]
)
def test_only_returned_or_dedup_failed_applications_are_corrected_or_resubmitted(state):
    app = submit(OTHER, NODOC)
    app.state = state
    with pytest.raises(PreconditionFailed):
        app.resubmit(NOW)
    with pytest.raises(PreconditionFailed):
        app.correct(identity=app.identity, document_hash="h", form={}, proof_material_ids=(), now=NOW)


def test_key_data_is_locked_once_a_record_exists():
    app = submit(OTHER, RESIDENT)
    app.state, app.record_id = S.RETURNED, "r1"
    with pytest.raises(PreconditionFailed, match="关键信息"):
        app.correct(
            identity=identity(RESIDENT, resident_id(seq="125")),
            document_hash="h2",
            form={},
            proof_material_ids=(),
            now=NOW,
        )
    app.correct(
        identity=app.identity, document_hash="h", form={"grade": "23"}, proof_material_ids=(), now=NOW
    )


def test_a_correction_cannot_change_the_category():
    app = submit(OTHER, RESIDENT)
    app.state = S.RETURNED
    with pytest.raises(InvalidArgument):
        app.correct(identity=identity(HMT), document_hash="h2", form={}, proof_material_ids=(), now=NOW)


@pytest.mark.parametrize(
    "state, ok",
    [
        (S.AWAITING_DEDUP, True),
        (S.DEDUP_FAILED, True),
        (S.AWAITING_SCHOOL_REVIEW, True),
        (S.AWAITING_REPORT, True),
        (S.RETURNED, True),
        (S.AWAITING_COUNTY_REVIEW, False),
        (S.AWAITING_PROVINCE_REVIEW, False),
        (S.APPROVED, False),
        (S.WITHDRAWN, False),
    ],
)
def test_withdrawal_is_possible_until_reported(state, ok):
    app = submit(OTHER, NODOC)
    app.state = state
    stamp = Stamp(SCHOOL, "u1", "school_registrar", NOW, "重复录入")
    if ok:
        app.withdraw(stamp)
        assert (app.state, app.withdrawal, app.handling_unit_code) == (S.WITHDRAWN, stamp, "")
    else:
        with pytest.raises(PreconditionFailed):
            app.withdraw(stamp)


def test_number_layouts():
    ident = identity(RESIDENT)
    assert number_has_layout(
        "G" + ident.document.number, NumberKind.FORMAL, identity=ident, division_code="330102"
    )
    assert number_has_layout(
        "L330102201506010042", NumberKind.TEMPORARY, identity=ident, division_code="330102"
    )
    assert not number_has_layout(
        "L330102201506020042", NumberKind.TEMPORARY, identity=ident, division_code="330102"
    )
    assert not number_has_layout(
        "L33010220150601004", NumberKind.TEMPORARY, identity=ident, division_code="330102"
    )


@pytest.mark.parametrize("category", [RESIDENT, HMT])
def test_review_steps_overtaking_the_gate_result_are_applied_and_the_number_waits_for_it(category):
    # Review moves a gated case only after the gate passed, but its events may reach registration
    # before DedupCompleted does (separate queues): dropping them left applications stuck for good.
    app = submit(OTHER, category)
    assert app.state is S.AWAITING_DEDUP
    through_review(app)
    assert app.authentication is A.NOT_AUTHENTICATED
    if category is RESIDENT:
        assert number_kind_due(app) is None  # the record waits for the authentication
    assert app.dedup_completed(1, True, "", NOW)
    assert (app.state, app.authentication) == (S.APPROVED, A.PASSED)
    assert number_kind_due(app) is (NumberKind.FORMAL if category is RESIDENT else NumberKind.TEMPORARY)


def test_after_the_record_only_a_problem_records_correction_changes_the_authentication():
    # DedupCompleted of a correction may overtake its ProblemResolved (separate queues) and be about
    # key data the application does not hold yet: it changes nothing once a record exists, and the
    # ProblemResolved (sent only for a correction that passed) brings the result with the key data.
    app = submit(FRESHMAN, RESIDENT)
    assert app.dedup_completed(1, False, "姓名与人口库不一致", NOW)
    through_review(app)
    app.record_id = "r1"
    assert not app.dedup_completed(1, True, "", NOW)
    assert app.authentication is A.FAILED
    corrected = identity(RESIDENT, resident_id(seq="999"))
    app.correction_authenticated(corrected, "h2", NOW)
    assert (app.identity, app.document_hash, app.authentication) == (corrected, "h2", A.PASSED)
    assert app.dedup_failure_reason == "" and number_kind_due(app) is NumberKind.FORMAL


def test_a_corrected_no_document_student_needs_no_authentication():
    app = submit(OTHER, NODOC)
    app.correction_authenticated(identity(NODOC), "h2", NOW)
    assert app.authentication is A.NOT_REQUIRED
