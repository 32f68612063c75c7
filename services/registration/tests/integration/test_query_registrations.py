"""学籍注册查询 (chapter 14) and the records: lists in the caller's jurisdiction with filters and paging,
masked numbers outside the school, the rejection's unit/user/time/opinion, detail views."""

from __future__ import annotations

import grpc
import pytest
from registration_harness import OTHER_SCHOOL, SCHOOL, _system, harness, violations  # noqa: F401 (fixtures)

from xueji.v1 import common_pb2, events_pb2, registration_pb2
from xueji_common.auth import Role
from xueji_common.masking import mask_document_number
from xueji_registration.testing import resident_id

S = registration_pb2
LIST = "ListApplications"


def refusal(fn, *args, **kw) -> grpc.RpcError:
    with pytest.raises(grpc.RpcError) as err:
        fn(*args, **kw)
    return err.value


def names(response) -> list[str]:
    return [a.student.name for a in response.applications]


@pytest.fixture
def three(harness):
    """A resident (authenticated, at the county), an HMT student (failed), a no-document one (returned)."""
    resident = harness.create(number=resident_id(seq="111"), grade="22")
    harness.dedup_completed(resident)
    harness.progressed(harness.get(resident), events_pb2.REVIEW_STAGE_AWAITING_COUNTY_REVIEW, "330102")
    hmt = harness.create("hmt_foreign")
    harness.dedup_completed(hmt, passed=False, reason="证件号重复")
    nodoc = harness.create("no_document", proofs=[harness.upload()])
    harness.returned(nodoc, opinion="材料不全", unit=SCHOOL)
    return resident, hmt, nodoc


def test_the_school_lists_its_applications_newest_first_with_handling_unit_and_authentication(harness, three):
    response = harness.call(LIST, S.ListApplicationsRequest())
    assert names(response) == ["赵六", "陈大文", "张三"] and response.total_size == 3
    by_name = {a.student.name: a for a in response.applications}
    assert by_name["张三"].current_handling_unit.name == "上城区"
    assert by_name["张三"].authentication_status == common_pb2.AUTHENTICATION_STATUS_PASSED
    assert by_name["陈大文"].dedup_failure_reason == "证件号重复"
    rejection = by_name["赵六"].last_rejection
    assert (rejection.org_unit_code, rejection.user_id, rejection.opinion) == (SCHOOL, "county-1", "材料不全")
    assert rejection.time.seconds > 0


@pytest.mark.parametrize(
    "request_fields, expected",
    [
        (dict(states=[S.APPLICATION_STATE_RETURNED, S.APPLICATION_STATE_DEDUP_FAILED]), ["赵六", "陈大文"]),
        (dict(category=common_pb2.DOCUMENT_CATEGORY_HMT_FOREIGN), ["陈大文"]),
        (dict(kind=common_pb2.REGISTRATION_KIND_PRIMARY_FRESHMAN), []),
        (dict(authentication_status=common_pb2.AUTHENTICATION_STATUS_NOT_REQUIRED), ["赵六"]),
        (dict(current_handling_unit_code="330102"), ["张三"]),
        (dict(name="陈"), ["陈大文"]),
        (dict(name="%"), []),
        (dict(document_number=resident_id(seq="111")), ["张三"]),
        (dict(document_number="h12345678"), ["陈大文"]),  # normalised before hashing
        (dict(grade="22"), ["张三"]),
    ],
)
def test_filters(harness, three, request_fields, expected):
    assert names(harness.call(LIST, S.ListApplicationsRequest(**request_fields))) == expected


def test_paging(harness, three):
    first = harness.call(LIST, S.ListApplicationsRequest(page_size=2))
    assert names(first) == ["赵六", "陈大文"] and first.next_page_token and first.total_size == 3
    second = harness.call(LIST, S.ListApplicationsRequest(page_size=2, page_token=first.next_page_token))
    assert names(second) == ["张三"] and not second.next_page_token
    err = refusal(harness.call, LIST, S.ListApplicationsRequest(page_token="garbage"))
    assert err.code() == grpc.StatusCode.INVALID_ARGUMENT
    other_filters = S.ListApplicationsRequest(page_size=2, name="张", page_token=first.next_page_token)
    err = refusal(harness.call, LIST, other_filters)
    assert err.code() == grpc.StatusCode.INVALID_ARGUMENT and violations(err) == {"page_token"}


def test_departments_read_their_area_with_masked_numbers(harness, three):
    for org in ("330102", "330100", "330000", "000000"):
        response = harness.call(
            LIST,
            S.ListApplicationsRequest(view=S.APPLICATION_VIEW_FULL),
            role=Role.DEPARTMENT_REGISTRAR,
            org=org,
        )
        assert response.total_size == 3, org
    resident = next(a for a in response.applications if a.student.name == "张三")
    assert (
        resident.student.document.number
        == resident_id(seq="111")[:3] + "*" * 11 + resident_id(seq="111")[-4:]
    )
    assert "*" in resident.student.family_members[0].document.number
    own = harness.call(LIST, S.ListApplicationsRequest(view=S.APPLICATION_VIEW_FULL))
    assert resident_id(seq="111") in {a.student.document.number for a in own.applications}


def test_another_area_sees_nothing_of_ours(harness, three):
    assert (
        harness.call(
            LIST, S.ListApplicationsRequest(), role=Role.DEPARTMENT_REGISTRAR, org="330105"
        ).total_size
        == 0
    )
    assert harness.call(LIST, S.ListApplicationsRequest(), org=OTHER_SCHOOL).total_size == 0
    for role, org in (
        (Role.DEPARTMENT_REGISTRAR, "330105"),
        (Role.SCHOOL_REGISTRAR, OTHER_SCHOOL),
        (Role.DEPARTMENT_REGISTRAR, "320000"),
    ):
        err = refusal(harness.call, LIST, S.ListApplicationsRequest(org_unit_code=SCHOOL), role=role, org=org)
        assert err.code() == grpc.StatusCode.PERMISSION_DENIED
        err = refusal(harness.get, three[0], role=role, org=org)
        assert err.code() == grpc.StatusCode.PERMISSION_DENIED


def test_basic_view_carries_identity_grade_and_class_only(harness, three):
    basic = harness.call(LIST, S.ListApplicationsRequest(name="张"))
    [app] = basic.applications
    assert app.student.name == "张三" and app.student.grade == "22" and app.student.class_name == "1班"
    assert app.student.postal_code == "" and not app.student.family_members


def test_detail_shows_the_full_form(harness, three):
    app = harness.get(three[0], role=Role.SCHOOL_LEADER)
    assert app.student.postal_code == "310002" and app.student.family_members[0].name == "张大山"
    assert app.student.document.number == resident_id(seq="111")  # the school's own leader sees it
    assert (
        refusal(harness.call, "GetApplication", S.GetApplicationRequest(application_id="nope")).code()
        == grpc.StatusCode.NOT_FOUND
    )


def test_records_are_listed_and_read_within_jurisdiction(harness, three):
    resident = three[0]
    harness.deliver(
        events_pb2.RegistrationApproved(application_id=resident.application_id, revision=1), "review"
    )
    nodoc = harness.create("no_document", proofs=[harness.upload()])
    harness.through_review(nodoc, up_to_province=True)
    records = harness.call(
        "ListStudentRecords", S.ListStudentRecordsRequest(), role=Role.DEPARTMENT_REGISTRAR, org="330100"
    )
    assert records.total_size == 2
    formal = harness.call(
        "ListStudentRecords", S.ListStudentRecordsRequest(number_kind=common_pb2.STUDENT_NUMBER_KIND_FORMAL)
    )
    [record] = formal.records
    assert record.national_student_number == "G" + resident_id(seq="111") and record.school_name
    assert (
        harness.call("ListStudentRecords", S.ListStudentRecordsRequest(problem_record=True)).total_size == 0
    )
    by_number = harness.call(
        "GetStudentRecord",
        S.GetStudentRecordRequest(national_student_number=record.national_student_number),
        role=Role.DEPARTMENT_REGISTRAR,
        org="330102",
    )
    assert by_number.record_id == record.record_id and "*" in by_number.student.document.number
    err = refusal(
        harness.call,
        "GetStudentRecord",
        S.GetStudentRecordRequest(record_id=record.record_id),
        org=OTHER_SCHOOL,
    )
    assert err.code() == grpc.StatusCode.PERMISSION_DENIED
    assert (
        refusal(harness.call, "GetStudentRecord", S.GetStudentRecordRequest()).code()
        == grpc.StatusCode.INVALID_ARGUMENT
    )


def test_a_department_sees_the_national_number_masked_as_the_document_and_the_system_in_full(harness, three):
    resident = three[0]
    harness.deliver(
        events_pb2.RegistrationApproved(application_id=resident.application_id, revision=1), "review"
    )
    number = "G" + resident_id(seq="111")
    [record] = harness.call(
        "ListStudentRecords", S.ListStudentRecordsRequest(number_kind=common_pb2.STUDENT_NUMBER_KIND_FORMAL)
    ).records
    assert record.national_student_number == number  # the school's own registrar
    county = dict(role=Role.DEPARTMENT_REGISTRAR, org="330102")
    seen = harness.call("GetStudentRecord", S.GetStudentRecordRequest(record_id=record.record_id), **county)
    listed = harness.call("ListStudentRecords", S.ListStudentRecordsRequest(), **county).records
    app = harness.get(resident, **county)
    for shown, document in (
        (seen.national_student_number, seen.student.document.number),
        (app.national_student_number, app.student.document.number),
        *((r.national_student_number, r.student.document.number) for r in listed),
    ):
        assert shown == "G" + document == "G" + mask_document_number(resident_id(seq="111")), shown
    system = harness.call(
        "GetStudentRecord",
        S.GetStudentRecordRequest(record_id=record.record_id),
        role=Role.SYSTEM,
        org="000000",
    )
    assert (system.national_student_number, system.student.document.number) == (number, number[1:])
