"""学前学籍匹配 for registration: none, one or several candidates; system role only."""

from __future__ import annotations

import grpc
import pytest

from xueji.v1 import common_pb2, national_query_pb2_grpc
from xueji.v1 import national_query_pb2 as nq
from xueji_common import demo
from xueji_common.auth import Role
from xueji_common.grpcserver.errors import field_violations


@pytest.fixture
def records(runtime):
    runtime.spec.seed_demo(runtime)
    return demo.preschool_records(runtime.tree, demo.population_register(runtime.tree))


@pytest.fixture
def stub(serve):
    return national_query_pb2_grpc.PreschoolRecordsStub(serve())


def match(stub, auth, role=Role.SYSTEM, unit="000000", **key):
    return stub.MatchPreschoolRecord(
        nq.MatchPreschoolRecordRequest(**key), metadata=auth(role, unit)
    ).candidates


def by_document(number, doc_type=common_pb2.DOCUMENT_TYPE_RESIDENT_ID):
    return {"document": common_pb2.IdentityDocument(type=doc_type, number=number)}


def by_person(r):
    return {
        "person": nq.PersonKey(
            name=r.name,
            gender=int(r.gender),
            birth_date=common_pb2.Date(
                year=r.birth_date.year, month=r.birth_date.month, day=r.birth_date.day
            ),
        )
    }


def test_one_record_for_a_child_with_a_document(stub, auth, records):
    counts = {}
    for r in records:
        counts[r.document_number] = counts.get(r.document_number, 0) + 1
    child = next(r for r in records if r.document_type == "1" and counts[r.document_number] == 1)
    [candidate] = match(stub, auth, **by_document(child.document_number))
    assert (candidate.record_id, candidate.name, candidate.national_student_number) == (
        child.record_id,
        child.name,
        child.national_student_number,
    )
    assert candidate.document.number == child.document_number[:3] + "*" * 11 + child.document_number[-4:]
    assert candidate.kindergarten_name == child.kindergarten_name and candidate.province_code


def test_several_records_for_a_shared_number(stub, auth, records):
    numbers = [r.document_number for r in records if r.document_type == "1"]
    shared = next(n for n in numbers if numbers.count(n) == 2)
    assert len(match(stub, auth, **by_document(shared))) == 2


def test_none_for_an_unknown_number(stub, auth, records):
    assert match(stub, auth, **by_document("330102201001011234")) == []


def test_children_without_a_document_match_by_name_gender_and_birth_date(stub, auth, records):
    child = next(r for r in records if r.document_type == "Z")
    [candidate] = match(stub, auth, **by_person(child))
    assert candidate.record_id == child.record_id
    assert candidate.document.type == common_pb2.DOCUMENT_TYPE_OTHER


def test_a_key_is_required_and_checked(stub, auth, records):
    with pytest.raises(grpc.RpcError) as exc:
        match(stub, auth)
    assert field_violations(exc.value) and exc.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    with pytest.raises(grpc.RpcError) as exc:
        match(stub, auth, person=nq.PersonKey(name="", gender=0))
    assert [f for f, _ in field_violations(exc.value)] == [
        "person.name",
        "person.gender",
        "person.birth_date",
    ]


def test_only_the_system_role_matches(stub, auth, records):
    with pytest.raises(grpc.RpcError) as exc:
        match(stub, auth, role=Role.SCHOOL_REGISTRAR, unit="1330102001", **by_document("330102201001011234"))
    assert exc.value.code() == grpc.StatusCode.PERMISSION_DENIED


def test_a_number_held_by_a_formal_record_comes_with_where_it_is_masked(stub, auth, runtime):
    from nq_support import created

    number = "33010220150601123X"
    created(runtime, number=number)  # a primary-school record (G) at 1330102001
    answer = stub.MatchPreschoolRecord(
        nq.MatchPreschoolRecordRequest(**by_document(number)), metadata=auth(Role.SYSTEM, "000000")
    )
    [holder] = answer.formal_records
    assert (holder.school_code, holder.province_code) == ("1330102001", "330000")
    assert holder.national_student_number == "G330***********123X"
    assert not stub.MatchPreschoolRecord(
        nq.MatchPreschoolRecordRequest(**by_document("330102201001011234")),
        metadata=auth(Role.SYSTEM, "000000"),
    ).formal_records


# -- MatchPreschoolRecords, the batch (issue 16 step 2) ----------------------------------------------


def batch(stub, auth, requests, role=Role.SYSTEM, unit="000000"):
    return stub.MatchPreschoolRecords(
        nq.MatchPreschoolRecordsRequest(identities=requests), metadata=auth(role, unit)
    ).results


def test_a_batch_answers_each_child_as_the_single_call_in_the_order_asked(stub, auth, runtime, records):
    from nq_support import created

    created(runtime, number="33010220150601123X")  # a formal record's number
    numbers = [r.document_number for r in records if r.document_type == "1"]
    shared = next(n for n in numbers if numbers.count(n) == 2)
    unique = next(n for n in numbers if numbers.count(n) == 1)
    nodoc = next(r for r in records if r.document_type == "Z")
    requests = [
        nq.MatchPreschoolRecordRequest(**key)
        for key in (
            by_document(unique),
            by_person(nodoc),
            by_document(shared),
            by_document("330102201001011234"),  # none
            by_document("33010220150601123X"),  # a formal record
            by_document(unique),  # twice
        )
    ]
    single = [stub.MatchPreschoolRecord(r, metadata=auth(Role.SYSTEM, "000000")) for r in requests]
    answers = batch(stub, auth, requests)
    assert list(answers) == single
    assert [(len(a.candidates), len(a.formal_records)) for a in answers] == [
        (1, 0),
        (1, 0),
        (2, 0),
        (0, 0),
        (0, 1),
        (1, 0),
    ]
    assert answers[4].formal_records[0].national_student_number == "G330***********123X"  # masked


def test_a_batch_holds_at_most_500_children_and_names_a_bad_ones_fields(stub, auth, records):
    unknown = nq.MatchPreschoolRecordRequest(**by_document("330102201001011234"))
    assert len(batch(stub, auth, [unknown] * 500)) == 500
    with pytest.raises(grpc.RpcError) as exc:
        batch(stub, auth, [unknown] * 501)
    assert exc.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert [f for f, _ in field_violations(exc.value)] == ["identities"]
    bad = [
        unknown,
        nq.MatchPreschoolRecordRequest(person=nq.PersonKey(name=" ", gender=1)),
        nq.MatchPreschoolRecordRequest(),
    ]
    with pytest.raises(grpc.RpcError) as exc:
        batch(stub, auth, bad)
    assert exc.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert [f for f, _ in field_violations(exc.value)] == [
        "identities[1].person.name",
        "identities[1].person.birth_date",
        "identities[2].key",
    ]
    assert list(batch(stub, auth, [])) == []


def test_only_the_system_role_matches_in_batches(stub, auth, records):
    unknown = nq.MatchPreschoolRecordRequest(**by_document("330102201001011234"))
    for role, unit in ((Role.SCHOOL_REGISTRAR, "1330102001"), (Role.DEPARTMENT_REGISTRAR, "330000")):
        with pytest.raises(grpc.RpcError) as exc:
            batch(stub, auth, [unknown], role=role, unit=unit)
        assert exc.value.code() == grpc.StatusCode.PERMISSION_DENIED


class Methods(grpc.UnaryUnaryClientInterceptor):
    """Notes the methods called on the channel."""

    def __init__(self) -> None:
        self.called: list[str] = []

    def intercept_unary_unary(self, continuation, details, request):
        self.called.append(details.method.rsplit("/", 1)[-1])
        return continuation(details, request)


class RegistrationSide:
    """What registration's preschool matcher uses of its runtime: a channel to national-query and
    the system caller's metadata."""

    def __init__(self, channel, metadata) -> None:
        self._channel, self.caller = channel, self
        self._metadata = metadata

    def channel(self, peer: str):
        assert peer == "national-query"
        return self._channel

    def metadata(self):
        return self._metadata


def test_registrations_matcher_gets_from_the_batch_what_the_single_calls_give(serve, auth, records):
    """The contract from the client's side: registration's adapter (500 a call) against this server."""
    from xueji_common.documents import DocumentType, Gender, validate_document
    from xueji_registration.adapters.preschool_records import PreschoolRecords, _answer, _request
    from xueji_registration.domain.identity import Identity

    channel, metadata = serve(), auth(Role.SYSTEM, "000000")
    children = [
        Identity(
            r.name,
            Gender(int(r.gender)),
            r.birth_date,
            validate_document(DocumentType(r.document_type), r.document_number or ""),
        )
        for r in records[:40]
    ]
    methods = Methods()
    asked = PreschoolRecords(RegistrationSide(grpc.intercept_channel(channel, methods), metadata)).match(
        children
    )
    assert methods.called == ["MatchPreschoolRecords"]
    stub = national_query_pb2_grpc.PreschoolRecordsStub(channel)
    one_by_one = [_answer(stub.MatchPreschoolRecord(_request(i), metadata=metadata)) for i in children]
    assert asked == one_by_one and all(a is not None and a.candidates for a in asked)
