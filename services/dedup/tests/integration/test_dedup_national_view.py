"""The national tier and problem groups: a record deleted as a duplicate gives up its national holding,
and a cross-province group's one home is the national tier (docs/CROSS-PROVINCE-PROBLEMS.md): raised
there by the province that finds it, met there by a province raising it at the same moment, shown by
every province holding a member (forwarded), resolved there by the ministry, and heard by every such
province through the deliveries it pulls (idempotently); a member's later key-data change in its
province refreshes the group's copy there.

Two province tiers (浙江, 江苏) and a national tier, each with its own database, the province tiers
reaching the national one over gRPC; dedup's own ProblemRaised / ProblemResolved are handed back to
the tier that published them, as the bus does."""

from __future__ import annotations

import grpc
import pytest
from dedup_helpers import (
    HASH_KEY,
    SCHOOL,
    SCHOOL_B,
    SCHOOL_JS,
    deliver,
    published,
    pull_for,
    pull_national_events,
    record_created,
    resident,
    submitted,
)
from sqlalchemy import select

from xueji.v1 import common_pb2, dedup_pb2, dedup_pb2_grpc, events_pb2
from xueji_common.auth import Role
from xueji_common.db.engine import now
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
    return (
        problems(rt)
        .ListProblemGroups(
            dedup_pb2.ListProblemGroupsRequest(), metadata=as_(rt, Role.DEPARTMENT_REGISTRAR, org)
        )
        .groups
    )


def holders(rt) -> list[str]:
    response = dedup_pb2_grpc.DedupStub(grpc.insecure_channel(rt.settings.grpc_address)).CheckDocument(
        dedup_pb2.CheckDocumentRequest(
            document_type=common_pb2.DOCUMENT_TYPE_PASSPORT,
            document_hash=document_hash(HASH_KEY, "A", PASSPORT),
        ),
        metadata=as_(rt, Role.SYSTEM, "000000"),
    )
    return sorted(h.holder_id for h in response.holdings)


def resolve(rt, group, org, *steps):
    return problems(rt).ResolveProblemGroup(
        dedup_pb2.ResolveProblemGroupRequest(
            group_id=group.group_id,
            opinion="核实后处理",
            proof_files=[PDF],
            expected_version=group.version,
            resolutions=[dedup_pb2.RecordResolution(record_id=r, resolution=k) for r, k in steps],
        ),
        metadata=as_(rt, Role.DEPARTMENT_REGISTRAR, org),
    )


def echo(rt, event_type, start=0) -> None:
    """Hand the tier its own events of this type (from the start-th on), as the bus does."""
    for event in published(rt, event_type)[start:]:
        assert deliver(rt, event, producer="dedup") == "handled"


def test_a_deleted_duplicate_gives_up_its_national_holding_and_its_reservation(dedup):
    first, second = submitted(PASSPORT, doc_type="A"), submitted(PASSPORT, doc_type="A", school=SCHOOL_B)
    deliver(dedup, first)  # reserved, then committed to r1
    deliver(dedup, record_created(first, record_id="r1"))
    r2 = record_created(second, record_id="r2")
    deliver(dedup, r2)  # a second record of the document: 一人多籍
    assert holders(dedup) == ["r1", "r2"]
    [group] = list_groups(dedup, "330102")
    resolve(dedup, group, "330102", ("r1", DELETE), ("r2", KEEP))
    echo(dedup, "ProblemResolved")
    assert holders(dedup) == ["r2"]
    with dedup.session_factory() as s:
        assert (
            s.execute(
                select(national_reservations.c.state).where(national_reservations.c.record_id == "r1")
            ).scalar_one()
            == "released"
        )
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


def test_a_cross_province_group_lives_at_the_national_tier_and_every_province_hears_it(tiers):
    nation, zhejiang, jiangsu = tiers
    app = submitted(PASSPORT, doc_type="A")
    deliver(zhejiang, app)
    deliver(zhejiang, record_created(app, record_id="r1"))
    r2 = record_created(submitted(PASSPORT, doc_type="A", school=SCHOOL_JS), record_id="r2")
    deliver(jiangsu, r2)  # 江苏 finds 浙江's record: raised at the nation

    [group] = list_groups(nation)
    assert (group.resolver_level, group.reporting_province_code) == (common_pb2.ORG_UNIT_LEVEL_MINISTRY, "")
    assert sorted((s.record_id, s.province_code, s.school_code) for s in group.students) == [
        ("r1", "330000", SCHOOL),
        ("r2", "320000", SCHOOL_JS),
    ]
    for tier in (zhejiang, jiangsu):  # held by no province ...
        with tier.uow_factory() as uow:
            assert uow.problems.get(group.group_id) is None
        # ... and shown by each (forwarded to the nation, read only), to its own registrars
        assert [g.group_id for g in list_groups(tier, "330000" if tier is zhejiang else "320000")] == [
            group.group_id
        ]
    shown = problems(zhejiang).GetProblemGroup(
        dedup_pb2.GetProblemGroupRequest(group_id=group.group_id),
        metadata=as_(zhejiang, Role.DEPARTMENT_REGISTRAR, "330102"),
    )
    assert shown.group_id == group.group_id

    # each province hears it on its own bus (its registration and national-query flag the records)
    assert (pull_for(zhejiang, "330000"), pull_for(jiangsu, "320000")) == (1, 1)
    for tier in (zhejiang, jiangsu):
        [raised] = published(tier, "ProblemRaised")
        assert raised.problem_group_id == group.group_id and sorted(raised.record_ids) == ["r1", "r2"]

    # the ministry resolves it at the nation: 浙江's record deleted gives up its holding at once
    resolve(nation, group, "000000", ("r1", DELETE), ("r2", KEEP))
    assert holders(nation) == ["r2"]
    assert (pull_for(zhejiang, "330000"), pull_for(jiangsu, "320000")) == (2, 2)
    heard = [(tuple(e.record_ids), e.resolution) for e in published(zhejiang, "ProblemResolved")]
    assert heard == [(("r1",), DELETE), (("r2",), KEEP)]  # 浙江's registration cancels r1 on this
    # and a late change of the cancelled record does not make it hold the document again
    cancelled = events_pb2.StudentRecordChanged(record=record_created(app, record_id="r1").record)
    cancelled.record.version, cancelled.record.enrolment_status = 2, events_pb2.ENROLMENT_STATUS_LEFT
    assert deliver(zhejiang, cancelled) == "handled"
    assert holders(nation) == ["r2"]
    # nor in 浙江's own index: a new 浙江 application is refused in the name of 江苏's record alone
    deliver(zhejiang, submitted(PASSPORT, doc_type="A", school="1330105001"))
    refused = published(zhejiang, "DedupCompleted")[-1]
    assert refused.reason_code == "HELD_BY_ANOTHER_RECORD" and "梅园小学" in refused.reason, refused.reason
    assert "胜利小学" not in refused.reason


def test_a_record_already_in_its_national_group_gets_no_failed_authentication_group_of_its_own(dedup, people):
    """Its province heard of the national group first (the record's creation raced with the other
    province's raise): one open group per record and document."""
    noted, other = (resident(p, kind=1, name=p.name + "某") for p in people[5:7])  # the register disagrees
    for app in (noted, other):
        deliver(dedup, app)
    assert [e.outcome for e in published(dedup, "DedupCompleted")] == [events_pb2.DEDUP_OUTCOME_FAILED] * 2
    with dedup.uow_factory() as uow:
        uow.province.note_national_member("national-group", "r-noted", "pending")
        uow.commit()
    deliver(dedup, record_created(noted, record_id="r-noted"))
    deliver(dedup, record_created(other, record_id="r-other"))
    assert [list(e.record_ids) for e in published(dedup, "ProblemRaised")] == [["r-other"]]


def test_two_provinces_raising_one_key_at_once_meet_on_one_national_group(tiers):
    nation, zhejiang, jiangsu = tiers
    from concurrent.futures import ThreadPoolExecutor
    from threading import Barrier

    from xueji_dedup.adapters.peers import Peers
    from xueji_dedup.domain.problems import ProblemKind

    key = document_hash(HASH_KEY, "A", PASSPORT)

    def student(record_id, school):
        return _raised_student(nation.tree, record_id, school)

    barrier = Barrier(2)

    def raise_from(tier, mine, theirs):
        barrier.wait()
        return Peers(tier).national.raise_group(
            ProblemKind.SHARED_DOCUMENT, key, [mine, theirs], "一人多籍", tier.tree
        )

    with ThreadPoolExecutor(2) as pool:
        ids = list(
            pool.map(
                raise_from,
                [zhejiang, jiangsu],
                [student("r1", SCHOOL), student("r2", SCHOOL_JS)],
                [student("r2", SCHOOL_JS), student("r1", SCHOOL)],
            )
        )
    [group] = list_groups(nation)
    assert ids == [group.group_id, group.group_id]
    assert sorted(s.record_id for s in group.students) == ["r1", "r2"]
    # a province that raised it again later (a redelivered event) changes nothing
    Peers(zhejiang).national.raise_group(
        ProblemKind.SHARED_DOCUMENT, key, [student("r1", SCHOOL)], "一人多籍", zhejiang.tree
    )
    [again] = list_groups(nation)
    assert again.version == group.version


def test_pulling_again_after_a_crash_republishes_nothing_twice(tiers):
    from xueji_dedup.adapters.peers import Peers
    from xueji_dedup.service_layer import national_inbox

    nation, zhejiang, jiangsu = tiers
    app = submitted(PASSPORT, doc_type="A")
    deliver(zhejiang, app)
    deliver(zhejiang, record_created(app, record_id="r1"))
    deliver(jiangsu, record_created(submitted(PASSPORT, doc_type="A", school=SCHOOL_JS), record_id="r2"))
    province, rows = Peers(zhejiang).national.pull("330000", 0, 10)
    assert province == "330000" and [d.sequence for d in rows] == [1]
    assert Peers(zhejiang).national.pull("330000", 0, 10)[1] == rows  # read only: the same answer
    assert national_inbox.take(zhejiang.uow_factory(), "330000", rows, tree=zhejiang.tree) == 1
    # the worker died before its cursor's commit was known: it pulls the same rows again
    with zhejiang.uow_factory() as uow:
        uow.deliveries.move_cursor("330000", 0, now())
        uow.commit()
    assert national_inbox.take(zhejiang.uow_factory(), "330000", rows, tree=zhejiang.tree) == 0  # inbox
    assert len(published(zhejiang, "ProblemRaised")) == 1
    assert pull_for(zhejiang, "330000") == 0
    # a province's identity pulls its own province only
    with pytest.raises(grpc.RpcError) as err:
        dedup_pb2_grpc.DedupStub(grpc.insecure_channel(nation.settings.grpc_address)).PullProblemEvents(
            dedup_pb2.PullProblemEventsRequest(province_code="320000", limit=10),
            metadata=as_(nation, Role.SYSTEM, "330000"),
        )
    assert err.value.code() == grpc.StatusCode.PERMISSION_DENIED


def test_only_cross_province_groups_are_reported(tiers):
    nation, zhejiang, _ = tiers
    first, second = submitted(PASSPORT, doc_type="A"), submitted(PASSPORT, doc_type="A", school=SCHOOL_B)
    deliver(zhejiang, first)
    deliver(zhejiang, record_created(first, record_id="r1"))
    deliver(zhejiang, record_created(second, record_id="r2"))
    echo(zhejiang, "ProblemRaised")
    assert len(list_groups(zhejiang, "330102")) == 1 and list_groups(nation) == []


def test_one_database_playing_both_tiers_holds_the_national_group_once(dedup):
    """The embedded mode: the province tier raises the group at itself (the national tier) and hears it
    back through its deliveries."""
    app = submitted(PASSPORT, doc_type="A")
    deliver(dedup, app)
    deliver(dedup, record_created(app, record_id="r1"))
    r2 = record_created(submitted(PASSPORT, doc_type="A", school=SCHOOL_JS), record_id="r2")
    deliver(dedup, r2)
    pull_national_events(dedup)
    echo(dedup, "ProblemRaised")
    renamed = events_pb2.StudentRecordChanged(record=r2.record)
    renamed.record.version, renamed.record.name = 2, "李四"
    assert deliver(dedup, renamed) == "handled"
    [group] = list_groups(dedup)
    assert (
        group.reporting_province_code == "" and {s.record_id: s.name for s in group.students}["r2"] == "李四"
    )
    done = resolve(dedup, group, "000000", ("r1", DELETE), ("r2", KEEP))
    assert done.status == dedup_pb2.PROBLEM_GROUP_STATUS_RESOLVED


def test_a_province_group_whose_document_turns_up_in_another_province_closes_into_the_national_one(tiers):
    """Two 浙江 records share a document (浙江's own group); a 江苏 record with it makes the group
    cross-province: the national group takes all three, and 浙江's group closes as merged when 浙江
    pulls the news, so that no record is in two open groups for one document."""
    nation, zhejiang, jiangsu = tiers
    deliver(zhejiang, record_created(submitted(PASSPORT, doc_type="A"), record_id="r1"))
    deliver(zhejiang, record_created(submitted(PASSPORT, doc_type="A", school=SCHOOL_B), record_id="r1b"))
    [local] = list_groups(zhejiang, "330000")
    assert sorted(s.record_id for s in local.students) == ["r1", "r1b"]
    deliver(jiangsu, record_created(submitted(PASSPORT, doc_type="A", school=SCHOOL_JS), record_id="r2"))
    [national] = [g for g in list_groups(nation) if g.resolver_level == common_pb2.ORG_UNIT_LEVEL_MINISTRY]
    assert sorted(s.record_id for s in national.students) == ["r1", "r1b", "r2"]
    pull_for(zhejiang, "330000")
    with zhejiang.uow_factory() as uow:
        merged = uow.problems.get(local.group_id)
    assert merged.status.value == "resolved" and {s.status.value for s in merged.students} == {"merged"}
    assert [
        g.group_id
        for g in list_groups(zhejiang, "330000")
        if g.status != dedup_pb2.PROBLEM_GROUP_STATUS_RESOLVED
    ] == [national.group_id]
    resolved = [e for e in published(zhejiang, "ProblemResolved") if e.problem_group_id == local.group_id]
    assert sorted(r for e in resolved for r in e.record_ids) == ["r1", "r1b"]


def test_a_correction_at_the_nation_reaches_a_province_that_holds_another_data_key(make_dedup):
    """The ministry corrects 浙江's record in a national group: the nation seals the corrected number
    with its own key, and 浙江 (another key) gets it opened over gRPC when it pulls, sealing it with
    its own before its registration hears the event."""
    from xueji_common.datakeys import CORRECTED_NUMBER, DataKeyError, new_key_text
    from xueji_common.testing.numbers import seal_into

    nation = make_dedup(scope="national", data_key=new_key_text("nation"))
    to_nation = {"dedup-national": nation.settings.grpc_address}
    zhejiang = make_dedup(peers=to_nation, data_key=new_key_text("zj"))
    jiangsu = make_dedup(peers=to_nation, data_key=new_key_text("js"))
    for tier, school, record_id in ((zhejiang, SCHOOL, "r1"), (jiangsu, SCHOOL_JS, "r2")):
        created = record_created(submitted(PASSPORT, doc_type="A", school=school), record_id=record_id)
        seal_into(created.record, f"L{school[1:7]}201506011234", HASH_KEY, tier.settings.data_keyring())
        deliver(tier, created)  # as the province's registration seals it: with the province's key
    [group] = list_groups(nation)
    corrected = common_pb2.StudentIdentity(
        name="张三",
        gender=common_pb2.GENDER_MALE,
        birth_date=common_pb2.Date(year=2015, month=6, day=1),
        document=common_pb2.IdentityDocument(type=common_pb2.DOCUMENT_TYPE_PASSPORT, number="E87654321"),
    )
    problems(nation).ResolveProblemGroup(
        dedup_pb2.ResolveProblemGroupRequest(
            group_id=group.group_id,
            opinion="核实后修正",
            proof_files=[PDF],
            expected_version=group.version,
            resolutions=[
                dedup_pb2.RecordResolution(
                    record_id="r1",
                    resolution=events_pb2.PROBLEM_RESOLUTION_CORRECT,
                    corrected_identity=corrected,
                ),
                dedup_pb2.RecordResolution(record_id="r2", resolution=KEEP),
            ],
        ),
        metadata=as_(nation, Role.DEPARTMENT_REGISTRAR, "000000"),
    )
    pull_for(zhejiang, "330000")
    [fixed] = [
        e
        for e in published(zhejiang, "ProblemResolved")
        if e.resolution == events_pb2.PROBLEM_RESOLUTION_CORRECT
    ]
    assert (
        zhejiang.settings.data_keyring().decrypt(fixed.corrected_document_number_sealed, CORRECTED_NUMBER)
        == "E87654321"
    )
    pull_for(jiangsu, "320000")  # 江苏 hears the resolution of 浙江's record, not the number
    [told] = [
        e
        for e in published(jiangsu, "ProblemResolved")
        if e.resolution == events_pb2.PROBLEM_RESOLUTION_CORRECT
    ]
    with pytest.raises(DataKeyError):
        jiangsu.settings.data_keyring().decrypt(told.corrected_document_number_sealed, CORRECTED_NUMBER)
    with zhejiang.session_factory() as s:  # what 浙江 publishes on its bus: no number in clear
        bodies = s.execute(select(zhejiang.spec.outbox.c.envelope)).scalars().all()
    assert [b for b in bodies if b"E87654321" in bytes(b)] == []


def test_the_nations_list_is_the_ministrys_and_refused_to_anyone_else(tiers):
    """The console's 问题学籍处理 of the ministry asks for the nation's unit (docs/CONSOLE.md): the
    national tier answers the ministry's registrar and refuses a province's or a school's users."""
    nation, zhejiang, jiangsu = tiers
    app = submitted(PASSPORT, doc_type="A")
    deliver(zhejiang, app)
    deliver(zhejiang, record_created(app, record_id="r1"))
    deliver(jiangsu, record_created(submitted(PASSPORT, doc_type="A", school=SCHOOL_JS), record_id="r2"))
    nations_list = dedup_pb2.ListProblemGroupsRequest(org_unit_code="000000")
    answer = problems(nation).ListProblemGroups(
        nations_list, metadata=as_(nation, Role.DEPARTMENT_REGISTRAR, "000000")
    )
    assert answer.total_size == 1 and answer.groups[0].students[0].document.number != PASSPORT
    for role, org in (
        (Role.DEPARTMENT_REGISTRAR, "330000"),
        (Role.SCHOOL_REGISTRAR, SCHOOL),
        (Role.SCHOOL_LEADER, SCHOOL),
        (Role.USER_ADMIN, "000000"),
    ):
        with pytest.raises(grpc.RpcError) as err:
            problems(nation).ListProblemGroups(nations_list, metadata=as_(nation, role, org))
        assert err.value.code() == grpc.StatusCode.PERMISSION_DENIED, (role, org)


def test_the_ministry_narrows_the_nations_list_to_one_province(tiers):
    """所在省份 on the ministry's list (ListProblemGroupsRequest.province_code): the nation's groups
    with a student of that province, over a real socket; the page token is bound to the filter; a
    code that is not a province is refused at the field; a province forwards the filter."""
    from xueji_common.grpcserver.errors import field_violations
    from xueji_dedup.adapters.peers import Peers
    from xueji_dedup.domain.problems import ProblemKind

    nation, _zhejiang, jiangsu = tiers

    def student(record_id, school):
        return _raised_student(nation.tree, record_id, school, school[1:3] + "0000")

    def raised(key, *students):
        return Peers(jiangsu).national.raise_group(
            ProblemKind.SHARED_DOCUMENT, key, list(students), "一人多籍", jiangsu.tree
        )

    zj_js = raised("a" * 64, student("r1", SCHOOL), student("r2", SCHOOL_JS))
    js_sh = raised("b" * 64, student("r3", SCHOOL_JS), student("r4", "1310101001"))  # 上海: outside the tree
    ministry = as_(nation, Role.DEPARTMENT_REGISTRAR, "000000")

    def listed(rt, metadata, org="000000", **fields):
        request = dedup_pb2.ListProblemGroupsRequest(org_unit_code=org, **fields)
        answer = problems(rt).ListProblemGroups(request, metadata=metadata)
        return [g.group_id for g in answer.groups], answer.total_size, answer.next_page_token

    assert listed(nation, ministry)[:2] == ([zj_js, js_sh], 2)
    assert listed(nation, ministry, province_code="330000")[:2] == ([zj_js], 1)
    assert listed(nation, ministry, province_code="310000")[:2] == ([js_sh], 1)
    assert listed(nation, ministry, province_code="110000")[:2] == ([], 0)
    first, total, token = listed(nation, ministry, province_code="320000", page_size=1)
    assert (first, total) == ([zj_js], 2)
    assert listed(nation, ministry, province_code="320000", page_size=1, page_token=token)[0] == [js_sh]
    for wrong in ({"province_code": "330000", "page_token": token}, {"province_code": "330100"}):
        with pytest.raises(grpc.RpcError) as err:
            listed(nation, ministry, **wrong)
        assert err.value.code() == grpc.StatusCode.INVALID_ARGUMENT
        assert [f for f, _ in field_violations(err.value)] == (
            ["page_token"] if "page_token" in wrong else ["province_code"]
        )
    # 江苏's registrar: its list (the nation's groups in its area, forwarded) narrowed the same way
    js_registrar = as_(jiangsu, Role.DEPARTMENT_REGISTRAR, "320000")
    assert listed(jiangsu, js_registrar, "320000", province_code="310000")[:2] == ([js_sh], 1)


def test_a_members_name_corrected_in_its_province_is_the_national_groups_copy(tiers, monkeypatch):
    from xueji_common.grpcserver.errors import field_violations
    from xueji_dedup.adapters import peers as peer_adapters
    from xueji_dedup.adapters.problem_messages import student_to_pb
    from xueji_dedup.adapters.tables import national_deliveries
    from xueji_dedup.service_layer.ports import PeerUnavailable
    from xueji_dedup.service_layer.records import refresh_request_id

    nation, zhejiang, jiangsu = tiers
    app = submitted(PASSPORT, doc_type="A")
    deliver(zhejiang, app)
    deliver(zhejiang, record_created(app, record_id="r1"))
    deliver(jiangsu, record_created(submitted(PASSPORT, doc_type="A", school=SCHOOL_JS), record_id="r2"))
    assert (pull_for(zhejiang, "330000"), pull_for(jiangsu, "320000")) == (1, 1)
    [group] = list_groups(nation)
    with nation.session_factory() as s:
        delivered = s.execute(select(national_deliveries.c.event_id)).scalars().all()

    corrected = events_pb2.StudentRecordChanged(record=record_created(app, record_id="r1", version=2).record)
    corrected.record.name = "张珊"  # 浙江 corrects its record's name

    def down(*args, **kwargs):
        raise PeerUnavailable("UNAVAILABLE")

    with monkeypatch.context() as m:  # the nation cannot answer: the handler fails, nothing is taken
        m.setattr(peer_adapters.NationalTier, "refresh_student", down)
        with pytest.raises(PeerUnavailable):
            deliver(zhejiang, corrected, event_id="e-corrected")
    [unchanged] = list_groups(nation)
    assert unchanged.version == group.version
    assert deliver(zhejiang, corrected, event_id="e-corrected") == "handled"  # the bus delivers it again

    [refreshed] = list_groups(nation)
    names = {s.record_id: s.name for s in refreshed.students}
    assert names == {"r1": "张珊", "r2": "张三"} and refreshed.version == group.version + 1
    # shown so by each province (forwarded to the nation), with the step in the group's history
    for tier, org in ((zhejiang, "330102"), (jiangsu, "320000")):
        shown = problems(tier).GetProblemGroup(
            dedup_pb2.GetProblemGroupRequest(group_id=group.group_id),
            metadata=as_(tier, Role.DEPARTMENT_REGISTRAR, org),
        )
        assert {s.record_id: s.name for s in shown.students}["r1"] == "张珊"
    [step] = [h for h in shown.history if h.resolution == events_pb2.PROBLEM_RESOLUTION_REFRESHED]
    assert step.record_id == "r1" and step.corrected_identity.name == "张珊"
    assert "*" in step.corrected_identity.document.number and PASSPORT not in str(shown)
    # no province keeps a copy of the group's students: nothing is delivered
    with nation.session_factory() as s:
        assert s.execute(select(national_deliveries.c.event_id)).scalars().all() == delivered
    assert (pull_for(zhejiang, "330000"), pull_for(jiangsu, "320000")) == (0, 0)

    # a second delivery changes nothing, nor does the request repeated at the nation
    assert deliver(zhejiang, corrected) == "handled"
    stub = dedup_pb2_grpc.DedupStub(grpc.insecure_channel(nation.settings.grpc_address))
    again = dedup_pb2.RefreshProblemStudentRequest(
        request_id=refresh_request_id("r1", 2),
        student=student_to_pb(_student_of(nation, group.group_id, "r1"), nation.tree),
    )
    again.student.name = "张叁"
    answer = stub.RefreshProblemStudent(again, metadata=as_(nation, Role.SYSTEM, "330000"))
    assert list(answer.group_ids) == [group.group_id]  # as the first call answered
    [same] = list_groups(nation)
    assert same.version == refreshed.version and {s.name for s in same.students} == {"张珊", "张三"}

    # the copy is of version 2: an older refresh arriving late changes nothing, a newer one is taken
    assert _student_of(nation, group.group_id, "r1").record_version == 2
    late = dedup_pb2.RefreshProblemStudentRequest(
        request_id="0b7e2a8c-3f1d-4c6e-8a2b-5d9f1e3c7a40", student=again.student, record_version=1
    )
    stub.RefreshProblemStudent(late, metadata=as_(nation, Role.SYSTEM, "330000"))
    assert list_groups(nation)[0].version == refreshed.version
    newer = dedup_pb2.RefreshProblemStudentRequest(
        request_id="2c4d6e8f-1a3b-4c5d-9e7f-0a1b2c3d4e50", student=again.student, record_version=3
    )
    stub.RefreshProblemStudent(newer, metadata=as_(nation, Role.SYSTEM, "330000"))
    [taken] = list_groups(nation)
    assert taken.version == refreshed.version + 1 and {s.name for s in taken.students} == {"张叁", "张三"}
    newer.record_version = -1
    with pytest.raises(grpc.RpcError) as err:
        stub.RefreshProblemStudent(newer, metadata=as_(nation, Role.SYSTEM, "330000"))
    assert err.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert [f for f, _ in field_violations(err.value)] == ["record_version"]

    # a province refreshes its own records only
    again.request_id = "6f1c2a52-0d4e-4f55-9b8e-2b1d5c9e7a10"
    with pytest.raises(grpc.RpcError) as err:
        stub.RefreshProblemStudent(again, metadata=as_(nation, Role.SYSTEM, "320000"))
    assert err.value.code() == grpc.StatusCode.PERMISSION_DENIED


def _student_of(rt, group_id, record_id):
    with rt.uow_factory() as uow:
        return uow.problems.get(group_id).student(record_id)


def _raised_student(tree, record_id, school, province=""):
    """A passport holder as a province raises it at the nation (numbers masked)."""
    from xueji_dedup.domain.problems import ProblemStudent, school_chain

    return ProblemStudent(
        record_id=record_id,
        application_id="",
        national_student_number="L1",
        temporary_number=True,
        name="张三",
        gender=1,
        birth_date=None,
        document_type="A",
        document_masked="E1****678",
        **school_chain(tree, school, province),
    )
