"""A member's later key-data change reaches the national group's copy of the student, on the fakes
(tests/unit/dedup_fakes.py): the province's StudentRecordChanged calls RefreshProblemStudent, the
nation changes its copy with an audit step and delivers nothing (the provinces keep no copy), a
repeat changes nothing, a province refreshes its own records only, and a failing national call
commits nothing so that the retried event refreshes. Over gRPC, SQL and two processes:
tests/integration/test_dedup_national_view.py."""

from __future__ import annotations

import dataclasses
import uuid

import pytest
from dedup_fake_peers import FakePeers
from dedup_fakes import FakeDataKeys, FakeDedupUoW
from test_dedup_problem_use_cases import snapshot

from xueji_common.auth import Principal, Role
from xueji_common.errors import PermissionDenied
from xueji_common.orgunits import load_default_tree
from xueji_dedup.domain.problems import Resolution
from xueji_dedup.service_layer import national_inbox, national_problems, records
from xueji_dedup.service_layer.ports import PeerUnavailable

TREE = load_default_tree()
KEY = "test-hash-key"
SCHOOL_JS = "1320102001"  # 江苏省
ZJ_SYSTEM = Principal("dedup-zj", Role.SYSTEM, "330000")
JS_SYSTEM = Principal("dedup-js", Role.SYSTEM, "320000")


@pytest.fixture
def nation() -> FakeDedupUoW:
    return FakeDedupUoW(TREE, scope="national", hash_key=KEY, data_keys=FakeDataKeys("nation"))


@pytest.fixture
def provinces(nation):
    """浙江 (r1) and 江苏 (r2) holding one passport: a national group; each calls as its own identity."""
    zhejiang = FakeDedupUoW(TREE, hash_key=KEY, data_keys=FakeDataKeys("zhejiang"))
    jiangsu = FakeDedupUoW(TREE, hash_key=KEY, data_keys=FakeDataKeys("jiangsu"))
    zj_peers, js_peers = FakePeers(nation), FakePeers(nation)
    zj_peers.national.identity, js_peers.national.identity = ZJ_SYSTEM, JS_SYSTEM
    for uow, peers, rec in (
        (zhejiang, zj_peers, snapshot("r1")),
        (jiangsu, js_peers, snapshot("r2", school=SCHOOL_JS)),
    ):
        with uow:
            uow.claim_event(str(uuid.uuid4()), "dedup", "StudentRecordCreated")
            records.record_created(uow, rec, peers=peers, tree=TREE)
    return (zhejiang, zj_peers), (jiangsu, js_peers)


def changed(uow: FakeDedupUoW, peers: FakePeers, rec: records.RecordSnapshot) -> None:
    with uow:
        uow.claim_event(str(uuid.uuid4()), "dedup", "StudentRecordChanged")
        records.record_changed(uow, rec, peers=peers, tree=TREE)


def renamed(version: int, name: str = "张珊") -> records.RecordSnapshot:
    return dataclasses.replace(snapshot("r1"), name=name, version=version)


def the_group(nation: FakeDedupUoW):
    [group] = nation.problems.groups.values()
    return nation.problems.get(group.group_id)


def test_a_members_name_corrected_in_its_province_is_the_national_groups_copy(nation, provinces):
    (zhejiang, zj_peers), _ = provinces
    national_inbox.pull_province(lambda: zhejiang, zj_peers.national, "330000", tree=TREE)
    before = the_group(nation)
    deliveries = list(nation.deliveries.rows)

    changed(zhejiang, zj_peers, renamed(2))

    group = the_group(nation)
    assert group.student("r1").name == "张珊" and group.student("r2").name == "张三"
    assert group.version == before.version + 1
    [audit] = [a for a in nation.problems.actions(group.group_id) if a.resolution == "refreshed"]
    assert (audit.record_id, audit.org_unit_code, audit.user_id, audit.role) == (
        "r1",
        "330000",
        "dedup-zj",
        "system",
    )
    assert "姓名" in audit.opinion and audit.corrected_name == "张珊"
    assert "*" in audit.corrected_document_masked  # masked, never the number
    assert nation.deliveries.rows == deliveries  # no province keeps a copy: nothing to deliver
    assert zhejiang.province.record("r1").name == "张珊"

    changed(zhejiang, zj_peers, renamed(2))  # the same event again: nothing more
    assert the_group(nation).version == group.version
    changed(zhejiang, zj_peers, dataclasses.replace(renamed(3)))  # a change leaving key data alone
    assert the_group(nation).version == group.version
    assert len(nation.problems.actions(group.group_id)) == 1


@pytest.mark.usefixtures("provinces")
def test_an_older_refresh_arriving_after_a_newer_one_changes_nothing(nation):
    group = the_group(nation)

    def refresh(name: str, version: int) -> bool:
        student = dataclasses.replace(group.student("r1"), name=name, record_version=version)
        cmd = national_problems.RefreshStudent(str(uuid.uuid4()), student)
        return national_problems.refresh_student(nation, cmd, principal=ZJ_SYSTEM, tree=TREE)[1]

    assert refresh("张珊", 3) is True
    assert refresh("张叁", 2) is False  # version 2's refresh, overtaken on the way
    assert the_group(nation).student("r1").name == "张珊"
    assert refresh("张珊", 4) is False  # version 4 left the key data alone: the version is kept alone
    held = the_group(nation)
    assert held.version == group.version + 1 and held.student("r1").record_version == 4
    assert refresh("张叁", 3) is False and the_group(nation).student("r1").name == "张珊"
    assert refresh("张叁", 0) is True  # a caller that does not know the version: taken, as before
    assert len(nation.problems.actions(group.group_id)) == 2


def test_a_change_before_the_province_heard_of_the_group_still_refreshes_it(nation, provinces):
    (zhejiang, zj_peers), _ = provinces
    assert zhejiang.province.national_groups_of("r1") == []  # not pulled yet
    changed(zhejiang, zj_peers, renamed(2))
    assert the_group(nation).student("r1").name == "张珊"


def test_a_failing_national_call_commits_nothing_and_the_retried_event_refreshes(
    nation, provinces, monkeypatch
):
    (zhejiang, zj_peers), _ = provinces
    national_inbox.pull_province(lambda: zhejiang, zj_peers.national, "330000", tree=TREE)
    before = the_group(nation)

    def down(*args, **kwargs):
        raise PeerUnavailable("UNAVAILABLE")

    with monkeypatch.context() as m:
        m.setattr(zj_peers.national, "refresh_student", down)
        with pytest.raises(PeerUnavailable):
            changed(zhejiang, zj_peers, renamed(2))
    assert zhejiang.province.record("r1").snapshot_version == 1  # not taken: the bus delivers it again
    assert the_group(nation) == before

    changed(zhejiang, zj_peers, renamed(2))  # the redelivery
    assert the_group(nation).student("r1").name == "张珊"


@pytest.mark.usefixtures("provinces")
def test_a_province_refreshes_only_its_own_records(nation):
    group = the_group(nation)
    own = dataclasses.replace(group.student("r1"), name="张珊")
    as_jiangsu = dataclasses.replace(own, province_code="320000")
    for principal, student in ((JS_SYSTEM, own), (JS_SYSTEM, as_jiangsu)):
        with pytest.raises(PermissionDenied):
            national_problems.refresh_student(
                nation, national_problems.RefreshStudent("", student), principal=principal, tree=TREE
            )
    with pytest.raises(PermissionDenied):  # not a system identity
        national_problems.refresh_student(
            nation,
            national_problems.RefreshStudent("", own),
            principal=Principal("u", Role.DEPARTMENT_REGISTRAR, "330000"),
            tree=TREE,
        )
    assert the_group(nation) == group


@pytest.mark.usefixtures("provinces")
def test_a_repeated_request_id_changes_nothing(nation):
    group = the_group(nation)
    request_id = str(uuid.uuid4())
    first = dataclasses.replace(group.student("r1"), name="张珊")
    ids, did = national_problems.refresh_student(
        nation, national_problems.RefreshStudent(request_id, first), principal=ZJ_SYSTEM, tree=TREE
    )
    assert (ids, did) == ([group.group_id], True)
    again = dataclasses.replace(first, name="张叁")
    assert national_problems.refresh_student(
        nation, national_problems.RefreshStudent(request_id, again), principal=ZJ_SYSTEM, tree=TREE
    ) == ([group.group_id], False)
    assert the_group(nation).student("r1").name == "张珊"
    assert [a.resolution for a in nation.problems.actions(group.group_id)] == [Resolution.REFRESHED.value]


def test_a_record_in_no_national_group_is_not_sent(nation):
    zhejiang, peers = FakeDedupUoW(TREE, hash_key=KEY), FakePeers(nation)
    with zhejiang:
        records.record_created(zhejiang, snapshot("r1"), peers=peers, tree=TREE)
    changed(zhejiang, peers, renamed(2))
    assert "refresh_student" not in peers.national.calls
