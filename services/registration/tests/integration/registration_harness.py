"""A registration service over a real gRPC socket on a fresh PostgreSQL database, with a test double
of the national dedup tier's `Dedup.ReserveStudentNumber(s)` (the peer contract), events delivered
through the service's own consumers, and helpers to build valid requests."""

from __future__ import annotations

import datetime as dt
import os
import random
import shutil
import threading
from dataclasses import dataclass
from pathlib import Path

import grpc
import pytest
from google.rpc import code_pb2

from xueji.v1 import (
    common_pb2,
    dedup_pb2,
    dedup_pb2_grpc,
    events_pb2,
    registration_pb2,
    registration_pb2_grpc,
)
from xueji_common.auth import Role
from xueji_common.config import Settings
from xueji_common.grpcserver import client
from xueji_common.grpcserver.convert import dict_to_message
from xueji_common.grpcserver.guard import require_role
from xueji_common.grpcserver.server import GrpcBinding, GrpcServer
from xueji_common.messaging.envelope import new_envelope, open_envelope
from xueji_common.runtime.bootstrap import ServiceRuntime
from xueji_common.testing import infra
from xueji_common.testing.bus import consumer_of
from xueji_common.testing.infra import free_port
from xueji_registration.spec import SPEC
from xueji_registration.testing import resident_id, sample_form

SCHOOL = "1330102001"  # 上城区 330102
OTHER_SCHOOL = "1330105001"
PDF = b"%PDF-1.4\n% proof of residence\n"


class FakeNationalDedup(dedup_pb2_grpc.DedupServicer):
    """The peer contract of ReserveStudentNumber: idempotent per (owner, kind), unique numbers, G taken
    by another owner is ALREADY_EXISTS; `unavailable` makes it answer UNAVAILABLE."""

    def __init__(self) -> None:
        self.owners: dict[tuple[str, int], str] = {}
        self.taken: dict[str, str] = {}
        self.calls: list[dedup_pb2.ReserveStudentNumberRequest] = []
        self.unavailable = False
        self.batches = 0  # ReserveStudentNumbers calls
        self._lock = threading.Lock()

    def ReserveStudentNumber(self, request, context):
        require_role(Role.SYSTEM)
        if self.unavailable:
            context.abort(grpc.StatusCode.UNAVAILABLE, "down for maintenance")
        reservation = self._reserve(request)
        if reservation is None:
            context.abort(grpc.StatusCode.ALREADY_EXISTS, "该正式学籍号已分配给另一条学籍")
        return reservation

    def ReserveStudentNumbers(self, request, context):
        """Each item as ReserveStudentNumber, a taken G number that item's ALREADY_EXISTS."""
        require_role(Role.SYSTEM)
        if self.unavailable:
            context.abort(grpc.StatusCode.UNAVAILABLE, "down for maintenance")
        self.batches += 1
        results = []
        for item in request.numbers:
            reservation = self._reserve(item)
            if reservation is None:
                results.append(dedup_pb2.StudentNumberOutcome(code=code_pb2.ALREADY_EXISTS, message="已分配"))
            else:
                results.append(dedup_pb2.StudentNumberOutcome(reservation=reservation))
        return dedup_pb2.ReserveStudentNumbersResponse(results=results)

    def _reserve(self, request) -> dedup_pb2.StudentNumberReservation | None:
        with self._lock:
            self.calls.append(request)
            key = (request.owner_id, request.kind)
            if key not in self.owners:
                if request.kind == common_pb2.STUDENT_NUMBER_KIND_FORMAL:
                    number = "G" + request.resident_id_number
                    if self.taken.get(number, request.owner_id) != request.owner_id:
                        return None
                else:
                    b = request.birth_date
                    while True:
                        born = f"{b.year:04d}{b.month:02d}{b.day:02d}"
                        number = f"L{request.division_code}{born}{random.randrange(10000):04d}"
                        if number not in self.taken:
                            break
                self.taken[number] = request.owner_id
                self.owners[key] = number
            return dedup_pb2.StudentNumberReservation(
                national_student_number=self.owners[key], kind=request.kind, owner_id=request.owner_id
            )


@dataclass
class Harness:
    runtime: object
    stub: registration_pb2_grpc.RegistrationsStub
    dedup: FakeNationalDedup
    files_dir: Path
    address: str = ""

    def call(
        self, method: str, request, role: Role = Role.SCHOOL_REGISTRAR, org: str = SCHOOL, user: str = "u1"
    ):
        token = self.runtime.tokens.mint(user, role, org)
        return getattr(self.stub, method)(request, metadata=client.bearer(token), timeout=20)

    # -- requests ------------------------------------------------------------------------------

    def upload(
        self, content: bytes = PDF, purpose=registration_pb2.UPLOAD_PURPOSE_PROOF_MATERIAL, **kw
    ) -> str:
        request = registration_pb2.UploadProofMaterialRequest(
            school_code=kw.pop("school_code", SCHOOL),
            purpose=purpose,
            file=common_pb2.FileContent(file_name="证明.pdf", content=content),
        )
        return self.call("UploadProofMaterial", request, **kw).file_id

    def create(
        self,
        category: str = "resident",
        kind=common_pb2.REGISTRATION_KIND_NON_PRIMARY_FRESHMAN,
        number: str | None = None,
        proofs=None,
        role: Role = Role.SCHOOL_REGISTRAR,
        org: str = SCHOOL,
        **form_changes,
    ):
        return self.call(
            "CreateApplication",
            create_request(category, kind, number, proofs, **form_changes),
            role=role,
            org=org,
        )

    # -- events --------------------------------------------------------------------------------

    def deliver(self, event, producer: str, aggregate_id: str = "") -> str:
        consumer = consumer_of(self.runtime, type(event).__name__)
        return consumer(new_envelope(event, producer=producer, aggregate_id=aggregate_id).SerializeToString())

    def dedup_completed(self, app, passed=True, revision=None, reason=""):
        outcome = events_pb2.DEDUP_OUTCOME_PASSED if passed else events_pb2.DEDUP_OUTCOME_FAILED
        kind = (
            events_pb2.DEDUP_KIND_IDENTITY_AUTHENTICATION
            if app.category == common_pb2.DOCUMENT_CATEGORY_RESIDENT
            else events_pb2.DEDUP_KIND_DOCUMENT_NUMBER
        )
        return self.deliver(
            events_pb2.DedupCompleted(
                application_id=app.application_id,
                revision=revision or app.revision,
                kind=kind,
                outcome=outcome,
                reason_code="" if passed else "HELD_BY_ANOTHER_RECORD",
                reason=reason,
            ),
            "dedup",
            app.application_id,
        )

    def progressed(self, app, stage, unit):
        return self.deliver(
            events_pb2.ReviewProgressed(
                application_id=app.application_id, revision=app.revision, stage=stage, handling_unit_code=unit
            ),
            "review",
            app.application_id,
        )

    def through_review(self, app, *, up_to_province=False):
        self.progressed(app, events_pb2.REVIEW_STAGE_AWAITING_REPORT, SCHOOL)
        self.progressed(app, events_pb2.REVIEW_STAGE_AWAITING_COUNTY_REVIEW, "330102")
        if up_to_province:
            self.progressed(app, events_pb2.REVIEW_STAGE_AWAITING_CITY_REVIEW, "330100")
            self.progressed(app, events_pb2.REVIEW_STAGE_AWAITING_PROVINCE_REVIEW, "330000")
        return self.deliver(
            events_pb2.RegistrationApproved(application_id=app.application_id, revision=app.revision),
            "review",
            app.application_id,
        )

    def returned(self, app, opinion="照片不清晰", unit="330102"):
        stamp = common_pb2.AuditStamp(org_unit_code=unit, user_id="county-1", role=3, opinion=opinion)
        stamp.time.FromDatetime(dt.datetime(2026, 9, 2, 8, 30, tzinfo=dt.UTC))
        return self.deliver(
            events_pb2.RegistrationReturned(
                application_id=app.application_id, revision=app.revision, rejected_by=stamp
            ),
            "review",
            app.application_id,
        )

    def get(self, app, **kw):
        return self.call(
            "GetApplication", registration_pb2.GetApplicationRequest(application_id=app.application_id), **kw
        )

    def outbox(self) -> list:
        from sqlalchemy import select

        with self.runtime.session_factory() as s:
            bodies = s.execute(select(SPEC.outbox.c.envelope).order_by(SPEC.outbox.c.id)).scalars().all()
        return [open_envelope(b)[1] for b in bodies]


def create_request(
    category="resident",
    kind=common_pb2.REGISTRATION_KIND_NON_PRIMARY_FRESHMAN,
    number=None,
    proofs=None,
    **form_changes,
) -> registration_pb2.CreateApplicationRequest:
    form = sample_form(category, **form_changes)
    if category == "resident":
        identity = {
            "name": "张三",
            "document": {"type": "DOCUMENT_TYPE_RESIDENT_ID", "number": number or resident_id()},
        }
        cat = common_pb2.DOCUMENT_CATEGORY_RESIDENT
    elif category == "hmt_foreign":
        identity = {
            "name": "陈大文",
            "gender": "GENDER_MALE",
            "birthDate": {"year": 2012, "month": 5, "day": 6},
            "document": {"type": "DOCUMENT_TYPE_HK_PERMIT", "number": number or "H12345678"},
        }
        cat = common_pb2.DOCUMENT_CATEGORY_HMT_FOREIGN
    else:
        identity = {
            "name": "赵六",
            "gender": "GENDER_FEMALE",
            "birthDate": {"year": 2013, "month": 7, "day": 8},
            "document": {"type": "DOCUMENT_TYPE_OTHER"},
        }
        cat = common_pb2.DOCUMENT_CATEGORY_NO_DOCUMENT
    student = dict_to_message({**form, **identity}, registration_pb2.StudentRecordForm())
    return registration_pb2.CreateApplicationRequest(
        school_code=SCHOOL, kind=kind, category=cat, student=student, proof_material_ids=proofs or []
    )


@pytest.fixture(scope="module")
def _system(tmp_path_factory):
    """One migrated database and both servers per test module (a fresh database per test costs ~1 s)."""
    try:
        infra.check_postgres()
    except infra.InfraUnavailable as exc:
        if os.environ.get("CI"):
            pytest.fail(str(exc))
        pytest.skip(str(exc))
    data_dir = tmp_path_factory.mktemp("registration")
    previous = os.environ.get("XUEJI_FILES_DIR")
    os.environ["XUEJI_FILES_DIR"] = str(data_dir / "files")
    dedup_address = f"127.0.0.1:{free_port()}"
    url = infra.new_database("xueji_registration")
    runtime = ServiceRuntime(
        SPEC, Settings(data_dir=data_dir, peers={"dedup-national": dedup_address}), database_url=url
    )
    runtime.migrate()
    fake = FakeNationalDedup()
    peer = GrpcServer(
        [GrpcBinding("xueji.v1.Dedup", dedup_pb2_grpc.add_DedupServicer_to_server, fake)],
        dedup_address,
        runtime.tokens,
    )
    server = GrpcServer(
        SPEC.grpc_bindings(runtime),
        f"127.0.0.1:{free_port()}",
        runtime.tokens,
        public_methods=SPEC.public_methods,
    )
    peer.start()
    server.start()
    channel = client.channel(server.address)
    yield Harness(
        runtime, registration_pb2_grpc.RegistrationsStub(channel), fake, data_dir / "files", server.address
    )
    channel.close()
    server.stop(0)
    peer.stop(0)
    runtime.close()
    infra.drop(url)
    if previous is None:
        os.environ.pop("XUEJI_FILES_DIR", None)
    else:
        os.environ["XUEJI_FILES_DIR"] = previous


@pytest.fixture
def harness(_system):
    """The module's system, emptied: no rows, no files, a fresh national tier double."""
    with _system.runtime.engine.begin() as conn:
        for table in reversed(SPEC.metadata.sorted_tables):
            conn.execute(table.delete())
    shutil.rmtree(_system.files_dir, ignore_errors=True)
    _system.dedup.__init__()
    return _system


def violations(exc: grpc.RpcError) -> set[str]:
    from xueji_common.grpcserver.errors import field_violations

    return {f for f, _ in field_violations(exc)}
