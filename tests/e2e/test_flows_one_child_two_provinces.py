"""One child, two provinces, in both topologies (issue 12 §7): a student enrolled at a 浙江 school is
then registered at a 江苏 school. 江苏's registration has never seen the number, so it takes the
application; the national dedup finds the 浙江 record and fails it, naming the holder's school with
the number masked (a resident ID: the child should transfer, not register). Production topology
and embedded mode give the same answer: embedded mode keeps each province's registrations apart
(it once refused the 江苏 application at entry, from one shared registration store)."""

from __future__ import annotations

import pytest
from tests.e2e.actors import HMT, NON_PRIMARY, RESIDENT, S, identity_form, sql, wait_for
from tests.e2e.topologies import both_modes

from xueji.v1 import national_query_pb2 as nq
from xueji.v1 import national_query_pb2_grpc
from xueji_common.auth import Role
from xueji_common.documents import mask_document_number

pytestmark = pytest.mark.slow
zj, js = both_modes()
ZJ_PLACE = "浙江省杭州市上城区胜利小学"
GATE_DONE = (S.APPLICATION_STATE_AWAITING_SCHOOL_REVIEW, S.APPLICATION_STATE_DEDUP_FAILED)


@pytest.mark.flow
@pytest.mark.parametrize("category", [RESIDENT, HMT], ids=["resident_id", "hk_permit"])
def test_a_child_enrolled_in_zhejiang_is_refused_by_national_dedup_when_registered_in_jiangsu(
    zj, js, people, category
):
    if category == RESIDENT:
        person = people.older()
        identity, number = identity_form(RESIDENT, person), person.resident_id
    else:
        number = people.hk_number()
        identity = identity_form(HMT, number=number, name=f"林{people.serial()}港")
    first = zj.create(NON_PRIMARY, category, identity)
    zj.approve_all_levels(first.application_id, category)
    _, record = zj.approved(first.application_id)
    wait_for(
        lambda: (
            sql(
                zj.cluster,
                "dedup-national",
                "SELECT state FROM national_reservations WHERE application_id = :a",
                a=first.application_id,
            )
            == [("committed",)]
        ),
        "the 浙江 reservation committed to its record",
    )

    second = js.create(NON_PRIMARY, category, identity)  # taken at entry: 江苏 has no such number
    assert second.state == S.APPLICATION_STATE_AWAITING_DEDUP
    done = js.wait_state(second.application_id, *GATE_DONE)
    transfer = "：该学生已有学籍，应办理转学，不能重复注册" if category == RESIDENT else ""
    assert done.state == S.APPLICATION_STATE_DEDUP_FAILED
    assert (
        done.dedup_failure_reason
        == f"该身份证件号已被{ZJ_PLACE}的学籍使用（{mask_document_number(number)}）{transfer}"
    )

    # Nothing doubled: no 江苏 record, the 浙江 one alone in the national lookup.
    assert js.count_records(second.application_id) == 0
    lookup = national_query_pb2_grpc.NationalQueryStub(js.channel("national-query"))
    found = wait_for(
        lambda: (
            lookup.LookupStudent(
                nq.LookupStudentRequest(name=identity["name"], document_number=number),
                metadata=js.md(Role.SYSTEM, "000000"),
                timeout=15,
            ).results
        ),
        "the 浙江 record in the national lookup",
    )
    # (the national number as the masking policy shows it to this caller)
    assert [(r.province_code, r.national_student_number[-4:]) for r in found] == [
        ("330000", record.national_student_number[-4:])
    ]
