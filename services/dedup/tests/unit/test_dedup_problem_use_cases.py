"""Problem records (问题学籍) on the fakes (tests/unit/dedup_fakes.py): raised from records, grouped and
scoped, resolved (corroborate, correct, delete) with every step audited and announced, refused steps
writing nothing. Over the bus, SQL and gRPC: tests/integration/test_dedup_problem_records.py."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest
from dedup_fake_peers import FakePeers, Person
from dedup_fakes import FakeDedupUoW

from xueji.v1 import events_pb2
from xueji_common.auth import Principal, Role
from xueji_common.datakeys import CORRECTED_NUMBER
from xueji_common.documents import mask_document_number
from xueji_common.errors import (
    ConcurrentModification,
    InvalidArgument,
    NotFound,
    PermissionDenied,
    PreconditionFailed,
    Unavailable,
)
from xueji_common.hashing import document_hash
from xueji_common.orgunits import load_default_tree
from xueji_dedup.domain.problems import GroupStatus, ProblemKind, Resolution, StudentStatus
from xueji_dedup.service_layer import problems, province, records
from xueji_dedup.service_layer.ports import ClearNumber

TREE = load_default_tree()
KEY = "test-hash-key"
SCHOOL = "1330102001"  # 浙江省杭州市上城区胜利小学
SCHOOL_B = "1330102002"  # the same county
PASSPORT = "E12345678"
RESIDENT = "330102201506011236"
ZHANG = Person("张三", 1, dt.date(2015, 6, 1))
COUNTY_REGISTRAR = Principal("user-330102", Role.DEPARTMENT_REGISTRAR, "330102")
PDF = problems.ProofFile("证明.pdf", "application/pdf", b"%PDF-1.4 proof")


@pytest.fixture
def nation() -> FakeDedupUoW:
    return FakeDedupUoW(TREE, scope="national", hash_key=KEY)


@pytest.fixture
def peers(nation) -> FakePeers:
    peers = FakePeers(nation)
    peers.register.people[RESIDENT] = ZHANG
    return peers


@pytest.fixture
def uow() -> FakeDedupUoW:
    return FakeDedupUoW(TREE, hash_key=KEY)


def snapshot(
    record_id: str,
    *,
    number: str = PASSPORT,
    doc_type: str = "A",
    category: str = "hmt_foreign",
    school: str = SCHOOL,
    person: Person = ZHANG,
    application_id: str = "",
) -> records.RecordSnapshot:
    return records.RecordSnapshot(
        record_id=record_id,
        application_id=application_id or str(uuid.uuid4()),
        school_code=school,
        province_code=school[1:3] + "0000",
        category=category,
        document_type=doc_type,
        document_hash=document_hash(KEY, doc_type, number) if number else "",
        document_masked=mask_document_number(number),
        national_student_number=f"L{school[1:7]}20150601{record_id[-4:]:0>4}",
        temporary_number=True,
        name=person.name,
        gender=person.gender,
        birth_date=person.birth_date,
        version=1,
    )


def created(uow: FakeDedupUoW, peers: FakePeers, rec: records.RecordSnapshot) -> list:
    with uow:
        uow.claim_event(str(uuid.uuid4()), "dedup", "StudentRecordCreated")
        return records.record_created(uow, rec, peers=peers, tree=TREE)


def shared_document_in_two_schools(uow: FakeDedupUoW, peers: FakePeers) -> str:
    created(uow, peers, snapshot("r1"))
    [group] = created(uow, peers, snapshot("r2", school=SCHOOL_B))
    return group.group_id


def resolve(uow, peers, group_id, *steps, version=0, proofs=(PDF,), who=COUNTY_REGISTRAR):
    return problems.resolve_group(
        uow,
        group_id,
        [
            problems.RecordResolution(record_id, resolution, corrected)
            for record_id, resolution, corrected in steps
        ],
        "核实后处理",
        list(proofs),
        version,
        principal=who,
        tree=TREE,
        peers=peers,
    )


def test_a_document_held_by_records_of_two_schools_is_one_group_for_their_county(uow, peers):
    group_id = shared_document_in_two_schools(uow, peers)
    group = uow.problems.get(group_id)
    assert (group.kind, group.resolver_level, group.resolver_unit_code) == (
        ProblemKind.SHARED_DOCUMENT,
        4,
        "330102",
    )
    assert [s.record_id for s in group.students] == ["r1", "r2"]
    [raised] = uow.events("ProblemRaised")
    assert sorted(raised.record_ids) == ["r1", "r2"]


def test_no_document_students_sharing_name_gender_and_birth_date_in_one_county(uow, peers):
    for record_id, school in (("r1", SCHOOL), ("r2", SCHOOL_B)):
        created(
            uow, peers, snapshot(record_id, number="", doc_type="Z", category="no_document", school=school)
        )
    [group] = uow.problems.groups.values()
    assert group.kind is ProblemKind.NO_DOCUMENT_DUPLICATE and len(group.students) == 2
    assert peers.national.calls == []  # no document: nothing held nationally


def test_failed_authentication_of_a_freshman_record_is_the_schools_problem(uow, peers):
    app = province.Submitted(
        str(uuid.uuid4()), 1, SCHOOL, "primary_freshman", "resident", "1",
        document_hash(KEY, "1", RESIDENT), mask_document_number(RESIDENT), "张三某", 1, ZHANG.birth_date,
    )  # fmt: skip
    peers.registration.applications[app.application_id] = ClearNumber(RESIDENT, 1, 0)
    with uow:
        province.application_submitted(uow, app, peers=peers, tree=TREE, retry_delays=())
    rec = snapshot(
        "r9", number=RESIDENT, doc_type="1", category="resident", application_id=app.application_id,
        person=Person("张三某", 1, ZHANG.birth_date),
    )  # fmt: skip
    [group] = created(uow, peers, rec)
    assert (group.kind, group.resolver_level, group.resolver_unit_code) == (
        ProblemKind.AUTHENTICATION_FAILED,
        5,
        SCHOOL,
    )
    assert group.students[0].reason.startswith("姓名与身份证件号不符")


def test_corroborate_one_delete_the_other_resolves_the_group_with_its_audit(uow, peers, nation):
    group_id = shared_document_in_two_schools(uow, peers)
    done = resolve(
        uow, peers, group_id, ("r1", Resolution.CORROBORATE, None), ("r2", Resolution.DELETE, None)
    )
    assert done.status is GroupStatus.RESOLVED and uow.problems.get(group_id).version == 2
    stamps = [(a.record_id, a.org_unit_code, a.user_id, a.opinion) for a in uow.problems.actions(group_id)]
    assert stamps == [
        ("r1", "330102", "user-330102", "核实后处理"),
        ("r2", "330102", "user-330102", "核实后处理"),
    ]
    assert [p.file_name for p in uow.problems.proofs(group_id)] == ["证明.pdf"]
    assert [(e.record_ids[0], e.resolution) for e in uow.events("ProblemResolved")] == [
        ("r1", events_pb2.PROBLEM_RESOLUTION_CORROBORATE),
        ("r2", events_pb2.PROBLEM_RESOLUTION_DELETE),
    ]
    assert uow.province.record_holdings("A", document_hash(KEY, "A", PASSPORT)) != []  # r1 still holds it
    assert [h.holder_id for h in uow.province.record_holdings("A", document_hash(KEY, "A", PASSPORT))] == [
        "r1"
    ]
    with pytest.raises(PreconditionFailed):  # GROUP_RESOLVED
        resolve(uow, peers, group_id, ("r1", Resolution.DELETE, None))


@pytest.mark.parametrize(
    ("case", "refusal"),
    [
        ("delete_all", PreconditionFailed),
        ("stale_version", ConcurrentModification),
        ("no_proof", InvalidArgument),
        ("not_in_group", InvalidArgument),
        ("school_registrar", PermissionDenied),
        ("no_such_group", NotFound),
    ],
)
def test_refused_steps_write_nothing(uow, peers, case, refusal):
    group_id = shared_document_in_two_schools(uow, peers)
    before = uow.problems.get(group_id)
    delete, keep = Resolution.DELETE, Resolution.CORROBORATE
    calls = {
        "delete_all": lambda: resolve(uow, peers, group_id, ("r1", delete, None), ("r2", delete, None)),
        "stale_version": lambda: resolve(
            uow, peers, group_id, ("r1", keep, None), version=before.version + 1
        ),
        "no_proof": lambda: resolve(uow, peers, group_id, ("r1", keep, None), proofs=()),
        "not_in_group": lambda: resolve(uow, peers, group_id, ("r7", keep, None)),
        "school_registrar": lambda: resolve(
            uow, peers, group_id, ("r2", delete, None), who=Principal("u", Role.SCHOOL_REGISTRAR, SCHOOL)
        ),
        "no_such_group": lambda: resolve(uow, peers, "g-none", ("r1", keep, None)),
    }
    with pytest.raises(refusal):
        calls[case]()
    assert uow.events("ProblemResolved") == [] and uow.problems.actions(group_id) == []
    after = uow.problems.get(group_id)
    assert (after.version, after.status) == (before.version, GroupStatus.PENDING)


def corrected(name: str) -> problems.CorrectedIdentity:
    return problems.CorrectedIdentity(
        name, 1, ZHANG.birth_date, "1", RESIDENT, document_hash(KEY, "1", RESIDENT)
    )


def failed_authentication(uow: FakeDedupUoW, peers: FakePeers) -> str:
    test_failed_authentication_of_a_freshman_record_is_the_schools_problem(uow, peers)
    [group] = uow.problems.groups.values()
    return group.group_id


def test_a_correction_is_authenticated_again(uow, peers):
    group_id = failed_authentication(uow, peers)
    failed = resolve(uow, peers, group_id, ("r9", Resolution.CORRECT, corrected("张三乙")))
    assert (
        failed.students[0].status is StudentStatus.CORRECTION_FAILED and failed.status is GroupStatus.PENDING
    )
    assert uow.events("ProblemResolved") == []
    done = resolve(uow, peers, group_id, ("r9", Resolution.CORRECT, corrected("张三")))
    assert done.students[0].status is StudentStatus.CORRECTED and done.status is GroupStatus.RESOLVED
    [resolved] = uow.events("ProblemResolved")
    assert resolved.corrected_identity.name == "张三"
    assert resolved.corrected_identity.document.number == mask_document_number(RESIDENT)
    assert uow.data_keys.decrypt(resolved.corrected_document_number_sealed, CORRECTED_NUMBER) == RESIDENT
    assert [e.outcome for e in uow.events("DedupCompleted")][-1] == events_pb2.DEDUP_OUTCOME_PASSED
    [action] = [a for a in uow.problems.actions(group_id) if a.corrected_name == "张三"]
    assert action.corrected_document_masked == mask_document_number(RESIDENT)  # never the clear number


def test_a_correction_while_the_register_is_down_is_refused_as_unavailable_and_writes_nothing(uow, peers):
    group_id = failed_authentication(uow, peers)
    peers.register.down_for = 1
    with pytest.raises(Unavailable):
        resolve(uow, peers, group_id, ("r9", Resolution.CORRECT, corrected("张三")))
    assert uow.problems.actions(group_id) == [] and uow.problems.get(group_id).version == 1


def test_groups_are_listed_within_the_callers_area_only(uow, peers):
    shared_document_in_two_schools(uow, peers)
    query = problems.ListQuery("330102")
    listed, total = problems.list_groups(uow, query, principal=COUNTY_REGISTRAR, tree=TREE)
    assert total == 1 and listed[0].students[0].record_id == "r1"
    elsewhere = Principal("u", Role.DEPARTMENT_REGISTRAR, "330105")
    with pytest.raises(PermissionDenied):
        problems.list_groups(uow, problems.ListQuery("330102"), principal=elsewhere, tree=TREE)
    assert problems.list_groups(uow, problems.ListQuery("330105"), principal=elsewhere, tree=TREE) == ([], 0)


def test_a_record_change_that_leaves_identity_alone_keeps_the_group_version(uow, peers):
    group_id = shared_document_in_two_schools(uow, peers)
    again = snapshot("r1")
    with uow:
        records.record_changed(
            uow, again.__class__(**{**again.__dict__, "version": 2}), peers=peers, tree=TREE
        )
    assert uow.problems.get(group_id).version == 1
    renamed = {**again.__dict__, "version": 3, "name": "张叁"}
    with uow:
        records.record_changed(uow, records.RecordSnapshot(**renamed), peers=peers, tree=TREE)
    group = uow.problems.get(group_id)
    assert group.version == 2 and group.student("r1").name == "张叁"
