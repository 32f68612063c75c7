"""One child registered in 浙江 and in 江苏 at about the same time (issue 12 §7), in both topologies
(tests/e2e/topologies.py): two province deployments on their own brokers and the nation, and
`xueji serve --provinces zj,js`.

The group of the two records has one home, the national tier: both provinces' ProblemRecords show
it (forwarded there, never NOT_FOUND), and the record whose authentication failed because the other
application held the number is in that group only (its own failed-authentication group closed as
merged). The ministry resolves it at the national tier; deleting 浙江's record reaches 浙江's
registration through the national tier's deliveries (its record leaves, 已删除), and the national
lookup then shows one enrolled record."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest
from tests.e2e.actors import RESIDENT, identity_form, png, wait_for
from tests.e2e.topologies import both_modes

from xueji.v1 import common_pb2, dedup_pb2, dedup_pb2_grpc, events_pb2, national_query_pb2_grpc
from xueji.v1 import national_query_pb2 as nq
from xueji_common.auth import Role
from xueji_common.masking import mask_student_number

pytestmark = pytest.mark.slow
zj, js = both_modes()
OPEN = (dedup_pb2.PROBLEM_GROUP_STATUS_PENDING, dedup_pb2.PROBLEM_GROUP_STATUS_IN_PROGRESS)


def department(province):
    """The province's department registrar (省级学籍管理员)."""
    return province.md(Role.DEPARTMENT_REGISTRAR, province.province)


def group_seen_by(province, group_id: str) -> dedup_pb2.ProblemGroup:
    return province.problems.GetProblemGroup(
        dedup_pb2.GetProblemGroupRequest(group_id=group_id), metadata=department(province), timeout=15
    )


def open_groups_of(province, record_id: str) -> list[dedup_pb2.ProblemGroup]:
    listed = province.problems.ListProblemGroups(
        dedup_pb2.ListProblemGroupsRequest(org_unit_code=province.province, statuses=OPEN, page_size=500),
        metadata=department(province),
        timeout=15,
    ).groups
    return [g for g in listed if any(s.record_id == record_id for s in g.students)]


def enrolled(province, name: str, number: str) -> list:
    lookup = national_query_pb2_grpc.NationalQueryStub(province.channel("national-query"))
    found = lookup.LookupStudent(
        nq.LookupStudentRequest(name=name, document_number=number),
        metadata=province.md(Role.SYSTEM, "000000"),
        timeout=15,
    ).results
    return sorted(
        (r.province_code, r.national_student_number)
        for r in found
        if r.enrolment_status == events_pb2.ENROLMENT_STATUS_ENROLLED
    )


@pytest.mark.flow
def test_one_child_registered_in_two_provinces_has_one_national_group_whose_deletion_reaches_the_province(
    zj, js, people
):
    child = people.freshman()
    identity = identity_form(RESIDENT, child)
    provinces = {"zj": zj, "js": js}
    with ThreadPoolExecutor(2) as pool:  # both schools take the child in at about the same time
        started = {
            k: pool.submit(lambda p=p: p.supplementary(p.transfer(identity), identity))
            for k, p in provinces.items()
        }
        apps = {k: f.result().application_id for k, f in started.items()}
    # one of them holds the number nationally; the other's authentication fails on that hold
    authenticated = {
        k: wait_for(
            lambda k=k: (
                (a := provinces[k].application(apps[k])).authentication_status
                in (common_pb2.AUTHENTICATION_STATUS_PASSED, common_pb2.AUTHENTICATION_STATUS_FAILED)
                and a.authentication_status
            ),
            f"{k}'s authentication",
        )
        for k in provinces
    }
    [loser] = [k for k, s in authenticated.items() if s == common_pb2.AUTHENTICATION_STATUS_FAILED]
    [winner] = [k for k in provinces if k != loser]
    lose, win = provinces[loser], provinces[winner]

    # The loser's record first (an L number, a problem record of its failed authentication), then the
    # winner's.
    lose.approve_all_levels(apps[loser], RESIDENT)
    _, lost = lose.approved(apps[loser])
    wait_for(lambda: lose.record(lost.record_id).problem_record, "the loser's failed authentication flagged")
    win.approve_all_levels(apps[winner], RESIDENT)
    _, won = win.approved(apps[winner])
    records = {loser: lost.record_id, winner: won.record_id}

    # One group, at the national tier, that both provinces' records point at and both provinces show.
    def one_group():
        ids = {k: provinces[k].record(r).problem_group_id for k, r in records.items()}
        return len(set(ids.values())) == 1 and all(ids.values()) and ids[winner]

    group_id = wait_for(one_group, "both records in one problem group")
    seen = {k: group_seen_by(p, group_id) for k, p in provinces.items()}
    for group in seen.values():
        assert group.resolver_level == common_pb2.ORG_UNIT_LEVEL_MINISTRY
        assert sorted(s.record_id for s in group.students) == sorted(records.values())
    # The losing record is in one open group only: its failed authentication was merged into this one.
    wait_for(
        lambda: [g.group_id for g in open_groups_of(lose, lost.record_id)] == [group_id],
        "the loser's record in the national group only",
    )

    # The ministry deletes 浙江's record at the national tier and keeps 江苏's.
    national = dedup_pb2_grpc.ProblemRecordsStub(zj.channel("dedup-national"))
    group = national.GetProblemGroup(
        dedup_pb2.GetProblemGroupRequest(group_id=group_id),
        metadata=zj.md(Role.DEPARTMENT_REGISTRAR, "000000"),
        timeout=15,
    )
    national.ResolveProblemGroup(
        dedup_pb2.ResolveProblemGroupRequest(
            group_id=group_id,
            opinion="经核实，该生在江苏省就读",
            expected_version=group.version,
            resolutions=[
                dedup_pb2.RecordResolution(
                    record_id=records["zj"], resolution=events_pb2.PROBLEM_RESOLUTION_DELETE
                ),
                dedup_pb2.RecordResolution(
                    record_id=records["js"], resolution=events_pb2.PROBLEM_RESOLUTION_CORROBORATE
                ),
            ],
            proof_files=[
                common_pb2.FileContent(file_name="学籍证明.png", content_type="image/png", content=png())
            ],
        ),
        metadata=zj.md(Role.DEPARTMENT_REGISTRAR, "000000"),
        timeout=15,
    )

    wait_for(
        lambda: zj.record(records["zj"]).enrolment_status == events_pb2.ENROLMENT_STATUS_LEFT,
        "浙江's registration hears the deletion (record 已删除)",
    )
    assert js.record(records["js"]).enrolment_status == events_pb2.ENROLMENT_STATUS_ENROLLED
    js_number = js.record(records["js"]).national_student_number
    seen_lookup = []

    def one_enrolled():
        seen_lookup.append(enrolled(zj, child.name, child.resident_id))
        # a lookup shows no more than the caller supplied: a G number of the resident ID given whole,
        # an L number masked by the one policy
        shown = js_number if js_number == "G" + child.resident_id else mask_student_number(js_number)
        return seen_lookup[-1] == [("320000", shown)]

    try:
        wait_for(one_enrolled, "one enrolled record in the national lookup")
    except AssertionError as exc:
        raise AssertionError(f"{exc}; last seen {seen_lookup[-1:]}, 江苏's record {js_number}") from None
    for k, p in provinces.items():
        assert group_seen_by(p, group_id).status == dedup_pb2.PROBLEM_GROUP_STATUS_RESOLVED, k
