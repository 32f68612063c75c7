"""What the national tier learns of problem groups: a record deleted as a duplicate gives up its
national holding, and cross-province groups are reported to the national tier, which lists and shows
them to the ministry (the province tier that reported a group resolves it).

Two province tiers (浙江, 江苏) and a national tier, each with its own database, the province tiers
reaching the national one over gRPC; dedup's own ProblemRaised / ProblemResolved are handed back to
the tier that published them, as the bus does."""
from __future__ import annotations

import grpc
import pytest
from sqlalchemy import select

from dedup_helpers import HASH_KEY, SCHOOL, SCHOOL_B, SCHOOL_JS, deliver, published, record_created, submitted
from xueji.v1 import common_pb2, dedup_pb2, dedup_pb2_grpc, events_pb2
from xueji_common.auth import Role
from xueji_common.grpcserver.client import bearer
from xueji_common.hashing import document_hash
from xueji_dedup.adapters.tables import national_reservations

PASSPORT = "E12345678"
PDF = common_pb2.FileContent(file_name="证明.pdf", content_type="application/pdf", content=b"%PDF-1.4 proof")
KEEP, DELETE = events_pb2.PROBLEM_RESOLUTION_CORROBORATE, events_pb2.PROBLEM_RESOLUTION_DELETE


def as_(rt, role, org):
    return bearer(rt.tokens.mint(f"user-{org}", role, org))


def problems(rt):
    return dedup_pb2_grpc.ProblemRecordsStub(grpc.insecure_channel(rt.settings.grpc_address))


def list_groups(rt, org="000000"):
    return problems(rt).ListProblemGroups(dedup_pb2.ListProblemGroupsRequest(),
                                          metadata=as_(rt, Role.DEPARTMENT_REGISTRAR, org)).groups


def holders(rt) -> list[str]:
    response = dedup_pb2_grpc.DedupStub(grpc.insecure_channel(rt.settings.grpc_address)).CheckDocument(
        dedup_pb2.CheckDocumentRequest(document_type=common_pb2.DOCUMENT_TYPE_PASSPORT,
                                       document_hash=document_hash(HASH_KEY, "A", PASSPORT)),
        metadata=as_(rt, Role.SYSTEM, "000000"))
    return sorted(h.holder_id for h in response.holdings)


def resolve(rt, group, org, *steps):
    return problems(rt).ResolveProblemGroup(dedup_pb2.ResolveProblemGroupRequest(
        group_id=group.group_id, opinion="核实后处理", proof_files=[PDF], expected_version=group.version,
        resolutions=[dedup_pb2.RecordResolution(record_id=r, resolution=k) for r, k in steps]),
        metadata=as_(rt, Role.DEPARTMENT_REGISTRAR, org))


def echo(rt, event_type, start=0) -> None:
    """Hand the tier its own events of this type (from the start-th on), as the bus does."""
    for event in published(rt, event_type)[start:]:
        assert deliver(rt, event, producer="dedup") == "handled"


def test_a_deleted_duplicate_gives_up_its_national_holding_and_its_reservation(dedup):
    first, second = submitted(PASSPORT, doc_type="A"), submitted(PASSPORT, doc_type="A", school=SCHOOL_B)
    deliver(dedup, first)                                     # reserved, then committed to r1
    deliver(dedup, record_created(first, record_id="r1"))
    r2 = record_created(second, record_id="r2")
    deliver(dedup, r2)                                        # a second record of the document: 一人多籍
    assert holders(dedup) == ["r1", "r2"]
    [group] = list_groups(dedup, "330102")
    resolve(dedup, group, "330102", ("r1", DELETE), ("r2", KEEP))
    echo(dedup, "ProblemResolved")
    assert holders(dedup) == ["r2"]
    with dedup.session_factory() as s:
        assert s.execute(select(national_reservations.c.state).where(
            national_reservations.c.record_id == "r1")).scalar_one() == "released"
    # registration cancels r1 and publishes it again: it does not hold the document again
    cancelled = events_pb2.StudentRecordChanged(record=record_created(first, record_id="r1").record)
    cancelled.record.version, cancelled.record.enrolment_status = 2, events_pb2.ENROLMENT_STATUS_LEFT
    assert deliver(dedup, cancelled) == "handled"
    assert holders(dedup) == ["r2"]
    # nor in the province index: a new application is refused in the name of r2's school alone
    deliver(dedup, submitted(PASSPORT, doc_type="A", school="1330105001"))
    refused = published(dedup, "DedupCompleted")[-1]
    assert refused.reason_code == "HELD_BY_ANOTHER_RECORD" and "天长小学" in refused.reason


@pytest.fixture
def tiers(make_dedup):
    nation = make_dedup(scope="national")
    to_nation = {"dedup-national": nation.settings.grpc_address}
    return nation, make_dedup(peers=to_nation), make_dedup(peers=to_nation)


def test_the_ministry_lists_and_reads_cross_province_groups_on_the_national_tier(tiers):
    nation, zhejiang, jiangsu = tiers
    app = submitted(PASSPORT, doc_type="A")
    deliver(zhejiang, app)
    deliver(zhejiang, record_created(app, record_id="r1"))
    r2 = record_created(submitted(PASSPORT, doc_type="A", school=SCHOOL_JS), record_id="r2")
    deliver(jiangsu, r2)                                      # 江苏 finds 浙江's record: a ministry group
    assert list_groups(nation) == []                          # not reported yet
    echo(jiangsu, "ProblemRaised")

    [seen] = list_groups(nation)
    [held] = list_groups(jiangsu)
    assert seen.group_id == held.group_id and seen.version == held.version
    assert (seen.resolver_level, seen.reporting_province_code) == (common_pb2.ORG_UNIT_LEVEL_MINISTRY, "320000")
    assert sorted((s.record_id, s.province_code, s.school_code) for s in seen.students) == [
        ("r1", "330000", SCHOOL), ("r2", "320000", SCHOOL_JS)]
    assert [g.group_id for g in list_groups(nation, "330000")] == [seen.group_id]   # a province sees its part
    assert list_groups(zhejiang) == []                        # 浙江's own tier holds no copy (as before)

    with pytest.raises(grpc.RpcError) as err:                 # the copy is read only: 江苏 resolves it
        resolve(nation, seen, "000000", ("r1", DELETE), ("r2", KEEP))
    assert err.value.code() == grpc.StatusCode.FAILED_PRECONDITION and "江苏省" in err.value.details()

    resolve(jiangsu, held, "000000", ("r1", DELETE), ("r2", KEEP))   # the ministry, on 江苏's tier
    echo(jiangsu, "ProblemResolved")
    detail = problems(nation).GetProblemGroup(dedup_pb2.GetProblemGroupRequest(group_id=seen.group_id),
                                              metadata=as_(nation, Role.DEPARTMENT_REGISTRAR, "000000"))
    assert detail.status == dedup_pb2.PROBLEM_GROUP_STATUS_RESOLVED and detail.version == held.version + 1
    assert [(h.record_id, h.resolution, h.stamp.org_unit_code) for h in detail.history] == [
        ("r1", DELETE, "000000"), ("r2", KEEP, "000000")]
    assert holders(nation) == ["r2"]                          # 浙江's deleted record holds nothing

    # a key-data change of a record reaches the copy with the group's next version; an old report does not
    renamed = events_pb2.StudentRecordChanged(record=r2.record)
    renamed.record.version, renamed.record.name = 2, "李四"
    deliver(jiangsu, renamed)
    echo(jiangsu, "ProblemRaised")                            # a stale report, delivered again
    [after] = list_groups(nation)
    [now_held] = list_groups(jiangsu)
    assert after.version == now_held.version == detail.version + 1
    assert {s.record_id: s.name for s in after.students}["r2"] == "李四"


def test_only_cross_province_groups_are_reported(tiers):
    nation, zhejiang, _ = tiers
    first, second = submitted(PASSPORT, doc_type="A"), submitted(PASSPORT, doc_type="A", school=SCHOOL_B)
    deliver(zhejiang, first)
    deliver(zhejiang, record_created(first, record_id="r1"))
    deliver(zhejiang, record_created(second, record_id="r2"))
    echo(zhejiang, "ProblemRaised")
    assert len(list_groups(zhejiang, "330102")) == 1 and list_groups(nation) == []


def test_one_database_playing_both_tiers_keeps_its_groups_its_own(dedup):
    """The embedded mode: the reports reach the same database, which must not take them for copies."""
    app = submitted(PASSPORT, doc_type="A")
    deliver(dedup, app)
    deliver(dedup, record_created(app, record_id="r1"))
    r2 = record_created(submitted(PASSPORT, doc_type="A", school=SCHOOL_JS), record_id="r2")
    deliver(dedup, r2)
    echo(dedup, "ProblemRaised")
    renamed = events_pb2.StudentRecordChanged(record=r2.record)
    renamed.record.version, renamed.record.name = 2, "李四"
    assert deliver(dedup, renamed) == "handled"
    [group] = list_groups(dedup)
    assert group.reporting_province_code == "" and {s.record_id: s.name for s in group.students}["r2"] == "李四"
    done = resolve(dedup, group, "000000", ("r1", DELETE), ("r2", KEEP))
    assert done.status == dedup_pb2.PROBLEM_GROUP_STATUS_RESOLVED
