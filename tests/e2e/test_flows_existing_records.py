"""The nation's existing records (issue 12 §1, §2), in production topology: a bulk-loaded history of
江苏 students (BulkLoadRecords to national-query, which feeds the national dedup's holdings in the same
load), then 浙江 schools register the same children. An HK permit held by a loaded 江苏 record fails
national dedup naming the holder's province and school, masked; a resident ID enrolled in 江苏 sends a
non-freshman back to transfer; a number held by a record of another 浙江 school is refused at entry
naming that record. The lookup still shows the loaded records, once each."""

from __future__ import annotations

import csv
import io

import grpc
import pytest
from tests.e2e.actors import HMT, NON_PRIMARY, RESIDENT, Province, S, identity_form, wait_for
from tests.e2e.topologies import both_modes

from xueji.v1 import events_pb2, national_query_pb2_grpc
from xueji.v1 import national_query_pb2 as nq
from xueji_common.auth import Role
from xueji_common.documents import mask_document_number
from xueji_national_query.domain.load_rows import COLUMNS

pytestmark = pytest.mark.slow
zj, js = both_modes()  # each case in production topology and in embedded mode
JS_SCHOOL, JS_PLACE = "1320102001", "江苏省南京市玄武区梅园小学"
GATE_DONE = (S.APPLICATION_STATE_AWAITING_SCHOOL_REVIEW, S.APPLICATION_STATE_DEDUP_FAILED)


def history_csv(rows: list[list[str]]) -> bytes:
    out = io.StringIO()
    csv.writer(out).writerows([[c.header for c in COLUMNS], *rows])
    return out.getvalue().encode()


def enrolled(nsn: str, name: str, doc_type: str, number: str, birth: str) -> list[str]:
    return [
        nsn,
        name,
        "1",
        birth,
        doc_type,
        number,
        "320000",
        JS_SCHOOL,
        "梅园小学",
        "小学",
        "在读",
        "否",
        "2025-09-01 08:00:00",
    ]


@pytest.fixture(scope="module")
def history(zj, people):
    """A 江苏 history loaded over gRPC as the ministry's system would: an HK permit holder, a resident, and
    a child with a preschool record in 浙江 who is already enrolled in a 江苏 primary school."""
    person, hk, child = people.older(), people.hk_number(), people.freshman()
    rows = [
        enrolled(f"L320102201205{people.serial():06d}", "林港生", "6", hk, "2012-05-06"),
        enrolled(
            "G" + person.resident_id, person.name, "1", person.resident_id, person.birth_date.isoformat()
        ),
        # under an L number: its preschool record (the G number) stays for 浙江's preschool transfer
        enrolled(
            f"L320102{child.birth_date:%Y%m%d}{people.serial() % 10000:04d}",
            child.name,
            "1",
            child.resident_id,
            child.birth_date.isoformat(),
        ),
    ]
    stub = national_query_pb2_grpc.NationalQueryStub(zj.channel("national-query"))
    report = stub.BulkLoadRecords(
        iter(
            [
                nq.BulkLoadRecordsRequest(
                    header=nq.BulkLoadHeader(file_name="history.csv", format=nq.BULK_LOAD_FORMAT_CSV)
                ),
                nq.BulkLoadRecordsRequest(chunk=history_csv(rows)),
            ]
        ),
        metadata=zj.md(Role.SYSTEM, "000000"),
        timeout=60,
    )
    assert (report.rows_inserted, report.rows_failed) == (3, 0)
    return hk, person, child


def refused(province, kind: int, category: int, identity: dict):
    app = province.create(kind, category, identity)
    return province.wait_state(app.application_id, *GATE_DONE)


@pytest.mark.flow
def test_an_hk_permit_enrolled_in_another_province_fails_national_dedup_naming_the_holder(zj, history):
    hk, _, _ = history
    done = refused(zj, NON_PRIMARY, HMT, identity_form(HMT, number=hk, name="林港生"))
    assert done.state == S.APPLICATION_STATE_DEDUP_FAILED
    assert done.dedup_failure_reason == f"该身份证件号已被{JS_PLACE}的学籍使用（{mask_document_number(hk)}）"


@pytest.mark.flow
def test_a_resident_enrolled_in_another_province_is_returned_to_transfer_not_register(zj, history):
    _, person, _ = history
    done = refused(zj, NON_PRIMARY, RESIDENT, identity_form(RESIDENT, person))
    assert done.state == S.APPLICATION_STATE_DEDUP_FAILED
    assert done.dedup_failure_reason == (
        f"该身份证件号已被{JS_PLACE}的学籍使用"
        f"（{mask_document_number(person.resident_id)}）：该学生已有学籍，应办理转学，不能重复注册"
    )
    lookup = national_query_pb2_grpc.NationalQueryStub(zj.channel("national-query"))
    found = lookup.LookupStudent(
        nq.LookupStudentRequest(name=person.name, document_number=person.resident_id),
        metadata=zj.md(Role.SYSTEM, "000000"),
        timeout=15,
    )
    # the loaded record, once: not replaced by a 浙江 record, none doubled
    assert [(r.province_code, r.national_student_number) for r in found.results] == [
        ("320000", "G" + person.resident_id)
    ]


@pytest.mark.flow
def test_a_number_held_by_a_record_of_another_school_is_refused_at_entry_naming_the_record(zj, people):
    number = people.hk_number()
    app = zj.create(NON_PRIMARY, HMT, identity_form(HMT, number=number, name="周港"))
    zj.approve_all_levels(app.application_id, HMT)
    zj.approved(app.application_id)
    other = Province(zj.cluster, "zj", "1330105001")  # 杭州市拱墅区大关小学
    try:
        with pytest.raises(grpc.RpcError) as err:
            other.create(NON_PRIMARY, HMT, identity_form(HMT, number=number, name="周港"))
    finally:
        other.close()
    assert err.value.code() == grpc.StatusCode.ALREADY_EXISTS
    assert (
        err.value.details()
        == f"该身份证件号已被浙江省杭州市上城区胜利小学的学籍使用（{mask_document_number(number)}）"
    )


@pytest.mark.flow
def test_a_freshman_enrolled_in_another_province_gets_an_l_number_and_both_records_are_flagged(zj, history):
    _, _, child = history
    identity = identity_form(RESIDENT, child)
    app = zj.supplementary(zj.transfer(identity), identity)
    zj.approve_all_levels(app.application_id, RESIDENT)  # reviewed while authentication runs
    _, record = zj.approved(app.application_id)
    assert record.national_student_number.startswith("L")  # authentication failed: held in 江苏

    lookup = national_query_pb2_grpc.NationalQueryStub(zj.channel("national-query"))

    seen = []

    def both_flagged():
        found = lookup.LookupStudent(
            nq.LookupStudentRequest(name=child.name, document_number=child.resident_id),
            metadata=zj.md(Role.SYSTEM, "000000"),
            timeout=15,
        ).results
        enrolled_now = [r for r in found if r.enrolment_status == events_pb2.ENROLMENT_STATUS_ENROLLED]
        shown = sorted(
            (r.province_code, r.national_student_number[0], r.problem_record) for r in enrolled_now
        )
        seen.append((shown, [(r.name, r.national_student_number, r.document.number) for r in found]))
        return shown == [("320000", "L", True), ("330000", "L", True)] and shown

    # two enrolled records of one document (its preschool record aside), never without the problem flag,
    # neither lost
    try:
        wait_for(both_flagged, "both records in the lookup, flagged as problem records")
    except AssertionError as exc:
        raise AssertionError(f"{exc}; last seen {seen[-1:]}") from None
