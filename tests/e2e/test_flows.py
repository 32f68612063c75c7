"""Registration flows of chapter 3 across the whole system of one province and the national tier:
every service its own server and worker process on its own PostgreSQL database, RabbitMQ between
them. Driven only through the public gRPC API; each flow ends asserted on its application, its
review case, its student record and number."""

from __future__ import annotations

import grpc
import pytest
from tests.e2e.actors import (
    HMT,
    NO_DOC,
    NON_PRIMARY,
    PRIMARY,
    RESIDENT,
    C,
    Province,
    S,
    identity_form,
    wait_for,
)

from xueji.v1 import common_pb2, registration_pb2, review_pb2
from xueji_common.auth import Role

pytestmark = pytest.mark.slow
FORMAL, TEMPORARY = common_pb2.STUDENT_NUMBER_KIND_FORMAL, common_pb2.STUDENT_NUMBER_KIND_TEMPORARY


def enter(zj, people, kind: int, category: int):
    """An application of kind × category entered through its channel; returns (application, identity)."""
    if kind == PRIMARY and category == RESIDENT:  # preschool transfer → 补录
        identity = identity_form(RESIDENT, people.freshman())
        transfer = zj.transfer(identity)
        assert transfer.match_status == registration_pb2.PRESCHOOL_MATCH_STATUS_MATCHED, transfer
        return zj.supplementary(transfer, identity), identity
    if kind == PRIMARY and category == HMT:  # preschool transfer → Excel import
        identity = identity_form(HMT, number=people.hk_number(), name=f"陈{people.serial()}文")
        transfer = zj.transfer(identity)
        assert transfer.match_status == registration_pb2.PRESCHOOL_MATCH_STATUS_NOT_FOUND, transfer
        report = zj.import_rows(PRIMARY, HMT, [{**zj_form(HMT, grade="11"), **identity}])
        assert (report.rows_passed, report.rows_failed) == (1, 0), report.errors
        return zj.application(report.created_ids[0]), identity
    if category == RESIDENT:
        identity = identity_form(RESIDENT, people.older())
    elif category == HMT:
        identity = identity_form(HMT, number=people.hk_number(), name=f"李{people.serial()}明")
    else:
        identity = identity_form(NO_DOC, name=f"赵{people.serial()}")
    grade = {"grade": "11"} if kind == PRIMARY else {}
    return zj.create(kind, category, identity, **grade), identity


def zj_form(category, **changes):
    from tests.e2e.actors import CATEGORY_KEY

    from xueji_registration.testing import sample_form

    return sample_form(CATEGORY_KEY[category] if category == HMT else "resident", **changes)


def initial_state(kind, category):
    freshman_parallel = kind == PRIMARY and category == RESIDENT
    return (
        S.APPLICATION_STATE_AWAITING_SCHOOL_REVIEW
        if freshman_parallel or category == NO_DOC
        else S.APPLICATION_STATE_AWAITING_DEDUP
    )


COMBINATIONS = [(k, c) for k in (PRIMARY, NON_PRIMARY) for c in (RESIDENT, HMT, NO_DOC)]


@pytest.mark.flow
@pytest.mark.parametrize(
    "kind,category",
    COMBINATIONS,
    ids=[
        f"{'primary' if k == PRIMARY else 'non_primary'}-{common_pb2.DocumentCategory.Name(c)[18:].lower()}"
        for k, c in COMBINATIONS
    ],
)
def test_each_kind_and_category_reaches_a_numbered_record(zj, people, kind, category):
    app, identity = enter(zj, people, kind, category)
    assert app.state == initial_state(kind, category), S.ApplicationState.Name(app.state)
    zj.approve_all_levels(app.application_id, category)
    app, record = zj.approved(app.application_id)

    case = zj.case(app.application_id, Role.SYSTEM, "000000")
    assert case.state == C.REVIEW_CASE_STATE_APPROVED
    assert record.application_id == app.application_id and record.school_code == zj.school
    assert record.national_student_number == app.national_student_number and not record.problem_record
    if category == RESIDENT:
        assert app.authentication_status == common_pb2.AUTHENTICATION_STATUS_PASSED
        assert (
            record.number_kind == FORMAL
            and record.national_student_number == "G" + identity["document"]["number"]
        )
    else:
        assert record.number_kind == TEMPORARY
        assert record.national_student_number.startswith("L" + zj.county), record.national_student_number
        assert len(record.national_student_number) == 19
    levels = [e.level for e in zj.history(app.application_id) if e.type == C.CASE_EVENT_TYPE_APPROVED]
    assert len(levels) == 1 + len(zj.levels(category))


@pytest.mark.flow
@pytest.mark.parametrize("level", ["school", "county", "city", "province"])
def test_rejection_at_each_level_returns_the_application_and_resubmission_completes(zj, people, level):
    app, _ = enter(zj, people, NON_PRIMARY, NO_DOC)  # no document: reviewed by all four levels
    chain = ["school", "county", "city", "province"]
    for step in chain[: chain.index(level)]:
        zj.decide(app.application_id, step)
        if step == "school":
            zj.report(app.application_id)
    zj.decide(app.application_id, level, approve=False, opinion=f"{level}退回：照片不清晰")
    returned = zj.wait_state(app.application_id, S.APPLICATION_STATE_RETURNED)
    assert returned.last_rejection.opinion == f"{level}退回：照片不清晰"
    expected_unit = {"school": zj.school, "county": zj.county, "city": zj.city, "province": zj.province}[
        level
    ]
    assert returned.last_rejection.org_unit_code == expected_unit

    again = zj.resubmit(app.application_id, class_name="2班")
    assert again.revision == 2
    zj.approve_all_levels(app.application_id, NO_DOC, revision=2)
    final, record = zj.approved(app.application_id)
    assert final.revision == 2 and record.student.class_name == "2班"
    assert zj.count_records(app.application_id) == 1


@pytest.mark.flow
def test_hmt_document_already_registered_is_refused(zj, people):
    """Within the province registration itself refuses the number (its own index); across provinces
    dedup refuses it (test_flows_two_provinces)."""
    number = people.hk_number()
    first = zj.create(NON_PRIMARY, HMT, identity_form(HMT, number=number, name="周一港"))
    zj.approve_all_levels(first.application_id, HMT)
    zj.approved(first.application_id)

    other = Province(zj.cluster, "zj", "1330105001")  # another school of the province
    with pytest.raises(grpc.RpcError) as err:
        other.create(NON_PRIMARY, HMT, identity_form(HMT, number=number, name="周一港"))
    other.close()
    assert err.value.code() == grpc.StatusCode.ALREADY_EXISTS
    assert number not in err.value.details()
    assert zj.count_records(first.application_id) == 1


@pytest.mark.flow
def test_failed_authentication_gives_a_problem_record_corrected_then_g_replaces_l(zj, people):
    person = people.freshman()
    wrong = identity_form(RESIDENT, person, name=person.name + "某")  # the register knows another name
    transfer = zj.transfer(wrong)
    assert transfer.match_status == registration_pb2.PRESCHOOL_MATCH_STATUS_MATCHED  # matched by number
    app = zj.supplementary(transfer, wrong)
    zj.approve_all_levels(app.application_id, RESIDENT)
    app, record = zj.approved(app.application_id)
    assert app.authentication_status == common_pb2.AUTHENTICATION_STATUS_FAILED
    assert record.number_kind == TEMPORARY
    record = wait_for(
        lambda: (r := zj.record(record.record_id)).problem_record and r.problem_group_id and r,
        "the problem record",
    )

    group = zj.problem_group(record.problem_group_id)
    zj.correct_problem(group, record.record_id, name=person.name)
    fixed = wait_for(
        lambda: (r := zj.record(record.record_id)).number_kind == FORMAL and r,
        "the G number replacing the L number",
    )
    assert fixed.national_student_number == "G" + person.resident_id and not fixed.problem_record
    assert fixed.student.name == person.name
    # Not asserted: the application's authentication_status after the correction (it stays
    # NOT_AUTHENTICATED while the record is authenticated; reported to registration's owner).


@pytest.mark.flow
def test_non_freshman_resident_unknown_to_the_register_fails_the_gate_then_passes_corrected(zj, people):
    person = people.older()
    app = zj.create(NON_PRIMARY, RESIDENT, identity_form(RESIDENT, person, name=person.name + "某"))
    failed = zj.wait_state(app.application_id, S.APPLICATION_STATE_DEDUP_FAILED)
    assert failed.dedup_failure_reason and person.resident_id not in failed.dedup_failure_reason
    with pytest.raises(grpc.RpcError) as err:  # not reviewable: the case is closed
        zj.reviews.ApproveCase(
            review_pb2.ApproveCaseRequest(case_id=app.application_id),
            metadata=zj.md(Role.SCHOOL_LEADER),
            timeout=10,
        )
    assert err.value.code() == grpc.StatusCode.FAILED_PRECONDITION
    zj.resubmit(app.application_id, name=person.name)
    zj.wait_state(app.application_id, S.APPLICATION_STATE_AWAITING_SCHOOL_REVIEW)
    zj.approve_all_levels(app.application_id, RESIDENT, revision=2)
    _, record = zj.approved(app.application_id)
    assert record.national_student_number == "G" + person.resident_id
