"""The Dedup gRPC surface (national tier): system role only, validation, holder details, reservations'
life cycle, student numbers; and the embedded mode on SQLite, where the province handler reaches the
national tier on the same database file over the socket; and no clear number in any table."""

from __future__ import annotations

import grpc
import pytest
from dedup_helpers import (
    HASH_KEY,
    SCHOOL,
    deliver,
    published,
    record_created,
    resident,
    start_server,
    submitted,
)
from google.rpc import error_details_pb2
from grpc_status import rpc_status
from sqlalchemy import insert, select

from xueji.v1 import common_pb2, dedup_pb2, dedup_pb2_grpc, events_pb2
from xueji_common.auth import Role
from xueji_common.config import Settings
from xueji_common.grpcserver.client import bearer
from xueji_common.hashing import document_hash
from xueji_common.runtime.bootstrap import ServiceRuntime
from xueji_common.testing.infra import free_port
from xueji_dedup.adapters.tables import population
from xueji_dedup.spec import SPEC
from xueji_registration.spec import SPEC as REGISTRATION

H = "ab" * 32


@pytest.fixture
def stub(dedup):
    with grpc.insecure_channel(dedup.settings.grpc_address) as channel:
        yield dedup_pb2_grpc.DedupStub(channel)


def system(rt):
    return bearer(rt.tokens.mint("service:registration", Role.SYSTEM, "000000"))


def reserve(stub, rt, app, h=H):
    return stub.ReserveIdentity(
        dedup_pb2.ReserveIdentityRequest(
            document_type=common_pb2.DOCUMENT_TYPE_PASSPORT,
            document_hash=h,
            application_id=app,
            province_code="330000",
            school_code=SCHOOL,
        ),
        metadata=system(rt),
    )


def test_only_the_system_role_and_valid_hashes(dedup, stub):
    request = dedup_pb2.CheckDocumentRequest(document_type=common_pb2.DOCUMENT_TYPE_PASSPORT, document_hash=H)
    with pytest.raises(grpc.RpcError) as err:
        stub.CheckDocument(request, metadata=bearer(dedup.tokens.mint("u", Role.SCHOOL_REGISTRAR, SCHOOL)))
    assert err.value.code() == grpc.StatusCode.PERMISSION_DENIED
    with pytest.raises(grpc.RpcError) as err:
        stub.CheckDocument(
            dedup_pb2.CheckDocumentRequest(document_type=10, document_hash="330102..."),
            metadata=system(dedup),
        )
    assert err.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert stub.CheckDocument(request, metadata=system(dedup)).available


def test_reservation_life_cycle(dedup, stub):
    first = reserve(stub, dedup, "a1")
    assert reserve(stub, dedup, "a1").reservation_id == first.reservation_id  # idempotent
    with pytest.raises(grpc.RpcError) as err:
        reserve(stub, dedup, "a2")
    assert err.value.code() == grpc.StatusCode.ALREADY_EXISTS
    info = error_details_pb2.ErrorInfo()
    rpc_status.from_call(err.value).details[0].Unpack(info)
    assert (info.metadata["holder_kind"], info.metadata["school_code"]) == ("reservation", SCHOOL)
    check = stub.CheckDocument(
        dedup_pb2.CheckDocumentRequest(document_type=common_pb2.DOCUMENT_TYPE_PASSPORT, document_hash=H),
        metadata=system(dedup),
    )
    assert not check.available and check.holdings[0].kind == dedup_pb2.HOLDING_KIND_RESERVATION
    commit = dedup_pb2.CommitReservationRequest(
        reservation_id=first.reservation_id, record_id="r1", national_student_number="L33010220150601****"
    )
    assert (
        stub.CommitReservation(commit, metadata=system(dedup)).state == dedup_pb2.RESERVATION_STATE_COMMITTED
    )
    assert stub.CommitReservation(commit, metadata=system(dedup)).record_id == "r1"
    with pytest.raises(grpc.RpcError) as err:
        stub.ReleaseReservation(
            dedup_pb2.ReleaseReservationRequest(reservation_id=first.reservation_id), metadata=system(dedup)
        )
    assert err.value.code() == grpc.StatusCode.FAILED_PRECONDITION
    with pytest.raises(grpc.RpcError) as err:
        reserve(stub, dedup, "a3")
    assert err.value.code() == grpc.StatusCode.ALREADY_EXISTS  # the record holds it now


def test_student_numbers_are_unique_and_idempotent_per_owner(dedup, stub, people):
    def number(kind, owner, **kw):
        return stub.ReserveStudentNumber(
            dedup_pb2.ReserveStudentNumberRequest(kind=kind, owner_id=owner, **kw), metadata=system(dedup)
        ).national_student_number

    birth = common_pb2.Date(year=2015, month=6, day=1)
    l1 = number(common_pb2.STUDENT_NUMBER_KIND_TEMPORARY, "r1", division_code="330102", birth_date=birth)
    assert l1.startswith("L33010220150601") and len(l1) == 19
    assert (
        number(common_pb2.STUDENT_NUMBER_KIND_TEMPORARY, "r1", division_code="330102", birth_date=birth) == l1
    )
    j = number(common_pb2.STUDENT_NUMBER_KIND_PROVINCIAL, "r2", division_code="330102", birth_date=birth)
    assert j[:18] == "J33010220150601001" and len(j) == 19
    g = number(common_pb2.STUDENT_NUMBER_KIND_FORMAL, "r3", resident_id_number=people[0].resident_id)
    assert g == "G" + people[0].resident_id
    with pytest.raises(grpc.RpcError) as err:
        number(common_pb2.STUDENT_NUMBER_KIND_FORMAL, "r4", resident_id_number=people[0].resident_id)
    assert err.value.code() == grpc.StatusCode.ALREADY_EXISTS
    with pytest.raises(grpc.RpcError) as err:
        number(common_pb2.STUDENT_NUMBER_KIND_TEMPORARY, "r5", division_code="33", birth_date=birth)
    assert err.value.code() == grpc.StatusCode.INVALID_ARGUMENT


def test_no_table_holds_a_clear_number(dedup, people):
    app = resident(people[0])
    deliver(dedup, app)
    deliver(dedup, record_created(app, record_id="r1", nsn="G" + people[0].resident_id, temporary=False))
    deliver(dedup, submitted("E12345678", doc_type="A"))
    dump = []
    with dedup.session_factory() as s:
        for table in SPEC.metadata.sorted_tables:
            if table.name != "outbox":
                dump += [str(v) for row in s.execute(select(table)).all() for v in row]
    text = " ".join(dump)
    assert people[0].resident_id not in text and "E12345678" not in text


def test_embedded_mode_on_sqlite_reaches_the_national_tier_without_locking_itself(tmp_path, people):
    settings = Settings(grpc_address=f"127.0.0.1:{free_port()}", metrics_port=0, hash_key=HASH_KEY)
    rt = ServiceRuntime(SPEC, settings, database_url=f"sqlite:///{tmp_path / 'dedup.db'}")
    rt.migrate()
    with rt.engine.begin() as conn:
        conn.execute(
            insert(population).values(
                document_hash=document_hash(HASH_KEY, "1", people[0].resident_id),
                name=people[0].name,
                gender=int(people[0].gender),
                birth_date=people[0].birth_date,
                household_division="330102",
            )
        )
    rt.registration = ServiceRuntime(
        REGISTRATION, settings, database_url=f"sqlite:///{tmp_path / 'registration.db'}"
    )
    rt.registration.migrate()
    server = start_server(rt, [*SPEC.grpc_bindings(rt), *REGISTRATION.grpc_bindings(rt.registration)])
    try:
        app = resident(people[0])
        assert deliver(rt, app) == "handled"
        assert deliver(rt, record_created(app, record_id="r1")) == "handled"
        assert deliver(rt, events_pb2.ApplicationWithdrawn(application_id="nope")) == "handled"
    finally:
        server.stop(0)
        rt.close()
        rt.registration.close()
    [done] = published(rt, "DedupCompleted")
    assert done.outcome == events_pb2.DEDUP_OUTCOME_PASSED
