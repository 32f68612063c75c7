"""Sessions, CSRF, cookies, CSP and authorization as the browser sees them."""

from __future__ import annotations

import pytest
from conftest import check_accessible, sign_in
from console_world import OTHER_SCHOOL, SCHOOL

from xueji.v1 import review_pb2
from xueji_common.auth import Role


@pytest.fixture(scope="module")
def registrar(world):
    return "sec-registrar", world.user("sec-registrar", Role.SCHOOL_REGISTRAR, SCHOOL)


@pytest.fixture(scope="module")
def leader(world):
    return "sec-leader", world.user("sec-leader", Role.SCHOOL_LEADER, SCHOOL)


def session_cookie(context):
    return next(c for c in context.cookies() if c["name"] == "xueji_session")


def test_sign_in_replaces_the_session_id_and_the_cookie_is_httponly_and_lax(page, context, registrar):
    page.goto("/signin")
    before = session_cookie(context)
    sign_in(page, *registrar)
    page.wait_for_url("**/")
    after = session_cookie(context)
    assert after["value"] != before["value"]  # no fixation: the anonymous id is not kept
    assert after["httpOnly"] and after["sameSite"] == "Lax"
    assert after["secure"] is False  # embedded mode: plain http on localhost
    # The anonymous session is gone: its id no longer signs anyone in.
    context.add_cookies([{**before, "value": before["value"]}])
    page.goto("/")
    assert page.url.endswith("/signin")


def test_every_page_sets_a_csp_without_inline_script_and_forbids_framing(page, registrar):
    responses = [page.goto("/signin")]
    sign_in(page, *registrar)
    page.wait_for_url("**/")
    responses += [page.goto("/"), page.goto("/applications"), page.goto("/static/console.css")]
    for response in responses:
        csp = response.headers["content-security-policy"]
        assert "frame-ancestors 'none'" in csp and "script-src 'self'" in csp and "unsafe-inline" not in csp
        assert response.headers["x-frame-options"] == "DENY"
    assert not page.csp_violations


def test_a_post_without_the_csrf_token_is_refused_and_changes_nothing(page, context, world, leader):
    app = world.no_document_student("钱无令牌")
    case = world.pending_case(app.application_id)
    sign_in(page, *leader)
    page.wait_for_url("**/")
    refused = page.request.post("/reviews/approve-all", form={"opinion": "同意"})
    assert refused.status == 403
    forged = page.request.post("/reviews/approve-all", form={"opinion": "同意", "csrf_token": "forged"})
    assert forged.status == 403
    still = world.reviews.GetCase(
        review_pb2.GetCaseRequest(case_id=case.case_id), metadata=world.md(Role.SCHOOL_LEADER), timeout=10
    )
    assert (
        still.state == review_pb2.REVIEW_CASE_STATE_AWAITING_SCHOOL_REVIEW and still.version == case.version
    )


def test_another_schools_student_by_url_is_403_and_shows_nothing(page, world, registrar, leader):
    other = world.no_document_student("孙别校", school=OTHER_SCHOOL)
    case = world.pending_case(other.application_id, school=OTHER_SCHOOL)
    sign_in(page, *registrar)
    page.wait_for_url("**/")
    response = page.goto(f"/applications/{other.application_id}")
    assert response.status == 403
    assert "孙别校" not in page.content() and "无权访问" in page.content()
    check_accessible(page)
    page.get_by_role("button", name="退出").click()
    sign_in(page, *leader)
    page.wait_for_url("**/")
    response = page.goto(f"/reviews/{case.case_id}")
    assert response.status == 403 and "孙别校" not in page.content()


def test_signing_out_ends_the_session(page, context, registrar):
    sign_in(page, *registrar)
    page.wait_for_url("**/")
    old = session_cookie(context)["value"]
    page.get_by_role("button", name="退出").click()
    page.wait_for_url("**/signin")
    context.add_cookies([{"name": "xueji_session", "value": old, "url": page.url}])
    page.goto("/applications")
    assert page.url.endswith("/signin")


def test_a_wrong_password_is_refused_with_the_login_name_kept(page, registrar):
    sign_in(page, registrar[0], "not-the-password")
    assert page.get_by_role("alert").is_visible()
    assert page.get_by_label("用户名").input_value() == registrar[0]
    assert page.url.endswith("/signin")


def test_first_sign_in_forces_a_password_change(page, world):
    temporary = world.user("sec-newcomer", Role.SCHOOL_REGISTRAR, SCHOOL, change_password=False)
    sign_in(page, "sec-newcomer", temporary)
    page.get_by_role("heading", name="修改密码").wait_for()
    check_accessible(page)
    page.get_by_label("原密码").fill(temporary)
    page.get_by_label("新密码", exact=True).fill("Newcomer#Pass-2026")
    page.get_by_label("确认新密码").fill("Newcomer#Pass-2027")
    page.get_by_role("button", name="确定").click()
    assert page.get_by_text("两次输入的新密码不一致").is_visible()
    page.get_by_label("原密码").fill(temporary)
    page.get_by_label("新密码", exact=True).fill("Newcomer#Pass-2026")
    page.get_by_label("确认新密码").fill("Newcomer#Pass-2026")
    page.get_by_role("button", name="确定").click()
    page.get_by_role("heading", name="工作台").wait_for()


def test_an_expiring_access_token_is_refreshed_through_the_accounts_service(
    page, context, console, registrar
):
    sign_in(page, *registrar)
    page.wait_for_url("**/")
    sid = session_cookie(context)["value"]
    before = console.store.get(sid)
    before.access_expires_at = 0  # as if 15 minutes had passed
    console.store.put(before)
    page.goto("/applications")
    page.get_by_role("heading", name="学籍注册查询").wait_for()
    after = console.store.get(sid)
    assert after.refresh_token != before.refresh_token and after.access_token != before.access_token


def test_a_sign_in_the_accounts_service_ended_sends_the_user_back_to_sign_in(
    page, context, console, world, registrar
):
    from xueji.v1 import accounts_pb2

    sign_in(page, *registrar)
    page.wait_for_url("**/")
    session = console.store.get(session_cookie(context)["value"])
    world.accounts.SignOut(accounts_pb2.SignOutRequest(refresh_token=session.refresh_token), timeout=10)
    session.access_expires_at = 0
    console.store.put(session)
    page.goto("/applications")
    assert page.url.endswith("/signin?expired=1")
    assert page.get_by_text("登录已超时，请重新登录").is_visible()
    assert console.store.get(session.sid) is None


def test_services_out_of_reach_give_a_generic_message_with_an_error_id(browser, tmp_path):
    import re
    import threading
    import time

    from xueji_common.config import Settings
    from xueji_common.testing.infra import free_port
    from xueji_console.config import ConsoleSettings
    from xueji_console.main import server

    nowhere = Settings(data_dir=tmp_path, grpc_address=f"127.0.0.1:{free_port()}")  # nothing listens there
    settings = ConsoleSettings(services=nowhere, port=free_port())
    lonely = server(settings)
    thread = threading.Thread(target=lonely.run, daemon=True)
    thread.start()
    while not lonely.started:
        time.sleep(0.05)
    try:
        page = browser.new_page(base_url=f"http://127.0.0.1:{settings.port}")
        page.goto("/signin")
        page.get_by_label("用户名").fill("anyone")
        page.get_by_label("密码").fill("whatever-it-is")
        with page.expect_response("**/signin") as response:
            page.get_by_role("button", name="登录").click()
        assert response.value.status == 500
        alert = page.get_by_role("alert").inner_text()
        assert re.fullmatch(r"系统繁忙，请稍后再试（错误编号 [0-9a-f]{12}）", alert), alert
        assert "127.0.0.1" not in page.content() and "UNAVAILABLE" not in page.content()
        page.close()
    finally:
        lonely.should_exit = True
        thread.join(timeout=10)
