"""The embedded system (README's first command) over real sockets: all five services in one process,
SQLite files, the in-process bus. Reflection, health, authentication, metrics, and the first flow:
registration's application-submitted event reaches review through outbox → bus → inbox."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import grpc
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha.proto_reflection_descriptor_database import ProtoReflectionDescriptorDatabase
from sqlalchemy import func, select

from xueji.v1 import common_pb2, registration_pb2, registration_pb2_grpc, review_pb2, review_pb2_grpc
from xueji_common import demo
from xueji_common.auth import Role, TokenSigner
from xueji_common.config import DEV_SIGNING_KEY_FILE, Settings
from xueji_common.documents import mask_document_number
from xueji_common.grpcserver.client import bearer
from xueji_common.grpcserver.convert import dict_to_message
from xueji_common.grpcserver.errors import field_violations
from xueji_common.metrics import serve_metrics
from xueji_common.orgunits import load_default_tree
from xueji_common.runtime.embedded import EmbeddedSystem
from xueji_common.signing import SigningKey
from xueji_common.testing.bus import consumer_of
from xueji_common.testing.infra import free_port
from xueji_common.testing.issuer import TestIssuer
from xueji_registration.testing import sample_form

SCHOOL = "1330102001"
OTHER_SCHOOL = "1330105001"
FIVE_SERVICES = {
    "xueji.v1.Registrations",
    "xueji.v1.PreschoolTransfers",
    "xueji.v1.Dedup",
    "xueji.v1.ProblemRecords",
    "xueji.v1.Reviews",
    "xueji.v1.Reports",
    "xueji.v1.NationalQuery",
    "xueji.v1.PreschoolRecords",
    "xueji.v1.SpecialEd",
}


@pytest.fixture(scope="module")
def system(tmp_path_factory):
    settings = Settings(
        data_dir=tmp_path_factory.mktemp("data"),
        grpc_address=f"127.0.0.1:{free_port()}",
        metrics_port=0,
        relay_interval=0.1,
    )
    system = EmbeddedSystem(settings)
    system.start()
    yield system
    system.stop()


@pytest.fixture(scope="module")
def channel(system):
    with grpc.insecure_channel(system.settings.grpc_address) as ch:
        yield ch


def token(system, role=Role.SCHOOL_REGISTRAR, org=SCHOOL, audience="xueji", ttl_seconds=3600):
    """A token signed with the development key the system made in its data directory."""
    s = system.settings
    key = SigningKey.load(s.data_dir / DEV_SIGNING_KEY_FILE)
    return TokenSigner(key, s.token_issuer, audience).mint("tester", role, org, ttl_seconds)


def person(index: int):
    return demo.population_register(load_default_tree(), size=50)[index]


def create_request(p, school=SCHOOL):
    student = dict_to_message(
        sample_form(), registration_pb2.StudentRecordForm()
    )  # the rest of the national form
    student.name = p.name
    student.document.CopyFrom(
        common_pb2.IdentityDocument(type=common_pb2.DOCUMENT_TYPE_RESIDENT_ID, number=p.resident_id)
    )
    return registration_pb2.CreateApplicationRequest(
        school_code=school,
        kind=common_pb2.REGISTRATION_KIND_NON_PRIMARY_FRESHMAN,
        category=common_pb2.DOCUMENT_CATEGORY_RESIDENT,
        student=student,
    )


def pending_total(system, channel, school=SCHOOL) -> int:
    stub = review_pb2_grpc.ReviewsStub(channel)
    summary = stub.GetPendingSummary(
        review_pb2.GetPendingSummaryRequest(school_code=school),
        metadata=bearer(token(system, Role.SCHOOL_LEADER, school)),
    )
    return summary.total


def wait_for(predicate, timeout=5.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.05)
    return False


def test_reflection_lists_the_five_services(channel):
    names = set(ProtoReflectionDescriptorDatabase(channel).get_services())
    assert FIVE_SERVICES <= names
    assert "grpc.health.v1.Health" in names


def test_registrations_periodic_jobs_run_in_the_one_process(system):
    # The preschool rematch and the upload purge run in the registration worker in production; the
    # embedded process has no worker, so it runs them itself.
    import threading

    names = {t.name for t in threading.enumerate()}
    assert {"periodic-preschool-rematch", "periodic-upload-purge"} <= names


def test_health_reports_serving_for_each_service(channel):
    stub = health_pb2_grpc.HealthStub(channel)
    for name in ["", *FIVE_SERVICES]:
        assert (
            stub.Check(health_pb2.HealthCheckRequest(service=name)).status
            == health_pb2.HealthCheckResponse.SERVING
        )


@pytest.mark.parametrize("bad", ["missing", "forged", "expired", "audience", "scheme"])
def test_calls_without_a_valid_token_are_unauthenticated(system, channel, bad):
    metadata = {
        "missing": [],
        "forged": bearer(TestIssuer(system.settings.token_issuer).mint("u", Role.SCHOOL_LEADER, SCHOOL)),
        "expired": bearer(token(system, Role.SCHOOL_LEADER, ttl_seconds=-5)),
        "audience": bearer(token(system, Role.SCHOOL_LEADER, audience="somewhere-else")),
        "scheme": [("authorization", "Basic dXNlcjpwdw==")],
    }[bad]
    stub = review_pb2_grpc.ReviewsStub(channel)
    with pytest.raises(grpc.RpcError) as err:
        stub.GetPendingSummary(review_pb2.GetPendingSummaryRequest(school_code=SCHOOL), metadata=metadata)
    assert err.value.code() == grpc.StatusCode.UNAUTHENTICATED


def test_submitted_application_reaches_review_through_outbox_bus_and_inbox(system, channel):
    before = pending_total(system, channel)
    stub = registration_pb2_grpc.RegistrationsStub(channel)
    app = stub.CreateApplication(create_request(person(0)), metadata=bearer(token(system)))
    assert app.state == registration_pb2.APPLICATION_STATE_AWAITING_DEDUP
    assert app.student.document.number == person(0).resident_id  # clear for the school's own registrar
    assert wait_for(lambda: pending_total(system, channel) == before + 1)

    # The same event delivered again (a redelivery) changes nothing.
    registration = system.runtime("registration", "zj")
    outbox = registration.spec.outbox
    with registration.session_factory() as s:
        body = s.execute(select(outbox.c.envelope).order_by(outbox.c.id.desc()).limit(1)).scalar_one()
    review = system.runtime("review", "zj")
    consumer = consumer_of(review, "ApplicationSubmitted")
    assert consumer(body) == "duplicate"
    assert pending_total(system, channel) == before + 1
    with review.session_factory() as s:
        assert (
            s.execute(
                select(func.count()).select_from(review.spec.metadata.tables["review_cases"])
            ).scalar_one()
            == before + 1
        )


def test_same_document_cannot_be_entered_twice(system, channel):
    stub = registration_pb2_grpc.RegistrationsStub(channel)
    stub.CreateApplication(create_request(person(1)), metadata=bearer(token(system)))
    with pytest.raises(grpc.RpcError) as err:
        stub.CreateApplication(create_request(person(1)), metadata=bearer(token(system)))
    assert err.value.code() == grpc.StatusCode.ALREADY_EXISTS
    # names the holder as production does: a live application, its school and province, number masked
    assert err.value.details() == (
        f"该身份证件号已被浙江省杭州市上城区胜利小学的学籍注册申请占用"
        f"（{mask_document_number(person(1).resident_id)}）"
    )


def test_a_bulk_loaded_record_of_another_province_holds_its_hk_permit(system, channel):
    """The nation's existing records loaded over gRPC feed the embedded dedup's holdings too."""
    from xueji.v1 import national_query_pb2 as nq
    from xueji.v1 import national_query_pb2_grpc
    from xueji_national_query.domain.load_rows import COLUMNS

    hk = "H39000001"
    rows = [
        [c.header for c in COLUMNS],
        [
            "L320102201205060001",
            "林港生",
            "1",
            "2012-05-06",
            "6",
            hk,
            "320000",
            "1320102001",
            "梅园小学",
            "小学",
            "在读",
            "否",
            "2025-09-01 08:00:00",
        ],
    ]
    report = national_query_pb2_grpc.NationalQueryStub(channel).BulkLoadRecords(
        iter(
            [
                nq.BulkLoadRecordsRequest(
                    header=nq.BulkLoadHeader(file_name="h.csv", format=nq.BULK_LOAD_FORMAT_CSV)
                ),
                nq.BulkLoadRecordsRequest(chunk="\n".join(",".join(r) for r in rows).encode()),
            ]
        ),
        metadata=bearer(token(system, Role.SYSTEM, "000000")),
    )
    assert report.rows_inserted == 1
    student = dict_to_message(sample_form("hmt_foreign"), registration_pb2.StudentRecordForm())
    student.name, student.gender = "林港生", common_pb2.GENDER_MALE
    student.birth_date.CopyFrom(common_pb2.Date(year=2012, month=5, day=6))
    student.document.CopyFrom(common_pb2.IdentityDocument(type=common_pb2.DOCUMENT_TYPE_HK_PERMIT, number=hk))
    stub = registration_pb2_grpc.RegistrationsStub(channel)
    app = stub.CreateApplication(
        registration_pb2.CreateApplicationRequest(
            school_code=SCHOOL,
            kind=common_pb2.REGISTRATION_KIND_NON_PRIMARY_FRESHMAN,
            category=common_pb2.DOCUMENT_CATEGORY_HMT_FOREIGN,
            student=student,
        ),
        metadata=bearer(token(system)),
    )

    def current():
        return stub.GetApplication(
            registration_pb2.GetApplicationRequest(application_id=app.application_id),
            metadata=bearer(token(system)),
        )

    assert wait_for(lambda: current().state == registration_pb2.APPLICATION_STATE_DEDUP_FAILED, timeout=30)
    assert (
        current().dedup_failure_reason == "该身份证件号已被江苏省南京市玄武区梅园小学的学籍使用（H******01）"
    )


def test_bad_input_names_each_field_and_writes_nothing(system, channel):
    registration = system.runtime("registration", "zj")
    with registration.session_factory() as s:
        outbox_before = s.execute(select(func.count()).select_from(registration.spec.outbox)).scalar_one()
    request = create_request(person(2))
    request.student.name = ""
    request.student.document.number = request.student.document.number[:-1] + (
        "0" if request.student.document.number[-1] != "0" else "1"
    )
    with pytest.raises(grpc.RpcError) as err:
        registration_pb2_grpc.RegistrationsStub(channel).CreateApplication(
            request, metadata=bearer(token(system))
        )
    assert err.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    fields = dict(field_violations(err.value))
    assert fields["student.name"] == "姓名不能为空"
    assert "校验位" in fields["student.document.number"]
    with registration.session_factory() as s:
        assert (
            s.execute(select(func.count()).select_from(registration.spec.outbox)).scalar_one()
            == outbox_before
        )


def test_callers_act_only_within_their_jurisdiction(system, channel):
    stub = registration_pb2_grpc.RegistrationsStub(channel)
    with pytest.raises(grpc.RpcError) as err:
        stub.CreateApplication(create_request(person(3), school=OTHER_SCHOOL), metadata=bearer(token(system)))
    assert err.value.code() == grpc.StatusCode.PERMISSION_DENIED
    with pytest.raises(grpc.RpcError) as err:
        review_pb2_grpc.ReviewsStub(channel).GetPendingSummary(
            review_pb2.GetPendingSummaryRequest(school_code=OTHER_SCHOOL),
            metadata=bearer(token(system, Role.SCHOOL_LEADER, SCHOOL)),
        )
    assert err.value.code() == grpc.StatusCode.PERMISSION_DENIED
    # The county above both schools may look at either.
    county = bearer(token(system, Role.DEPARTMENT_REGISTRAR, "330102"))
    review_pb2_grpc.ReviewsStub(channel).GetPendingSummary(
        review_pb2.GetPendingSummaryRequest(school_code=SCHOOL), metadata=county
    )


def test_metrics_endpoint_shows_per_method_counters(system, channel):
    port = free_port()
    serve_metrics(port, system.settings.metrics_bind_host())
    pending_total(system, channel)
    text = urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5).read().decode()
    line = next(
        sample
        for sample in text.splitlines()
        if sample.startswith("xueji_grpc_server_handled_total{")
        and 'grpc_method="GetPendingSummary"' in sample
        and 'grpc_code="OK"' in sample
    )
    assert float(line.rsplit(" ", 1)[1]) >= 1
    assert (
        'xueji_grpc_server_handled_total{grpc_code="UNAUTHENTICATED",grpc_method="GetPendingSummary"' in text
    )
    assert "xueji_grpc_server_handling_seconds_bucket" in text
    assert (
        'xueji_events_consumed_total{event_type="ApplicationSubmitted",result="handled",xueji_service="review"}'
        in text
    )


def test_cli_token_and_call_work_against_the_server(system):
    xueji = str(Path(sys.executable).with_name("xueji"))
    # the development key is the one the server made in its data directory
    env = {
        **os.environ,
        "XUEJI_ADDRESS": system.settings.grpc_address,
        "XUEJI_DATA_DIR": str(system.settings.data_dir),
        "XUEJI_TOKEN_FILE": str(system.settings.data_dir / "no-sign-in.json"),
    }
    minted = subprocess.run(
        [xueji, "token", "--role", "school_leader", "--org", SCHOOL],
        capture_output=True,
        text=True,
        check=True,
        env=env,
    ).stdout.strip()
    out = subprocess.run(
        [
            xueji,
            "call",
            "xueji.v1.Reviews/GetPendingSummary",
            f'{{"school_code": "{SCHOOL}"}}',
            "--token",
            minted,
        ],
        capture_output=True,
        text=True,
        env=env,
    )
    assert out.returncode == 0, out.stderr
    assert '"total"' in out.stdout
    refused = subprocess.run(
        [xueji, "call", "xueji.v1.Reviews/GetPendingSummary", "{}"], capture_output=True, text=True, env=env
    )
    assert refused.returncode == 1 and "UNAUTHENTICATED" in refused.stdout


def test_cli_calls_the_server_of_xueji_grpc_address_when_xueji_address_is_unset(system):
    """The server's own setting is the CLI's default: one variable set is enough to reach it."""
    xueji = str(Path(sys.executable).with_name("xueji"))
    env = {k: v for k, v in os.environ.items() if k != "XUEJI_ADDRESS"}
    env["XUEJI_GRPC_ADDRESS"] = system.settings.grpc_address
    out = subprocess.run([xueji, "health"], capture_output=True, text=True, env=env, timeout=60)
    assert out.returncode == 0, out.stdout + out.stderr
    assert "xueji.v1.Registrations" in out.stdout and "SERVING" in out.stdout
