"""全国学籍查询 over gRPC: captcha once and only once, system callers without, masked output,
nothing told for a wrong name, rate limits, and an audit of every lookup."""

from __future__ import annotations

import datetime as dt
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import grpc
import pytest
from nq_support import AuditHeld, created, deliver, policy

from xueji.v1 import common_pb2, events_pb2, national_query_pb2_grpc
from xueji.v1 import national_query_pb2 as nq
from xueji_common.auth import Role
from xueji_common.grpcserver.errors import field_violations
from xueji_national_query.domain import captcha

NUMBER = "33010220150601123X"
ANSWER = "AB3K"


@pytest.fixture(autouse=True)
def known_answers(monkeypatch):
    monkeypatch.setattr(captcha, "new_answer", lambda: ANSWER)


@pytest.fixture
def stub(serve, runtime):
    created(runtime)
    return national_query_pb2_grpc.NationalQueryStub(serve())


def solve(stub, auth, **kw):
    return stub.CreateCaptcha(nq.CreateCaptchaRequest(), metadata=auth(**kw)).captcha_id


def ask(stub, meta, captcha_id="", answer=ANSWER, name="张三", **key):
    key = key or {"document_number": NUMBER}
    return stub.LookupStudent(
        nq.LookupStudentRequest(name=name, captcha_id=captcha_id, captcha_answer=answer, **key), metadata=meta
    )


def refused(call) -> grpc.RpcError:
    with pytest.raises(grpc.RpcError) as exc:
        call()
    return exc.value


def audit(runtime):
    with runtime.uow_factory() as uow:
        return uow.audit.entries()


def test_a_school_user_looks_up_with_a_captcha_and_sees_the_number_masked(stub, auth):
    captcha_png = stub.CreateCaptcha(nq.CreateCaptchaRequest(), metadata=auth())
    assert captcha_png.png.startswith(b"\x89PNG") and captcha_png.expire_time.seconds
    [result] = ask(stub, auth(), captcha_png.captcha_id, answer="ab3k").results
    assert (result.name, result.national_student_number) == ("张三", "G" + NUMBER)
    assert result.document.number == "330***********123X"
    assert result.document.type == common_pb2.DOCUMENT_TYPE_RESIDENT_ID
    assert (result.province_code, result.province_name) == ("330000", "浙江省")
    assert result.stage == events_pb2.SCHOOL_STAGE_PRIMARY
    assert result.enrolment_status == events_pb2.ENROLMENT_STATUS_ENROLLED
    assert not result.problem_record and result.last_change_time.seconds


def test_by_national_student_number(stub, auth):
    [result] = ask(stub, auth(), solve(stub, auth), national_student_number="G" + NUMBER).results
    assert result.name == "张三"


def test_a_captcha_cannot_be_reused(stub, auth):
    captcha_id = solve(stub, auth)
    ask(stub, auth(), captcha_id)
    error = refused(lambda: ask(stub, auth(), captcha_id))
    assert error.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert [f for f, _ in field_violations(error)] == ["captcha_answer"]
    assert "已使用" in field_violations(error)[0][1]


def test_a_lookup_without_a_captcha_is_refused(stub, auth):
    error = refused(lambda: ask(stub, auth(), ""))
    assert error.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert field_violations(error) == [("captcha_answer", "请输入验证码")]


def test_a_wrong_answer_uses_the_captcha_up(stub, auth):
    captcha_id = solve(stub, auth)
    assert (
        "验证码错误" in field_violations(refused(lambda: ask(stub, auth(), captcha_id, answer="ZZZZ")))[0][1]
    )
    assert "已使用" in field_violations(refused(lambda: ask(stub, auth(), captcha_id)))[0][1]


def test_a_captcha_of_another_user_is_refused(stub, auth):
    captcha_id = solve(stub, auth, user="u2")
    assert "无效" in field_violations(refused(lambda: ask(stub, auth(user="u1"), captcha_id)))[0][1]


def test_an_expired_captcha_is_refused(serve, runtime, auth):
    created(runtime)
    short = policy()
    short.captcha_ttl = dt.timedelta(seconds=0)
    stub = national_query_pb2_grpc.NationalQueryStub(serve(short))
    assert "已过期" in field_violations(refused(lambda: ask(stub, auth(), solve(stub, auth))))[0][1]


def test_ministry_systems_need_no_captcha_and_see_the_number_they_asked_with(stub, auth):
    [result] = ask(stub, auth(Role.SYSTEM, "000000", "ministry-app")).results
    assert result.document.number == NUMBER


def test_a_wrong_name_for_a_right_number_finds_nothing_and_says_only_that(stub, auth):
    system = auth(Role.SYSTEM, "000000")
    wrong_name = refused(lambda: ask(stub, system, name="李四"))
    unknown = refused(lambda: ask(stub, system, document_number="330102201506017777"))
    wrong_name_by_nsn = refused(lambda: ask(stub, system, name="李四", national_student_number="G" + NUMBER))
    assert {wrong_name.code(), unknown.code(), wrong_name_by_nsn.code()} == {grpc.StatusCode.NOT_FOUND}
    assert (
        wrong_name.details()
        == unknown.details()
        == wrong_name_by_nsn.details()
        == "未查询到符合条件的学籍信息"
    )


def test_one_person_with_two_records_gets_both(stub, runtime, auth):
    created(runtime, record_id="r2", national_student_number="L330102201506010001")
    deliver(
        runtime, events_pb2.ProblemRaised(problem_group_id="g1", record_ids=["r1", "r2"]), producer="dedup"
    )
    results = ask(stub, auth(Role.SYSTEM, "000000")).results
    # Asked by the document: its G number adds nothing to it, the L number is masked (docs/MASKING.md).
    assert sorted(r.national_student_number for r in results) == ["G" + NUMBER, "L330***********0001"]
    assert all(r.problem_record for r in results)


def test_missing_name_and_key_are_field_errors(stub, auth):
    error = refused(
        lambda: stub.LookupStudent(nq.LookupStudentRequest(), metadata=auth(Role.SYSTEM, "000000"))
    )
    assert [f for f, _ in field_violations(error)] == ["name", "document_number"]


def test_callers_must_sign_in_and_systems_get_no_captchas(stub, auth):
    assert (
        refused(lambda: stub.CreateCaptcha(nq.CreateCaptchaRequest())).code()
        == grpc.StatusCode.UNAUTHENTICATED
    )
    assert refused(lambda: ask(stub, [])).code() == grpc.StatusCode.UNAUTHENTICATED
    error = refused(
        lambda: stub.CreateCaptcha(nq.CreateCaptchaRequest(), metadata=auth(Role.SYSTEM, "000000"))
    )
    assert error.code() == grpc.StatusCode.PERMISSION_DENIED


def test_lookups_are_rate_limited_per_user(serve, runtime, auth):
    created(runtime)
    stub = national_query_pb2_grpc.NationalQueryStub(serve(policy(people="2/60")))
    for _ in range(2):
        ask(stub, auth(), solve(stub, auth))
    error = refused(lambda: ask(stub, auth(), solve(stub, auth)))
    assert error.code() == grpc.StatusCode.RESOURCE_EXHAUSTED
    ask(stub, auth(user="u2"), solve(stub, auth, user="u2"))  # another user is not held back


def test_system_callers_have_their_own_limit(serve, runtime, auth):
    created(runtime)
    stub = national_query_pb2_grpc.NationalQueryStub(serve(policy(systems="1/60")))
    ask(stub, auth(Role.SYSTEM, "000000"))
    assert (
        refused(lambda: ask(stub, auth(Role.SYSTEM, "000000"))).code() == grpc.StatusCode.RESOURCE_EXHAUSTED
    )


def test_captchas_are_rate_limited(serve, runtime, auth):
    stub = national_query_pb2_grpc.NationalQueryStub(serve(policy(captchas="1/60")))
    solve(stub, auth)
    assert refused(lambda: solve(stub, auth)).code() == grpc.StatusCode.RESOURCE_EXHAUSTED


def test_every_lookup_is_audited_masked(serve, runtime, auth):
    created(runtime)
    stub = national_query_pb2_grpc.NationalQueryStub(serve(policy(people="3/60")))
    ask(stub, auth(), solve(stub, auth))
    refused(lambda: ask(stub, auth(), "nope"))
    refused(lambda: ask(stub, auth(), solve(stub, auth), name="李四"))
    refused(lambda: ask(stub, auth(), solve(stub, auth)))
    serve.stop()  # the refusal before the captcha is queued; a clean stop commits it
    entries = audit(runtime)
    assert [e["outcome"] for e in entries] == ["found", "captcha_refused", "not_found", "rate_limited"]
    assert {(e["user_id"], e["role"], e["org_unit"], e["query_kind"]) for e in entries} == {
        ("u1", "school_registrar", "1330102001", "document")
    }
    assert entries[0]["name_masked"] == "张*" and entries[2]["name_masked"] == "李*"
    assert {e["key_masked"] for e in entries} == {"330***********123X"}
    assert entries[0]["result_count"] == 1 and entries[0]["client_address"].startswith("ipv4:127.0.0.1")
    assert all(NUMBER not in str(e) for e in entries)


def test_system_lookups_are_audited_by_the_time_the_server_has_stopped(stub, serve, runtime, auth):
    system = auth(Role.SYSTEM, "000000", "ministry-app")
    ask(stub, system)
    refused(lambda: ask(stub, system, name="李四"))
    refused(lambda: ask(stub, system, name=""))
    serve.stop()
    entries = audit(runtime)
    assert [(e["user_id"], e["outcome"], e["result_count"]) for e in entries] == [
        ("ministry-app", "found", 1),
        ("ministry-app", "not_found", 0),
        ("ministry-app", "invalid", 0),
    ]
    assert all(NUMBER not in str(e) for e in entries)


def test_a_burst_of_system_lookups_is_audited_whole_while_serving_and_at_a_clean_stop(
    stub, serve, runtime, auth
):
    system = auth(Role.SYSTEM, "000000", "ministry-app")

    def burst(n: int) -> None:
        with ThreadPoolExecutor(8) as pool:
            outcomes = list(
                pool.map(
                    lambda i: ask(stub, system) if i % 5 else refused(lambda: ask(stub, system, name="李四")),
                    range(n),
                )
            )
        assert len(outcomes) == n

    burst(200)
    deadline = time.monotonic() + 30
    while len(audit(runtime)) < 200 and time.monotonic() < deadline:
        time.sleep(0.05)  # committed by the writer's thread, without a stop
    assert len(audit(runtime)) == 200
    held = AuditHeld(runtime)  # the next entries stay queued...
    burst(300)
    threading.Timer(0.5, held.release).start()
    serve.stop()  # ...and a clean stop waits until they are committed
    entries = audit(runtime)
    assert len(entries) == 500 and len({e["id"] for e in entries}) == 500
    assert sum(e["outcome"] == "not_found" for e in entries) == 100
    assert {(e["user_id"], e["key_masked"]) for e in entries} == {("ministry-app", "330***********123X")}


def test_embedded_mode_on_sqlite_looks_up_and_audits_the_same(tmp_path, monkeypatch):
    from xueji_common.config import Settings
    from xueji_common.grpcserver.client import bearer
    from xueji_common.grpcserver.server import GrpcServer
    from xueji_common.runtime.bootstrap import ServiceRuntime
    from xueji_common.testing.infra import free_port
    from xueji_national_query.spec import SPEC

    rt = ServiceRuntime(SPEC, Settings(), database_url=f"sqlite:///{tmp_path / 'nq.db'}")
    rt.migrate()
    created(rt)
    address = f"127.0.0.1:{free_port()}"
    bindings = SPEC.grpc_bindings(rt, policy())
    server = GrpcServer(bindings, address, rt.tokens)
    server.start()
    try:
        with grpc.insecure_channel(address) as channel:
            stub = national_query_pb2_grpc.NationalQueryStub(channel)
            system = bearer(rt.tokens.mint("ministry-app", Role.SYSTEM, "000000"))
            [by_document] = ask(stub, system).results
            [by_number] = ask(stub, system, national_student_number="G" + NUMBER).results
            assert by_document.document.number == NUMBER and by_number.document.number == "330***********123X"
            by_document.document.number = by_number.document.number
            assert by_document == by_number and by_document.last_change_time.seconds
            assert refused(lambda: ask(stub, system, name="李四")).code() == grpc.StatusCode.NOT_FOUND
    finally:
        server.stop(grace=5)
        bindings[0].servicer.close()
    assert [e["outcome"] for e in audit(rt)] == ["found", "found", "not_found"]
    rt.close()
