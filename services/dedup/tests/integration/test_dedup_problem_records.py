"""Problem records (问题学籍): raised from records, grouped and scoped, listed within a jurisdiction
and resolved over gRPC (corroborate, correct, delete), every step audited and announced. The use cases'
rules on the fakes: tests/unit/test_dedup_problem_use_cases.py."""

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
    record_created,
    resident,
    submitted,
)
from sqlalchemy import select

from xueji.v1 import common_pb2, dedup_pb2, dedup_pb2_grpc, events_pb2
from xueji_common.auth import Role
from xueji_common.datakeys import CORRECTED_NUMBER, DataKeyError
from xueji_common.documents import mask_document_number
from xueji_common.grpcserver.client import bearer
from xueji_common.hashing import document_hash

PASSPORT = "E12345678"
PDF = common_pb2.FileContent(file_name="证明.pdf", content_type="application/pdf", content=b"%PDF-1.4 proof")


@pytest.fixture
def stub(dedup):
    with grpc.insecure_channel(dedup.settings.grpc_address) as channel:
        yield dedup_pb2_grpc.ProblemRecordsStub(channel)


def as_(rt, role, org):
    return bearer(rt.tokens.mint(f"user-{org}", role, org))


def groups(rt, stub, org, role=Role.DEPARTMENT_REGISTRAR):
    return stub.ListProblemGroups(dedup_pb2.ListProblemGroupsRequest(), metadata=as_(rt, role, org)).groups


def shared_document_in_two_schools(rt, second_school=SCHOOL_B):
    """Two records of one passport: the second application failed dedup, but a record exists anyway
    (e.g. registered before the national index knew the first)."""
    first, second = submitted(PASSPORT, doc_type="A"), submitted(PASSPORT, doc_type="A", school=second_school)
    deliver(rt, first)
    deliver(rt, record_created(first, record_id="r1"))
    deliver(rt, record_created(second, record_id="r2"))
    return first, second


def test_a_document_held_by_records_of_two_schools_is_one_group_for_their_county(dedup, stub):
    shared_document_in_two_schools(dedup)
    [raised] = published(dedup, "ProblemRaised")
    assert raised.kind == events_pb2.PROBLEM_KIND_SHARED_DOCUMENT and sorted(raised.record_ids) == [
        "r1",
        "r2",
    ]
    [group] = groups(dedup, stub, "330102")
    assert (group.resolver_level, group.resolver_unit_code) == (common_pb2.ORG_UNIT_LEVEL_COUNTY, "330102")
    assert group.status == dedup_pb2.PROBLEM_GROUP_STATUS_PENDING
    assert {s.document.number for s in group.students} == {"E******78"}
    assert groups(dedup, stub, "330105") == []  # another county
    assert len(groups(dedup, stub, SCHOOL, Role.SCHOOL_REGISTRAR)) == 1  # its schools see it


def test_across_provinces_the_ministry_resolves(dedup, stub):
    shared_document_in_two_schools(dedup, SCHOOL_JS)
    [group] = groups(dedup, stub, "000000")
    assert (group.resolver_level, group.resolver_unit_code) == (common_pb2.ORG_UNIT_LEVEL_MINISTRY, "000000")
    with pytest.raises(grpc.RpcError) as err:  # a province is not above both parties
        stub.ResolveProblemGroup(
            dedup_pb2.ResolveProblemGroupRequest(
                group_id=group.group_id,
                opinion="删除重复",
                resolutions=[
                    dedup_pb2.RecordResolution(
                        record_id="r2", resolution=events_pb2.PROBLEM_RESOLUTION_DELETE
                    )
                ],
            ),
            metadata=as_(dedup, Role.DEPARTMENT_REGISTRAR, "330000"),
        )
    assert err.value.code() == grpc.StatusCode.PERMISSION_DENIED


def test_failed_authentication_of_a_freshman_record_is_the_schools_problem(dedup, stub, people):
    p = people[6]
    app = resident(p, name=p.name + "某", kind=1)
    deliver(dedup, app)
    deliver(dedup, record_created(app, record_id="r9"))
    [raised] = published(dedup, "ProblemRaised")
    assert raised.kind == events_pb2.PROBLEM_KIND_AUTHENTICATION_FAILED
    [group] = groups(dedup, stub, SCHOOL, Role.SCHOOL_REGISTRAR)
    assert group.resolver_level == common_pb2.ORG_UNIT_LEVEL_SCHOOL
    assert group.students[0].reason.startswith("姓名与身份证件号不符")


def test_no_document_students_sharing_name_gender_and_birth_date_in_one_county(dedup, stub):
    a, b = submitted("", doc_type="Z", category=3), submitted("", doc_type="Z", category=3, school=SCHOOL_B)
    c = submitted("", doc_type="Z", category=3, school="1330105001")  # another county: not grouped
    for i, event in enumerate((a, b, c)):
        deliver(dedup, event)
        deliver(dedup, record_created(event, record_id=f"n{i}"))
    [raised] = published(dedup, "ProblemRaised")
    assert raised.kind == events_pb2.PROBLEM_KIND_NO_DOCUMENT_DUPLICATE and sorted(raised.record_ids) == [
        "n0",
        "n1",
    ]


def resolve(rt, stub, group, *resolutions, org="330102", proofs=(PDF,), version=None, opinion="核实后处理"):
    return stub.ResolveProblemGroup(
        dedup_pb2.ResolveProblemGroupRequest(
            group_id=group.group_id,
            opinion=opinion,
            proof_files=list(proofs),
            expected_version=group.version if version is None else version,
            resolutions=[
                dedup_pb2.RecordResolution(record_id=r, resolution=k, corrected_identity=c)
                for r, k, c in resolutions
            ],
        ),
        metadata=as_(rt, Role.DEPARTMENT_REGISTRAR, org),
    )


def test_corroborate_one_delete_the_other_resolves_the_group_with_its_audit(dedup, stub):
    shared_document_in_two_schools(dedup)
    [group] = groups(dedup, stub, "330102")
    done = resolve(
        dedup,
        stub,
        group,
        ("r1", events_pb2.PROBLEM_RESOLUTION_CORROBORATE, None),
        ("r2", events_pb2.PROBLEM_RESOLUTION_DELETE, None),
    )
    assert done.status == dedup_pb2.PROBLEM_GROUP_STATUS_RESOLVED
    detail = stub.GetProblemGroup(
        dedup_pb2.GetProblemGroupRequest(group_id=group.group_id),
        metadata=as_(dedup, Role.DEPARTMENT_REGISTRAR, "330102"),
    )
    stamps = [(h.record_id, h.stamp.org_unit_code, h.stamp.user_id, h.stamp.opinion) for h in detail.history]
    assert stamps == [
        ("r1", "330102", "user-330102", "核实后处理"),
        ("r2", "330102", "user-330102", "核实后处理"),
    ]
    assert detail.history[0].proof_files[0].file_name == "证明.pdf" and detail.history[0].stamp.time.seconds
    resolved = published(dedup, "ProblemResolved")
    assert [(e.record_ids[0], e.resolution) for e in resolved] == [
        ("r1", events_pb2.PROBLEM_RESOLUTION_CORROBORATE),
        ("r2", events_pb2.PROBLEM_RESOLUTION_DELETE),
    ]
    with pytest.raises(grpc.RpcError) as err:
        resolve(dedup, stub, done, ("r1", events_pb2.PROBLEM_RESOLUTION_DELETE, None))
    assert err.value.code() == grpc.StatusCode.FAILED_PRECONDITION  # GROUP_RESOLVED


@pytest.mark.parametrize(
    "case, code",
    [
        # the other refusals of the use case: tests/unit/test_dedup_problem_use_cases.py
        ("stale_version", grpc.StatusCode.ABORTED),
        ("no_proof", grpc.StatusCode.INVALID_ARGUMENT),
        ("school_registrar", grpc.StatusCode.PERMISSION_DENIED),
    ],
)
def test_refused_steps_write_nothing(dedup, stub, case, code):
    shared_document_in_two_schools(dedup)
    [group] = groups(dedup, stub, "330102")
    delete, keep = events_pb2.PROBLEM_RESOLUTION_DELETE, events_pb2.PROBLEM_RESOLUTION_CORROBORATE
    calls = {
        "delete_all": lambda: resolve(dedup, stub, group, ("r1", delete, None), ("r2", delete, None)),
        "stale_version": lambda: resolve(dedup, stub, group, ("r1", keep, None), version=group.version + 1),
        "no_proof": lambda: resolve(dedup, stub, group, ("r1", keep, None), proofs=()),
        "not_in_group": lambda: resolve(dedup, stub, group, ("r7", keep, None)),
        "school_registrar": lambda: stub.ResolveProblemGroup(
            dedup_pb2.ResolveProblemGroupRequest(
                group_id=group.group_id,
                opinion="x",
                resolutions=[dedup_pb2.RecordResolution(record_id="r2", resolution=delete)],
            ),
            metadata=as_(dedup, Role.SCHOOL_REGISTRAR, SCHOOL),
        ),
    }
    with pytest.raises(grpc.RpcError) as err:
        calls[case]()
    assert err.value.code() == code
    assert published(dedup, "ProblemResolved") == []
    [after] = groups(dedup, stub, "330102")
    assert after.version == group.version and after.status == dedup_pb2.PROBLEM_GROUP_STATUS_PENDING


def test_a_correction_is_authenticated_again(dedup, stub, people):
    p = people[7]
    app = resident(p, name=p.name + "某", kind=1)
    deliver(dedup, app)
    deliver(dedup, record_created(app, record_id="r9"))
    [group] = groups(dedup, stub, SCHOOL, Role.SCHOOL_REGISTRAR)
    wrong = common_pb2.StudentIdentity(
        name=p.name + "乙",
        document=common_pb2.IdentityDocument(type=common_pb2.DOCUMENT_TYPE_RESIDENT_ID, number=p.resident_id),
    )
    failed = resolve(dedup, stub, group, ("r9", events_pb2.PROBLEM_RESOLUTION_CORRECT, wrong), org="330102")
    assert failed.students[0].status == dedup_pb2.PROBLEM_STUDENT_STATUS_CORRECTION_FAILED
    assert (
        failed.status == dedup_pb2.PROBLEM_GROUP_STATUS_PENDING and published(dedup, "ProblemResolved") == []
    )
    right = common_pb2.StudentIdentity(name=p.name, document=wrong.document)
    done = resolve(dedup, stub, failed, ("r9", events_pb2.PROBLEM_RESOLUTION_CORRECT, right), org="330102")
    assert done.students[0].status == dedup_pb2.PROBLEM_STUDENT_STATUS_CORRECTED
    assert done.status == dedup_pb2.PROBLEM_GROUP_STATUS_RESOLVED
    [resolved] = published(dedup, "ProblemResolved")
    assert resolved.corrected_identity.name == p.name
    assert resolved.corrected_identity.document.number == mask_document_number(p.resident_id)
    # Sealed with the deployment's data key for that field only; its keyed hash stays the index.
    ring = dedup.settings.data_keyring()
    assert ring.decrypt(resolved.corrected_document_number_sealed, CORRECTED_NUMBER) == p.resident_id
    with pytest.raises(DataKeyError):
        ring.decrypt(resolved.corrected_document_number_sealed, "applications.document_number")
    assert resolved.corrected_document_hash == document_hash(HASH_KEY, "1", p.resident_id)
    with dedup.session_factory() as s:  # the envelopes as they cross the bus: no number in clear
        bodies = s.execute(select(dedup.spec.outbox.c.envelope)).scalars().all()
    assert [b for b in bodies if p.resident_id.encode() in bytes(b)] == []
    passed = published(dedup, "DedupCompleted")[-1]
    assert (passed.application_id, passed.outcome) == (
        app.application.application_id,
        events_pb2.DEDUP_OUTCOME_PASSED,
    )
