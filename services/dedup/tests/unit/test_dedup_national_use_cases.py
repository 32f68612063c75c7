"""The national tier's use cases on the fakes (tests/unit/dedup_fakes.py): reservations, record
holdings, student numbers, the holdings load, and cross-province groups living at the nation and
heard by each province through its deliveries. Over gRPC, SQL and two processes:
tests/integration/test_dedup_surface.py and test_dedup_national_view.py."""

from __future__ import annotations

import datetime as dt
import random

import pytest
from dedup_fake_peers import FakeHoldingsReader, FakePeers
from dedup_fakes import FakeDataKeys, FakeDedupUoW
from test_dedup_problem_use_cases import PDF, resolve, snapshot

from xueji_common.auth import Principal, Role
from xueji_common.datakeys import CORRECTED_NUMBER
from xueji_common.errors import AlreadyExists, InvalidArgument, NotFound, PermissionDenied
from xueji_common.hashing import document_hash
from xueji_common.orgunits import load_default_tree
from xueji_dedup.domain import numbers
from xueji_dedup.domain.checks import HoldingKind
from xueji_dedup.domain.problems import (
    GroupStatus,
    ProblemKind,
    ProblemStudent,
    Resolution,
    RuleRefused,
    school_chain,
)
from xueji_dedup.service_layer import (
    bulk_holdings,
    national,
    national_inbox,
    national_problems,
    problems,
    records,
    rotation,
)
from xueji_dedup.service_layer.bulk_holdings import HoldingColumns

TREE = load_default_tree()
KEY = "test-hash-key"
SCHOOL = "1330102001"  # 浙江省杭州市上城区胜利小学
SCHOOL_JS = "1320102001"  # 江苏省
H = "a" * 64
MINISTRY = Principal("ministry-user", Role.DEPARTMENT_REGISTRAR, "000000")


@pytest.fixture
def nation() -> FakeDedupUoW:
    return FakeDedupUoW(TREE, scope="national", hash_key=KEY, data_keys=FakeDataKeys("nation"))


def reserve(nation: FakeDedupUoW, application_id: str, document: str = H) -> national.Reservation:
    return national.reserve_identity(
        nation, national.ReserveIdentity("A", document, application_id, "330000", SCHOOL)
    )


def test_reservation_life_cycle(nation):
    first = reserve(nation, "a1")
    assert reserve(nation, "a1").reservation_id == first.reservation_id  # idempotent
    with pytest.raises(national.HeldElsewhere) as held:
        reserve(nation, "a2")
    assert (held.value.holding.kind, held.value.holding.school_code) == (HoldingKind.RESERVATION, SCHOOL)
    [holding] = national.check_document(FakeHoldingsReader(nation.national), "A", H)
    assert holding.kind is HoldingKind.RESERVATION
    committed = national.commit_reservation(nation, first.reservation_id, "r1", "L33010220150601****")
    assert committed.state == "committed"
    assert national.commit_reservation(nation, first.reservation_id, "r1", "x").record_id == "r1"  # again
    with pytest.raises(RuleRefused):
        national.commit_reservation(nation, first.reservation_id, "r2", "x")
    with pytest.raises(RuleRefused):
        national.release_reservation(nation, first.reservation_id, "WITHDRAWN")
    with pytest.raises(national.HeldElsewhere) as held:
        reserve(nation, "a3")
    assert held.value.holding.kind is HoldingKind.RECORD  # the record holds it now
    with pytest.raises(NotFound):
        national.release_reservation(nation, "no-such-reservation", "WITHDRAWN")


def test_a_released_or_lapsed_reservation_frees_the_document(nation):
    first = reserve(nation, "a1")
    assert national.release_reservation(nation, first.reservation_id, "WITHDRAWN").state == "released"
    second = reserve(nation, "a2")
    nation.national.reservations[second.reservation_id].expire_time = dt.datetime(2020, 1, 1, tzinfo=dt.UTC)
    nation.commit()  # as if stored so
    assert reserve(nation, "a3").application_id == "a3"
    states = sorted(r.state for r in nation.national.reservations.values())
    assert states == ["active", "expired", "released"]


def test_student_numbers_are_unique_and_idempotent_per_owner(nation):
    def number(kind: numbers.NumberKind, owner: str, **kw: object) -> str:
        cmd = national.ReserveNumber(kind, owner, **kw)  # type: ignore[arg-type]
        return national.reserve_student_number(nation, cmd, KEY, random.Random(7))

    birth = dt.date(2015, 6, 1)
    temporary = number(numbers.NumberKind.TEMPORARY, "r1", division_code="330102", birth_date=birth)
    assert temporary.startswith("L33010220150601") and len(temporary) == 19
    assert number(numbers.NumberKind.TEMPORARY, "r1", division_code="330102", birth_date=birth) == temporary
    provincial = number(numbers.NumberKind.PROVINCIAL, "r2", division_code="330102", birth_date=birth)
    assert provincial[:18] == "J33010220150601001"
    formal = number(numbers.NumberKind.FORMAL, "r3", resident_id="330102201506011236")
    assert formal == "G330102201506011236"
    with pytest.raises(AlreadyExists):
        number(numbers.NumberKind.FORMAL, "r4", resident_id="330102201506011236")
    with pytest.raises(InvalidArgument):
        number(numbers.NumberKind.TEMPORARY, "r5", division_code="330102")


def test_a_formal_number_kept_under_an_old_key_is_keyed_anew_for_its_owner(nation):
    cmd = national.ReserveNumber(numbers.NumberKind.FORMAL, "r3", resident_id="330102201506011236")
    national.reserve_student_number(nation, cmd, "old-key")
    assert national.reserve_student_number(nation, cmd, KEY) == "G330102201506011236"
    [kept] = nation.national.numbers.values()
    assert kept.number_hash == document_hash(KEY, "NSN", "G330102201506011236")


def register(nation: FakeDedupUoW, record_id: str, document: str = H, application_id: str = "") -> list:
    cmd = national.RegisterRecord(record_id, "A", document, application_id, "330000", SCHOOL, "L1")
    return national.register_record(nation, cmd)


def test_a_registered_record_answers_with_the_documents_other_holders(nation):
    assert register(nation, "r1") == []
    [other] = register(nation, "r2")
    assert (other.kind, other.holder_id) == (HoldingKind.RECORD, "r1")
    assert national.unregister_record(nation, "r1", "DELETED") is True
    assert register(nation, "r2") == []


def test_a_corrected_record_takes_its_committed_reservation_along(nation):
    first = reserve(nation, "a1")
    national.commit_reservation(nation, first.reservation_id, "r1", "L1")
    register(nation, "r1", application_id="a1")
    register(nation, "r1", document="b" * 64, application_id="a1")  # the document was corrected
    moved = nation.national.reservation(first.reservation_id)
    assert (moved.state, moved.document_hash) == ("committed", "b" * 64)
    assert reserve(nation, "a2").application_id == "a2"  # the old document is free


def test_check_documents_answers_in_the_order_asked_without_the_callers_own_application(nation):
    reserve(nation, "a1")
    asked = [
        national.DocumentCheck("A", "b" * 64),
        national.DocumentCheck("A", H),
        national.DocumentCheck("A", H, "a1"),
    ]
    answers = national.check_documents(FakeHoldingsReader(nation.national), asked)
    assert [len(a) for a in answers] == [0, 1, 0]
    with pytest.raises(InvalidArgument):
        national.check_documents(FakeHoldingsReader(nation.national), asked * 200)


def columns(*record_ids: str, document_hashes: list[str] | None = None) -> HoldingColumns:
    n = len(record_ids)
    return HoldingColumns(
        list(record_ids), ["A"] * n, document_hashes or [H] * n, ["330000"] * n, [SCHOOL] * n, ["L1"] * n
    )


def test_the_holdings_load_writes_every_batch_or_nothing(nation):
    assert bulk_holdings.load_holdings(nation, [columns("r1"), columns("r2", "r3")]) == 3
    assert sorted(nation.national.records) == ["r1", "r2", "r3"]
    with pytest.raises(InvalidArgument) as bad:
        bulk_holdings.load_holdings(nation, [columns("r4"), columns("r5", document_hashes=["not-a-hash"])])
    assert [v.field for v in bad.value.violations] == ["batches[1].document_hashes"]
    assert "r4" not in nation.national.records


# -- cross-province groups: their one home is the nation ------------------------------------------


@pytest.fixture
def provinces(nation):
    """浙江 and 江苏 tiers, each its own database and data key, both reaching `nation`."""
    zhejiang = FakeDedupUoW(TREE, hash_key=KEY, data_keys=FakeDataKeys("zhejiang"))
    jiangsu = FakeDedupUoW(TREE, hash_key=KEY, data_keys=FakeDataKeys("jiangsu"))
    return (zhejiang, FakePeers(nation)), (jiangsu, FakePeers(nation))


def created(uow: FakeDedupUoW, peers: FakePeers, rec: records.RecordSnapshot) -> list:
    with uow:
        return records.record_created(uow, rec, peers=peers, tree=TREE)


def pull(uow: FakeDedupUoW, peers: FakePeers, province_code: str) -> int:
    return national_inbox.pull_province(lambda: uow, peers.national, province_code, tree=TREE)


def test_a_cross_province_group_lives_at_the_nation_and_every_province_hears_it(nation, provinces):
    (zhejiang, zj_peers), (jiangsu, js_peers) = provinces
    created(zhejiang, zj_peers, snapshot("r1"))
    assert created(jiangsu, js_peers, snapshot("r2", school=SCHOOL_JS)) == []  # raised at the nation
    [group] = nation.problems.groups.values()
    assert (group.resolver_level, sorted(s.province_code for s in group.students)) == (
        1,
        ["320000", "330000"],
    )
    assert zhejiang.problems.groups == {} and jiangsu.problems.groups == {}
    assert (pull(zhejiang, zj_peers, "330000"), pull(jiangsu, js_peers, "320000")) == (1, 1)
    for tier in (zhejiang, jiangsu):
        [raised] = tier.events("ProblemRaised")
        assert raised.problem_group_id == group.group_id and sorted(raised.record_ids) == ["r1", "r2"]
    assert pull(zhejiang, zj_peers, "330000") == 0  # the cursor moved: nothing twice

    resolve(
        nation,
        js_peers,
        group.group_id,
        ("r1", Resolution.DELETE, None),
        ("r2", Resolution.CORROBORATE, None),
        who=MINISTRY,
    )
    assert sorted(nation.national.records) == ["r2"]  # 浙江's deleted record gave up its holding at once
    assert (pull(zhejiang, zj_peers, "330000"), pull(jiangsu, js_peers, "320000")) == (2, 2)
    assert [tuple(e.record_ids) for e in zhejiang.events("ProblemResolved")] == [("r1",), ("r2",)]
    assert zhejiang.province.national_groups_of("r1", status="deleted") == [group.group_id]


def test_a_delivery_taken_again_after_a_crash_is_republished_once(nation, provinces):
    (zhejiang, zj_peers), (jiangsu, js_peers) = provinces
    created(zhejiang, zj_peers, snapshot("r1"))
    created(jiangsu, js_peers, snapshot("r2", school=SCHOOL_JS))
    rows = national_problems.pull(nation, "330000", 0, 10)
    assert national_inbox.take(zhejiang, "330000", rows, tree=TREE) == 1
    zhejiang.deliveries.cursors.clear()  # as if the cursor's move were lost: the inbox still knows
    zhejiang.commit()
    assert national_inbox.take(zhejiang, "330000", rows, tree=TREE) == 0
    assert len(zhejiang.events("ProblemRaised")) == 1


def student(record_id: str, school: str) -> ProblemStudent:
    chain = school_chain(TREE, school, school[1:3] + "0000")
    return ProblemStudent(record_id, "", "L1", True, "张三", 1, None, "A", "E******78", **chain)


def test_two_provinces_raising_one_key_meet_on_one_national_group(nation):
    first = national_problems.RaiseGroup(ProblemKind.SHARED_DOCUMENT, H, [student("r1", SCHOOL)], "x")
    second = national_problems.RaiseGroup(ProblemKind.SHARED_DOCUMENT, H, [student("r2", SCHOOL_JS)], "x")
    one, changed = national_problems.raise_group(nation, first, tree=TREE)
    other, changed_again = national_problems.raise_group(nation, second, tree=TREE)
    assert one.group_id == other.group_id and changed and changed_again
    assert national_problems.raise_group(nation, second, tree=TREE)[1] is False  # a repeat changes nothing
    assert len(nation.problems.groups) == 1 and nation.problems.get(one.group_id).version == 2


SCHOOL_SH = "1310101001"  # 上海市: a school outside the demo tree, its province as raised


def test_the_ministry_narrows_the_nations_groups_to_one_province(nation):
    def raised(key: str, *students: ProblemStudent) -> str:
        cmd = national_problems.RaiseGroup(ProblemKind.SHARED_DOCUMENT, key, list(students), "x")
        return national_problems.raise_group(nation, cmd, tree=TREE)[0].group_id

    zj_js = raised(H, student("r1", SCHOOL), student("r2", SCHOOL_JS))
    js_sh = raised("b" * 64, student("r3", SCHOOL_JS), student("r4", SCHOOL_SH))

    def listed(province_code: str, **filters: object) -> list[str]:
        q = problems.ListQuery("000000", province_code=province_code, **filters)  # type: ignore[arg-type]
        groups, total = problems.list_groups(nation, q, principal=MINISTRY, tree=TREE)
        assert total == len(groups)
        return [g.group_id for g in groups]

    assert listed("") == [zj_js, js_sh]  # every province
    assert listed("330000") == [zj_js]  # 江苏 and 上海's group is not 浙江's
    assert listed("320000") == [zj_js, js_sh]
    assert listed("310000") == [js_sh]  # a province outside the tree, by its students' code
    assert listed("110000") == []
    assert listed("330000", statuses=(GroupStatus.RESOLVED,)) == []  # with the other filters
    for not_a_province in ("330100", "000000", "33", "abcdef"):
        with pytest.raises(InvalidArgument) as refused:
            listed(not_a_province)
        assert [v.field for v in refused.value.violations] == ["province_code"]
    with pytest.raises(PermissionDenied):  # the filter widens no one's area
        problems.list_groups(
            nation,
            problems.ListQuery("000000", province_code="330000"),
            principal=Principal("zj", Role.DEPARTMENT_REGISTRAR, "330000"),
            tree=TREE,
        )


def test_a_correction_at_the_nation_reaches_only_the_province_holding_the_record_opened(nation, provinces):
    (zhejiang, zj_peers), (jiangsu, js_peers) = provinces
    created(zhejiang, zj_peers, snapshot("r1"))
    created(jiangsu, js_peers, snapshot("r2", school=SCHOOL_JS))
    [group] = nation.problems.groups.values()
    sealed = nation.data_keys.encrypt("E76543210", CORRECTED_NUMBER)
    payload = _resolved(group.group_id, "r1", sealed)
    with nation:
        nation.deliveries.append("330000", "ProblemResolved", payload, dt.datetime.now(dt.UTC))
        nation.deliveries.append("320000", "ProblemResolved", payload, dt.datetime.now(dt.UTC))
        nation.commit()
    [for_zhejiang] = [
        d for d in national_problems.pull(nation, "330000", 0, 10) if d.event_type == "ProblemResolved"
    ]
    [for_jiangsu] = [
        d for d in national_problems.pull(nation, "320000", 0, 10) if d.event_type == "ProblemResolved"
    ]
    assert (for_zhejiang.corrected_number, for_jiangsu.corrected_number) == ("E76543210", "")
    national_inbox.take(zhejiang, "330000", [for_zhejiang], tree=TREE)
    [heard] = zhejiang.events("ProblemResolved")
    assert zhejiang.data_keys.decrypt(heard.corrected_document_number_sealed, CORRECTED_NUMBER) == "E76543210"


def _resolved(group_id: str, record_id: str, sealed: str) -> bytes:
    from xueji.v1 import events_pb2

    return events_pb2.ProblemResolved(
        problem_group_id=group_id, record_ids=[record_id], corrected_document_number_sealed=sealed
    ).SerializeToString()


def test_a_province_pulls_only_its_own_deliveries(nation):
    zhejiang_system = Principal("dedup-zj", Role.SYSTEM, "330000")
    assert national_problems.province_to_pull(zhejiang_system, TREE, "") == "330000"
    with pytest.raises(PermissionDenied):
        national_problems.province_to_pull(zhejiang_system, TREE, "320000")
    assert (
        national_problems.province_to_pull(Principal("n", Role.SYSTEM, "000000"), TREE, "320000") == "320000"
    )


def test_a_group_resolved_at_the_nation_is_closed(nation, provinces):
    (zhejiang, zj_peers), (jiangsu, js_peers) = provinces
    created(zhejiang, zj_peers, snapshot("r1"))
    created(jiangsu, js_peers, snapshot("r2", school=SCHOOL_JS))
    [group] = nation.problems.groups.values()
    done = resolve(
        nation,
        js_peers,
        group.group_id,
        ("r1", Resolution.CORROBORATE, None),
        ("r2", Resolution.CORROBORATE, None),
        who=MINISTRY,
        proofs=(PDF,),
    )
    assert done.status is GroupStatus.RESOLVED


def test_a_rotation_rekeys_the_numbers_kept_in_clear_and_a_dry_run_keeps_nothing(nation):
    birth = dt.date(2015, 6, 1)
    cmd = national.ReserveNumber(numbers.NumberKind.TEMPORARY, "r1", division_code="330102", birth_date=birth)
    number = national.reserve_student_number(nation, cmd, "old-key", random.Random(7))
    since = dt.datetime.now(dt.UTC) + dt.timedelta(seconds=1)
    counts = rotation.rekey_and_purge(nation, since, dry_run=True)
    assert counts["student_numbers rekeyed"] == 1
    assert list(nation.national.numbers) == [document_hash("old-key", "NSN", number)]  # rolled back
    rotation.rekey_and_purge(nation, since)
    assert list(nation.national.numbers) == [document_hash(KEY, "NSN", number)]
    assert rotation.rekey_and_purge(nation, since)["student_numbers rekeyed"] == 0  # a second run: nothing
