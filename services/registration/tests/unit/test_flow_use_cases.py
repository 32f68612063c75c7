"""The flow after submission as use cases on the in-memory unit of work (docs/FLOWS.md steps 3-7):
dedup gates, review steps, returns, correction, resubmission and withdrawal by the registrar, the
record and its national student number on the last approval, problem records.
(Events over the bus and gRPC answers: tests/integration/test_lifecycle_flow.py and
test_records_numbers.py.)"""

from __future__ import annotations

import datetime as dt

import pytest
from registration_fakes import (
    HASH_KEY,
    OTHER_SCHOOL,
    SCHOOL,
    TREE,
    FakeRegistrationUoW,
    approved,
    dedup_completed,
    entry,
    get,
    progressed,
    registrar,
    through_review,
    upload,
)

from xueji_common.auth import Principal, Role
from xueji_common.documents import DocumentType, mask_document_number
from xueji_common.errors import (
    AlreadyExists,
    ConcurrentModification,
    InvalidArgument,
    PermissionDenied,
    PreconditionFailed,
)
from xueji_common.hashing import document_hash
from xueji_common.testing.numbers import opened
from xueji_common.vocabulary import RegistrationKind
from xueji_registration.domain.model import Application, ApplicationState, AuthenticationStatus, Stamp
from xueji_registration.domain.records import NumberKind
from xueji_registration.service_layer import flow, lifecycle
from xueji_registration.service_layer.handlers import (
    CreateApplication,
    EntryChannel,
    create_application,
    submit_applications,
)
from xueji_registration.testing import resident_id, sample_form

NUMBER = resident_id()
WRONG = resident_id(seq="999")


@pytest.fixture
def uow() -> FakeRegistrationUoW:
    return FakeRegistrationUoW()


def create(uow: FakeRegistrationUoW, category: str = "resident", **kw) -> Application:
    if category == "no_document":
        kw.setdefault("proofs", (upload(uow),))
    return create_application(uow, entry(category, **kw), principal=registrar(), tree=TREE, hash_key=HASH_KEY)


def freshman_resident(uow: FakeRegistrationUoW, number: str = NUMBER) -> Application:
    """A freshman resident as import or 补录 submit it (manual entry refuses them)."""
    cmd = CreateApplication(
        school_code=SCHOOL,
        kind=RegistrationKind.PRIMARY_FRESHMAN,
        category=entry().category,
        name="张三",
        gender=None,
        birth_date=None,
        document_type=DocumentType.RESIDENT_ID,
        document_number=number,
        form=sample_form(grade="11"),
    )
    [app] = submit_applications(
        uow, [cmd], principal=registrar(), tree=TREE, hash_key=HASH_KEY, channel=EntryChannel.SUPPLEMENTARY
    )
    assert isinstance(app, Application)
    return app


def returned(uow, app, opinion="照片不清晰"):
    stamp = Stamp(
        "330102", "county-1", Role.DEPARTMENT_REGISTRAR.value, dt.datetime(2026, 9, 2, tzinfo=dt.UTC), opinion
    )
    with uow:
        flow.registration_returned(
            uow, application_id=app.application_id, revision=app.revision, rejection=stamp
        )


def record_events(uow):
    return [e for e in uow.events() if type(e).__name__ in ("StudentRecordCreated", "StudentRecordChanged")]


def update(uow, app, principal=None, expected_version=None, proofs=None, **changes):
    return lifecycle.update_application(
        uow,
        app.application_id,
        form_changes=changes,
        proof_material_ids=proofs,
        expected_version=expected_version or app.version,
        principal=principal or registrar(),
        tree=TREE,
        hash_key=HASH_KEY,
    )


def resubmit(uow, app, principal=None):
    return lifecycle.resubmit_application(
        uow,
        app.application_id,
        expected_version=app.version,
        principal=principal or registrar(),
        tree=TREE,
        hash_key=HASH_KEY,
    )


def withdraw(uow, app, principal=None):
    return lifecycle.withdraw_application(
        uow,
        app.application_id,
        reason=" 重复录入 ",
        expected_version=app.version,
        principal=principal or registrar(),
        tree=TREE,
    )


def test_a_passed_gate_opens_school_review_and_review_steps_move_the_handling_unit(uow):
    app = create(uow)
    dedup_completed(uow, app)
    app = get(uow, app)
    assert (app.state, app.authentication) == (
        ApplicationState.AWAITING_SCHOOL_REVIEW,
        AuthenticationStatus.PASSED,
    )
    progressed(uow, app, ApplicationState.AWAITING_REPORT, SCHOOL)
    progressed(uow, app, ApplicationState.AWAITING_COUNTY_REVIEW, "330102")
    app = get(uow, app)
    assert (app.state, app.handling_unit_code) == (ApplicationState.AWAITING_COUNTY_REVIEW, "330102")


def test_a_failed_gate_keeps_the_reason_and_the_registrar_corrects_and_resubmits(uow):
    app = create(uow, "hmt_foreign")
    dedup_completed(uow, app, passed=False, reason="该证件号已被江苏省某校的学籍使用（H1******78）")
    app = get(uow, app)
    assert app.state is ApplicationState.DEDUP_FAILED and app.dedup_failure_reason.startswith("该证件号已被")
    document = {"type": "DOCUMENT_TYPE_HK_PERMIT", "number": "H87654321"}
    app = update(uow, app, document=document)
    assert app.identity.document.number == "H87654321" and app.revision == 1
    app = resubmit(uow, app)
    assert (app.state, app.revision) == (ApplicationState.AWAITING_DEDUP, 2)
    assert app.authentication is AuthenticationStatus.NOT_AUTHENTICATED
    submitted = uow.events("ApplicationSubmitted")
    assert [e.application.revision for e in submitted] == [1, 2]
    assert submitted[1].application.document_number_masked == mask_document_number("H87654321")
    assert submitted[1].application.document_hash == document_hash(HASH_KEY, "6", "H87654321")
    dedup_completed(uow, app, passed=False, revision=1)  # the old revision's result is stale
    assert get(uow, app).state is ApplicationState.AWAITING_DEDUP


def test_a_rejection_returns_the_application_with_unit_user_time_and_opinion(uow):
    app = create(uow, "no_document")
    progressed(uow, app, ApplicationState.AWAITING_REPORT, SCHOOL)
    progressed(uow, app, ApplicationState.AWAITING_COUNTY_REVIEW, "330102")
    returned(uow, app, opinion="证明材料不清晰")
    app = get(uow, app)
    assert app.state is ApplicationState.RETURNED and app.handling_unit_code == SCHOOL
    r = app.last_rejection
    assert r is not None and (r.unit_code, r.user_id, r.opinion) == ("330102", "county-1", "证明材料不清晰")
    app = update(uow, app, proofs=(upload(uow),))
    app = resubmit(uow, app)
    assert (app.state, app.revision, app.last_rejection) == (ApplicationState.AWAITING_SCHOOL_REVIEW, 2, None)


def test_a_correction_is_validated_like_an_entry(uow):
    app = create(uow)
    dedup_completed(uow, app, passed=False)
    app = get(uow, app)
    with pytest.raises(InvalidArgument) as err:
        update(uow, app, postalCode="1", grade=None)
    assert {v.field for v in err.value.violations} == {"student.postal_code", "student.grade"}
    with pytest.raises(InvalidArgument) as err:
        update(uow, app)
    assert {v.field for v in err.value.violations} == {"update_mask"}


def test_a_correction_cannot_take_a_document_another_application_holds(uow):
    other = resident_id(seq="135")
    create(uow, number=other)
    app = create(uow)
    dedup_completed(uow, app, passed=False)
    with pytest.raises(AlreadyExists):
        update(uow, get(uow, app), document={"type": "DOCUMENT_TYPE_RESIDENT_ID", "number": other})
    assert get(uow, app).identity.document.number == NUMBER


def test_a_stale_version_is_refused_and_nothing_changes(uow):
    app = create(uow)
    dedup_completed(uow, app, passed=False)  # moves the version on
    with pytest.raises(ConcurrentModification):
        update(uow, app, phone="0571-88888888")
    assert get(uow, app).form["phone"] == "0571-87000000"


@pytest.mark.parametrize("state", [None, ApplicationState.AWAITING_COUNTY_REVIEW])
def test_only_returned_or_failed_applications_are_corrected_or_resubmitted(uow, state):
    app = create(uow, "no_document")
    if state:
        progressed(uow, app, state, "330102")
    app = get(uow, app)
    for call in (lambda: resubmit(uow, app), lambda: update(uow, app, phone="123456789")):
        with pytest.raises(PreconditionFailed) as err:
            call()
        assert [v.type for v in err.value.violations] == ["NOT_RETURNED"]


def test_withdrawal_before_the_report_announces_it_and_frees_the_document(uow):
    app = withdraw(uow, create(uow))
    assert app.state is ApplicationState.WITHDRAWN
    [withdrawn] = uow.events("ApplicationWithdrawn")
    assert withdrawn.application_id == app.application_id
    assert (withdrawn.withdrawn_by.opinion, withdrawn.withdrawn_by.org_unit_code) == ("重复录入", SCHOOL)
    create(uow)  # the document is free again
    dedup_completed(uow, app, passed=True)  # a late result for a withdrawn application changes nothing
    assert get(uow, app).state is ApplicationState.WITHDRAWN


def test_withdrawal_is_refused_once_reported(uow):
    app = create(uow, "no_document")
    progressed(uow, app, ApplicationState.AWAITING_COUNTY_REVIEW, "330102")
    with pytest.raises(PreconditionFailed) as err:
        withdraw(uow, get(uow, app))
    assert [v.type for v in err.value.violations] == ["ALREADY_REPORTED"]


@pytest.mark.parametrize(
    "role, org",
    [
        (Role.SCHOOL_REGISTRAR, OTHER_SCHOOL),
        (Role.SCHOOL_LEADER, SCHOOL),
        (Role.DEPARTMENT_REGISTRAR, "330102"),
    ],
)
def test_only_the_schools_registrar_corrects_resubmits_or_withdraws(uow, role, org):
    app = create(uow)
    dedup_completed(uow, app, passed=False)
    app = get(uow, app)
    someone = Principal(user_id="someone", role=role, org_unit=org)
    for call in (update, resubmit, withdraw):
        kw = {"phone": "0571-88888888"} if call is update else {}
        with pytest.raises(PermissionDenied):
            call(uow, app, someone, **kw)
    assert get(uow, app).version == app.version


# -- the record and its national student number ----------------------------------------------


def test_an_authenticated_resident_gets_a_formal_number_and_a_record(uow):
    app = create(uow)
    dedup_completed(uow, app)
    through_review(uow, get(uow, app))
    app = get(uow, app)
    record = uow.records.get(app.record_id)
    assert app.state is ApplicationState.APPROVED and record is not None
    assert (record.national_student_number, record.number_kind) == ("G" + NUMBER, NumberKind.FORMAL)
    assert (record.application_id, record.school_code, record.province_code) == (
        app.application_id,
        SCHOOL,
        "330000",
    )
    assert uow.records.regions[record.record_id] == ("330102", "330100")
    [created] = record_events(uow)
    assert type(created).__name__ == "StudentRecordCreated" and opened(created.record) == "G" + NUMBER
    assert "G" + NUMBER not in created.SerializeToString().decode("utf-8", "replace")  # sealed on the bus
    assert list(uow.numbers.owners) == [(record.record_id, NumberKind.FORMAL)]


def test_hmt_foreign_students_get_a_temporary_number(uow):
    app = create(uow, "hmt_foreign")
    dedup_completed(uow, app)
    through_review(uow, get(uow, app))
    number = uow.records.numbers_of([get(uow, app).record_id])
    assert [n[:15] for n in number.values()] == ["L33010220120506"]


def test_no_document_students_get_a_temporary_number_after_the_province(uow):
    app = create(uow, "no_document")
    through_review(uow, app, up_to_province=True)
    record = uow.records.for_application(app.application_id)
    assert record is not None and record.national_student_number.startswith("L33010220130708")


def test_a_freshman_resident_approved_before_authentication_waits_for_the_result(uow):
    app = freshman_resident(uow)
    assert app.state is ApplicationState.AWAITING_SCHOOL_REVIEW
    assert app.entry_channel is EntryChannel.SUPPLEMENTARY
    through_review(uow, app)
    app = get(uow, app)
    assert app.state is ApplicationState.APPROVED and not app.record_id and not record_events(uow)
    dedup_completed(uow, app, passed=True)
    record = uow.records.for_application(app.application_id)
    assert record is not None and record.national_student_number == "G" + NUMBER


def test_a_freshman_resident_whose_authentication_failed_gets_a_temporary_number_and_a_problem_record(uow):
    app = freshman_resident(uow)
    dedup_completed(uow, app, passed=False, reason="该身份证件号在人口库中不存在")
    through_review(uow, get(uow, app))
    record = uow.records.for_application(app.application_id)
    assert record is not None and record.temporary and record.problem_record


def test_a_formal_number_held_by_another_record_falls_back_to_a_temporary_one(uow):
    uow.numbers.taken["G" + NUMBER] = "someone-else"
    app = create(uow)
    dedup_completed(uow, app)
    through_review(uow, get(uow, app))
    record = uow.records.for_application(app.application_id)
    assert (
        record is not None and record.national_student_number.startswith("L330102") and record.problem_record
    )


def test_while_the_national_tier_is_down_the_approval_fails_and_nothing_is_half_written(uow):
    app = create(uow)
    dedup_completed(uow, app)
    app = get(uow, app)
    progressed(uow, app, ApplicationState.AWAITING_COUNTY_REVIEW, "330102")
    uow.numbers.down = True
    with pytest.raises(ConnectionError):
        approved(uow, app)
    assert get(uow, app).state is ApplicationState.AWAITING_COUNTY_REVIEW and not uow.records.rows
    uow.numbers.down = False
    approved(uow, app)  # the redelivery
    record = uow.records.for_application(app.application_id)
    assert record is not None and record.national_student_number == "G" + NUMBER


def test_a_repeated_approval_creates_no_second_record(uow):
    app = create(uow)
    dedup_completed(uow, app)
    through_review(uow, get(uow, app))
    approved(uow, get(uow, app))
    assert len(record_events(uow)) == 1 and len(uow.numbers.owners) == 1


@pytest.mark.parametrize("number_before", [WRONG, NUMBER], ids=["number_corrected", "name_corrected"])
@pytest.mark.parametrize("dedup_first", [False, True], ids=["resolved_first", "dedup_result_first"])
def test_a_corrected_problem_record_gets_the_g_number_of_the_corrected_identity_in_either_order(
    uow, number_before, dedup_first
):
    app = freshman_resident(uow, number=number_before)
    dedup_completed(uow, app, passed=False, reason="姓名与人口库不一致")
    through_review(uow, get(uow, app))
    app = get(uow, app)
    with uow:
        flow.problem_raised(uow, group_id="g1", record_ids=[app.record_id], application_ids=[])
    corrected = dict(
        name="张四", gender=0, birth_date=None, document_type=DocumentType.RESIDENT_ID, document_number=NUMBER
    )
    if dedup_first:
        dedup_completed(uow, app, passed=True)
        assert uow.records.numbers_of([app.record_id])[app.record_id].startswith(
            "L"
        )  # not G + the old number
    with uow:
        flow.problem_resolved(uow, resolution="correct", record_ids=[app.record_id], corrected=corrected)
    if not dedup_first:
        dedup_completed(uow, app, passed=True)
    app = get(uow, app)
    record = uow.records.get(app.record_id)
    assert record is not None and (record.national_student_number, record.version) == ("G" + NUMBER, 4)
    assert not record.problem_record and not app.dedup_failure_reason
    assert app.authentication is AuthenticationStatus.PASSED
    assert (app.identity.name, app.identity.document.number) == ("张四", NUMBER)
    events = record_events(uow)
    assert [e.record.version for e in events] == [1, 2, 3, 4] and events[1].record.problem_record
    assert [o for o, kind in uow.numbers.owners if kind is NumberKind.FORMAL] == [app.record_id]


def test_a_corrected_number_that_is_not_valid_changes_nothing(uow):
    app = freshman_resident(uow, number=WRONG)
    dedup_completed(uow, app, passed=False)
    through_review(uow, get(uow, app))
    app = get(uow, app)
    before = len(record_events(uow))
    bad = dict(name="张四", document_type=DocumentType.RESIDENT_ID, document_number="")
    with uow, pytest.raises(InvalidArgument):
        flow.problem_resolved(uow, resolution="correct", record_ids=[app.record_id], corrected=bad)
    assert len(record_events(uow)) == before and get(uow, app).identity.document.number == WRONG


def test_a_deleted_duplicate_is_cancelled_but_still_there(uow):
    app = create(uow)
    dedup_completed(uow, app)
    through_review(uow, get(uow, app))
    record_id = get(uow, app).record_id
    with uow:
        flow.problem_resolved(uow, resolution="delete", record_ids=[record_id, "elsewhere"], corrected=None)
    record = uow.records.get(record_id)
    assert record is not None and record.cancelled and record.version == 2
    assert record_events(uow)[-1].record.version == 2
