"""Special education over gRPC on PostgreSQL: candidates from record events, add and maintain the
information with its rules, lists, and who may do what."""

from __future__ import annotations

import grpc
import pytest
from google.protobuf.field_mask_pb2 import FieldMask

from xueji.v1 import common_pb2, events_pb2, special_ed_pb2_grpc
from xueji.v1 import special_ed_pb2 as se
from xueji_common.auth import Role
from xueji_common.datakeys import is_encrypted
from xueji_common.documents import mask_document_number, resident_id_check_digit
from xueji_common.grpcserver.client import bearer
from xueji_common.grpcserver.errors import field_violations
from xueji_common.grpcserver.server import GrpcServer
from xueji_common.hashing import document_hash
from xueji_common.messaging.envelope import new_envelope
from xueji_common.testing.bus import consumer_of
from xueji_common.testing.infra import free_port
from xueji_common.testing.numbers import sealed
from xueji_special_ed.spec import SPEC

SCHOOL, OTHER_SCHOOL = "1330102001", "1330105001"
ID = "33010220150601123X"


@pytest.fixture
def runtime(service_runtime):
    return service_runtime(SPEC)


@pytest.fixture
def address(runtime):
    """special-ed served over a real socket; its address."""
    address = f"127.0.0.1:{free_port()}"
    server = GrpcServer(SPEC.grpc_bindings(runtime), address, runtime.tokens)
    server.start()
    yield address
    server.stop(grace=0)


@pytest.fixture
def stub(address):
    with grpc.insecure_channel(address) as channel:
        yield special_ed_pb2_grpc.SpecialEdStub(channel)


@pytest.fixture
def auth(runtime):
    def make(role=Role.SCHOOL_REGISTRAR, org=SCHOOL):
        return bearer(runtime.tokens.mint("u1", role, org))

    return make


def record(
    runtime,
    record_id="r1",
    disability="视力残疾",
    school=SCHOOL,
    version=1,
    name="张三",
    number=ID,
    created=True,
    **kw,
) -> str:
    snap = events_pb2.StudentRecordSnapshot(
        record_id=record_id,
        **sealed("G" + number),
        school_code=school,
        name=name,
        gender=1,
        birth_date=common_pb2.Date(year=2015, month=6, day=1),
        document_type=common_pb2.DOCUMENT_TYPE_RESIDENT_ID,
        disability_type=disability,
        version=version,
        enrolment_status=events_pb2.ENROLMENT_STATUS_ENROLLED,
        document_number_masked=mask_document_number(number),  # registration sends the hash, never the number
        document_hash=document_hash(runtime.settings.hash_key, "1", number),
        **kw,
    )
    cls = events_pb2.StudentRecordCreated if created else events_pb2.StudentRecordChanged
    envelope = new_envelope(cls(record=snap), producer="registration", aggregate_id=record_id)
    consumer = consumer_of(runtime, envelope.type)
    return consumer(envelope.SerializeToString())


def new_info(record_id="r1", **kw) -> se.SpecialEdInfo:
    values = dict(
        record_id=record_id,
        disability_type=common_pb2.DISABILITY_TYPE_VISUAL,
        proof_type=se.DISABILITY_PROOF_TYPE_CERTIFICATE,
        degree=se.DISABILITY_DEGREE_GRADE_2,
        certificate_number=ID + "12",
        inclusive_education=common_pb2.INCLUSIVE_EDUCATION_VISUAL,
    )
    values.update(kw)
    return se.SpecialEdInfo(**values)


def refused(call) -> grpc.RpcError:
    with pytest.raises(grpc.RpcError) as exc:
        call()
    return exc.value


def candidates(stub, auth, **kw):
    return [
        c.record_id for c in stub.ListCandidates(se.ListCandidatesRequest(**kw), metadata=auth()).candidates
    ]


def test_candidates_are_the_schools_disabled_students_without_information(runtime, stub, auth):
    record(runtime, "r1", "视力残疾")
    record(runtime, "r2", "无残疾", number="330102201506017777")
    record(runtime, "r3", "", number="330102201506016666")
    record(runtime, "r4", "肢体残疾", school=OTHER_SCHOOL, number="330102201506015555")
    record(runtime, "r5", "听力残疾", number="330102201506014444", name="李四")
    assert candidates(stub, auth) == ["r1", "r5"]  # by name
    stub.CreateSpecialEdInfo(se.CreateSpecialEdInfoRequest(info=new_info()), metadata=auth())
    assert candidates(stub, auth) == ["r5"]
    assert candidates(stub, auth, name="李") == ["r5"]


def test_candidates_show_grade_and_class_from_the_record(runtime, stub, auth):
    record(runtime, "r1", "视力残疾", grade="21", class_name="一年级2班")
    [student] = stub.ListCandidates(se.ListCandidatesRequest(), metadata=auth()).candidates
    assert (student.grade, student.class_name) == ("21", "一年级2班")


def test_candidates_follow_record_changes_in_order(runtime, stub, auth):
    record(runtime, "r1", "无残疾")
    record(runtime, "r1", "智力残疾", version=3, created=False)
    record(runtime, "r1", "无残疾", version=2, created=False)  # stale: ignored
    [candidate] = stub.ListCandidates(se.ListCandidatesRequest(), metadata=auth()).candidates
    assert candidate.recorded_disability_type == common_pb2.DISABILITY_TYPE_INTELLECTUAL


def test_add_then_list_then_maintain(runtime, stub, auth):
    record(runtime)
    created = stub.CreateSpecialEdInfo(se.CreateSpecialEdInfoRequest(info=new_info()), metadata=auth())
    assert (created.version, created.student.name, created.updated_by.user_id) == (1, "张三", "u1")
    assert created.certificate_number == ID + "12"
    [listed] = stub.ListSpecialEdStudents(se.ListSpecialEdStudentsRequest(), metadata=auth()).infos
    assert listed.certificate_number == "330*************3X12"  # masked in the list
    with runtime.engine.connect() as conn:  # stored encrypted (it begins with the resident ID): sped0005
        [stored] = conn.exec_driver_sql("SELECT certificate_number FROM special_ed_infos").scalars()
    assert ID not in stored and is_encrypted(stored)
    updated = stub.UpdateSpecialEdInfo(
        se.UpdateSpecialEdInfoRequest(
            info=se.SpecialEdInfo(record_id="r1", degree=se.DISABILITY_DEGREE_GRADE_3),
            update_mask=FieldMask(paths=["degree"]),
            expected_version=1,
        ),
        metadata=auth(),
    )
    assert (updated.version, updated.degree, updated.proof_type) == (
        2,
        se.DISABILITY_DEGREE_GRADE_3,
        se.DISABILITY_PROOF_TYPE_CERTIFICATE,
    )
    stale = refused(
        lambda: stub.UpdateSpecialEdInfo(
            se.UpdateSpecialEdInfoRequest(
                info=new_info(), update_mask=FieldMask(paths=["*"]), expected_version=1
            ),
            metadata=auth(),
        )
    )
    assert stale.code() == grpc.StatusCode.ABORTED


def test_an_update_changes_only_the_masked_fields_and_needs_a_mask(runtime, stub, auth):
    record(runtime)
    stub.CreateSpecialEdInfo(se.CreateSpecialEdInfoRequest(info=new_info()), metadata=auth())
    # the request carries other values too: only the masked field is taken from it
    other = new_info(
        degree=se.DISABILITY_DEGREE_GRADE_3, inclusive_education=common_pb2.INCLUSIVE_EDUCATION_NONE
    )
    updated = stub.UpdateSpecialEdInfo(
        se.UpdateSpecialEdInfoRequest(
            info=other, update_mask=FieldMask(paths=["info.degree"]), expected_version=1
        ),
        metadata=auth(),
    )
    before = new_info()
    assert (updated.degree, updated.inclusive_education, updated.certificate_number) == (
        se.DISABILITY_DEGREE_GRADE_3,
        before.inclusive_education,
        before.certificate_number,
    )
    for paths in ([], ["record_id"], ["degree", "version"]):
        error = refused(
            lambda paths=paths: stub.UpdateSpecialEdInfo(
                se.UpdateSpecialEdInfoRequest(
                    info=other, update_mask=FieldMask(paths=paths), expected_version=2
                ),
                metadata=auth(),
            )
        )
        assert error.code() == grpc.StatusCode.INVALID_ARGUMENT
        assert {f for f, _ in field_violations(error)} == {"update_mask"}, paths
    assert stub.GetSpecialEdInfo(se.GetSpecialEdInfoRequest(record_id="r1"), metadata=auth()).version == 2


def test_the_rules_are_field_errors_and_write_nothing(runtime, stub, auth):
    record(runtime)
    bad = new_info(
        degree=0, certificate_number="", inclusive_education=common_pb2.INCLUSIVE_EDUCATION_HEARING
    )
    error = refused(
        lambda: stub.CreateSpecialEdInfo(se.CreateSpecialEdInfoRequest(info=bad), metadata=auth())
    )
    assert error.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert {f for f, _ in field_violations(error)} == {
        "info.degree",
        "info.certificate_number",
        "info.inclusive_education",
    }
    other_id = new_info(certificate_number="330102201506017777" + "12")
    error = refused(
        lambda: stub.CreateSpecialEdInfo(se.CreateSpecialEdInfoRequest(info=other_id), metadata=auth())
    )
    assert field_violations(error) == [
        ("info.certificate_number", "残疾证书号前18位应与学生的居民身份证号一致")
    ]
    assert candidates(stub, auth) == ["r1"]


def test_an_update_is_checked_on_its_result(runtime, stub, auth):
    record(runtime)
    stub.CreateSpecialEdInfo(se.CreateSpecialEdInfoRequest(info=new_info()), metadata=auth())
    error = refused(
        lambda: stub.UpdateSpecialEdInfo(
            se.UpdateSpecialEdInfoRequest(
                info=se.SpecialEdInfo(record_id="r1", proof_type=se.DISABILITY_PROOF_TYPE_OBVIOUS_SYMPTOMS),
                update_mask=FieldMask(paths=["proof_type"]),
                expected_version=1,
            ),
            metadata=auth(),
        )
    )
    assert [f for f, _ in field_violations(error)] == ["info.symptom_description"]


def test_refusals(runtime, stub, auth):
    record(runtime, "r1")
    record(runtime, "r2", "无残疾", number="330102201506017777")
    record(runtime, "r4", "肢体残疾", school=OTHER_SCHOOL, number="330102201506015555")
    create = lambda info, meta=None: stub.CreateSpecialEdInfo(  # noqa: E731
        se.CreateSpecialEdInfoRequest(info=info), metadata=meta or auth()
    )
    assert refused(lambda: create(new_info("nope"))).code() == grpc.StatusCode.NOT_FOUND
    assert refused(lambda: create(new_info("r2"))).code() == grpc.StatusCode.FAILED_PRECONDITION
    assert refused(lambda: create(new_info("r4"))).code() == grpc.StatusCode.PERMISSION_DENIED
    create(new_info("r1"))
    assert refused(lambda: create(new_info("r1"))).code() == grpc.StatusCode.ALREADY_EXISTS
    county = auth(Role.DEPARTMENT_REGISTRAR, "330102")
    assert refused(lambda: create(new_info("r1"), county)).code() == grpc.StatusCode.PERMISSION_DENIED
    leader = auth(Role.SCHOOL_LEADER)
    assert refused(lambda: stub.ListCandidates(se.ListCandidatesRequest(), metadata=leader)).code() == (
        grpc.StatusCode.PERMISSION_DENIED
    )
    other = auth(org=OTHER_SCHOOL)
    assert (
        refused(
            lambda: stub.GetSpecialEdInfo(se.GetSpecialEdInfoRequest(record_id="r1"), metadata=other)
        ).code()
        == grpc.StatusCode.PERMISSION_DENIED
    )
    assert (
        refused(
            lambda: stub.ListCandidates(se.ListCandidatesRequest(school_code=SCHOOL), metadata=other)
        ).code()
        == grpc.StatusCode.PERMISSION_DENIED
    )


def test_departments_read_their_area_only(runtime, stub, auth):
    record(runtime, "r1")
    stub.CreateSpecialEdInfo(se.CreateSpecialEdInfoRequest(info=new_info()), metadata=auth())
    county = auth(Role.DEPARTMENT_REGISTRAR, "330102")
    listed = stub.ListSpecialEdStudents(se.ListSpecialEdStudentsRequest(), metadata=county)
    assert [i.record_id for i in listed.infos] == ["r1"] and listed.total_size == 1
    assert (
        stub.GetSpecialEdInfo(se.GetSpecialEdInfoRequest(record_id="r1"), metadata=county).record_id == "r1"
    )
    elsewhere = auth(Role.DEPARTMENT_REGISTRAR, "320000")
    assert (
        refused(
            lambda: stub.GetSpecialEdInfo(se.GetSpecialEdInfoRequest(record_id="r1"), metadata=elsewhere)
        ).code()
        == grpc.StatusCode.PERMISSION_DENIED
    )
    assert (
        refused(
            lambda: stub.ListSpecialEdStudents(
                se.ListSpecialEdStudentsRequest(org_unit_code="330100"), metadata=county
            )
        ).code()
        == grpc.StatusCode.PERMISSION_DENIED
    )
    assert not stub.ListSpecialEdStudents(se.ListSpecialEdStudentsRequest(), metadata=elsewhere).infos


def test_lists_are_paged_and_filtered(runtime, stub, auth):
    for n in range(5):
        number = f"3301022015060{n:04d}"
        number += resident_id_check_digit(number)
        record(runtime, f"r{n}", "视力残疾", number=number, name=f"王{n}")
        info = new_info(f"r{n}", certificate_number=number + "12")
        stub.CreateSpecialEdInfo(se.CreateSpecialEdInfoRequest(info=info), metadata=auth())
    first = stub.ListSpecialEdStudents(se.ListSpecialEdStudentsRequest(page_size=2), metadata=auth())
    second = stub.ListSpecialEdStudents(
        se.ListSpecialEdStudentsRequest(page_size=2, page_token=first.next_page_token), metadata=auth()
    )
    assert [i.record_id for i in [*first.infos, *second.infos]] == ["r0", "r1", "r2", "r3"]
    assert first.total_size == 5
    filtered = stub.ListSpecialEdStudents(
        se.ListSpecialEdStudentsRequest(disability_type=common_pb2.DISABILITY_TYPE_HEARING), metadata=auth()
    )
    assert not filtered.infos
