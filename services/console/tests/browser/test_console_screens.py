"""The screens, each used by the user whose job it is, in the manual's words."""

from __future__ import annotations

import pytest
from conftest import check_accessible, screenshot, sign_in
from console_world import SCHOOL, freshman_workbook, wait_for

from xueji.v1 import registration_pb2
from xueji_common.auth import Role

REVIEW_SCHOOL = "1330102004"  # its own school: the worklist holds this test's students only

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@pytest.fixture(scope="module")
def registrar(world):
    return "scr-registrar", world.user("scr-registrar", Role.SCHOOL_REGISTRAR, SCHOOL)


@pytest.fixture(scope="module")
def leader(world):
    return "scr-leader", world.user("scr-leader", Role.SCHOOL_LEADER, REVIEW_SCHOOL)


def signed_in(page, user) -> None:
    sign_in(page, *user)
    page.get_by_role("heading", name="工作台").wait_for()


def test_school_registrar_imports_primary_freshmen_from_the_template(page, world, registrar):
    signed_in(page, registrar)
    check_accessible(page)
    page.get_by_role("link", name="小学新生注册", exact=True).click()
    page.get_by_role("heading", name="小学新生注册", exact=True).wait_for()
    check_accessible(page)
    page.get_by_role("link", name="居民身份证 导入").click()
    page.get_by_role("heading", name="小学新生注册 — Excel导入").wait_for()
    check_accessible(page)
    page.get_by_label("证件类型", exact=True).select_option(label="港澳台和外籍")
    page.get_by_role("button", name="切换").click()
    assert "港澳台和外籍" in page.get_by_text("导入文件").inner_text()
    with page.expect_download() as download:
        page.get_by_role("link", name="下载模板").click()
    assert download.value.suggested_filename.endswith(".xlsx")
    assert download.value.path().stat().st_size > 1000

    page.get_by_role("button", name="上传").click()  # nothing chosen
    assert page.get_by_text("请选择要导入的Excel文件").is_visible()

    page.get_by_label("导入文件").set_input_files(
        {
            "name": "一年级新生.xlsx",
            "mimeType": XLSX,
            "buffer": freshman_workbook(world, ["陈港一", "陈港二"], ["王无调档"]),
        }
    )
    page.get_by_role("button", name="上传").click()
    page.get_by_role("heading", name="导入结果：一年级新生.xlsx").wait_for()
    assert page.locator("#rows-passed").inner_text() == "2"
    assert page.locator("#rows-failed").inner_text() == "1"
    assert page.get_by_role("cell", name="4", exact=True).is_visible()  # the failed row, header = row 1
    assert page.get_by_text("未找到该学生的学前调档信息").is_visible()
    check_accessible(page)
    screenshot(page, "console-import-report")
    with page.expect_download() as failed:
        page.get_by_role("link", name="下载校验失败数据").click()
    assert failed.value.path().stat().st_size > 1000


def test_registrar_queries_registrations_with_filters_paging_and_a_case_detail(page, world, registrar):
    created = [world.no_document_student(f"周查询{i:02d}") for i in range(21)]
    signed_in(page, registrar)
    page.get_by_role("link", name="学籍注册查询").click()
    page.evaluate("window.sameDocument = true")
    page.get_by_label("姓名").fill("周查询")
    page.get_by_role("button", name="查询").click()
    page.get_by_text("共 21 条").wait_for()
    assert page.evaluate("window.sameDocument === true")  # htmx swapped the list only
    assert "name=%E5%91%A8" in page.url  # and the address can be shared
    assert page.locator("table.list tbody tr").count() == 20  # the service's page, not all
    check_accessible(page)
    screenshot(page, "console-registration-query")
    page.get_by_role("link", name="下一页").click()
    page.get_by_role("link", name="首页").wait_for()
    assert page.locator("table.list tbody tr").count() == 1
    assert page.get_by_label("姓名").input_value() == "周查询"  # conditions kept across pages

    page.get_by_label("姓名").fill("周查询")
    page.get_by_label("注册状态").select_option(label="审核不通过，已退回")
    page.get_by_role("button", name="查询").click()
    page.get_by_text("没有符合条件的记录。").wait_for()

    page.goto(f"/applications/{created[0].application_id}")
    page.get_by_role("heading", name="学籍注册信息：周查询00").wait_for()
    assert page.get_by_text("无需认证").is_visible()
    check_accessible(page)


def test_school_leader_decides_cases_with_opinions_and_in_batches(page, world, leader):
    names = ["吴审核一", "吴审核二", "吴审核三", "吴审核四"]
    apps = [world.no_document_student(n, REVIEW_SCHOOL) for n in names]
    cases = [world.pending_case(a.application_id, REVIEW_SCHOOL) for a in apps]
    signed_in(page, leader)
    check_accessible(page)
    page.get_by_role("link", name="待审核").click()
    page.get_by_role("heading", name="学校审核").wait_for()
    check_accessible(page)
    screenshot(page, "console-school-review")

    # 不通过 needs an opinion: the service's reason appears next to the field.
    # (审核 is a window over the worklist: the manual's 审核页面.)
    page.get_by_role("link", name="审核 吴审核一").click()
    window = page.get_by_role("dialog", name="审核：吴审核一")
    window.get_by_role("button", name="审核不通过").click()
    window.get_by_text("审核不通过时必须填写审核意见").wait_for()
    check_accessible(page)
    window.get_by_label("审核意见").fill("照片不清晰")
    window.get_by_role("button", name="审核不通过").click()
    page.get_by_role("status").filter(has_text="吴审核一 审核不通过").wait_for()
    assert page.get_by_role("dialog").count() == 0
    wait_for(
        lambda: (
            world.registrations.GetApplication(
                registration_pb2.GetApplicationRequest(application_id=apps[0].application_id),
                metadata=world.md(Role.SCHOOL_REGISTRAR, REVIEW_SCHOOL),
                timeout=10,
            ).state
            == registration_pb2.APPLICATION_STATE_RETURNED
        ),
        "the rejection to reach the application",
    )

    # Someone else decided meanwhile: refused, with what was typed kept.
    page.get_by_role("link", name="审核 吴审核二").click()
    window = page.get_by_role("dialog", name="审核：吴审核二")
    window.wait_for()
    world.approve(cases[1], REVIEW_SCHOOL)
    window.get_by_label("审核意见").fill("同意注册")
    window.get_by_role("button", name="审核通过").click()
    window.get_by_role("alert").wait_for()  # in the window
    assert window.get_by_label("审核意见").input_value() == "同意注册"

    # The selected cases are approved one by one; a refused one is named with its reason.
    page.goto("/reviews")
    page.get_by_label("选择吴审核三").check()
    page.get_by_label("选择吴审核四").check()
    world.approve(cases[3], REVIEW_SCHOOL)
    page.get_by_role("button", name="审核通过", exact=True).click()
    page.get_by_role("heading", name="审核结果").wait_for()
    assert "审核通过 1 人，未通过处理 1 人" in page.get_by_role("status").inner_text()
    assert page.get_by_role("cell", name="吴审核四").is_visible()
    check_accessible(page)

    fifth = world.no_document_student("吴审核五", REVIEW_SCHOOL)
    world.pending_case(fifth.application_id, REVIEW_SCHOOL)
    page.goto("/reviews")
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="全部审核通过").click()
    page.get_by_role("heading", name="审核结果").wait_for()
    page.get_by_role("link", name="返回学校审核").click()
    assert page.get_by_role("cell", name="吴审核五").count() == 0


def test_school_leader_reviews_the_selected_students_one_after_the_other(page, world, leader):
    """审核 of several selected students (manual 8.1 说明 1): the 审核页面 loads the first in list
    order, and the next one once it is decided, until every selected student is reviewed."""
    names = ["郑逐个一", "郑逐个二", "郑逐个三"]
    apps = [world.no_document_student(n, REVIEW_SCHOOL) for n in names]
    for a in apps:
        world.pending_case(a.application_id, REVIEW_SCHOOL)
    signed_in(page, leader)
    page.goto("/reviews")
    for n in names:
        page.get_by_label(f"选择{n}").check()
    page.get_by_role("button", name="审核", exact=True).click()
    first = page.get_by_role("heading", name="审核：郑逐个一")
    first.wait_for()
    window = page.get_by_role("dialog")
    assert window.get_by_text("还有 2 名").is_visible()
    check_accessible(page)
    window.get_by_role("button", name="审核通过").click()
    window.get_by_role("heading", name="审核：郑逐个二").wait_for()
    assert "郑逐个一 审核通过" in window.get_by_role("status").inner_text()
    window.get_by_role("button", name="审核不通过").click()  # refused: the same student again
    window.get_by_text("审核不通过时必须填写审核意见").wait_for()
    assert window.get_by_role("heading", name="审核：郑逐个二").is_visible()
    window.get_by_label("审核意见").fill("照片不清晰")
    window.get_by_role("button", name="审核不通过").click()
    window.get_by_role("heading", name="审核：郑逐个三").wait_for()
    assert window.get_by_text("还有").count() == 0
    window.get_by_role("button", name="审核通过").click()
    page.get_by_role("status").filter(has_text="郑逐个三 审核通过").wait_for()
    assert page.get_by_role("dialog").count() == 0
    states = [
        world.registrations.GetApplication(
            registration_pb2.GetApplicationRequest(application_id=a.application_id),
            metadata=world.md(Role.SCHOOL_REGISTRAR, REVIEW_SCHOOL),
            timeout=10,
        ).state
        for a in apps
    ]
    assert states[1] == registration_pb2.APPLICATION_STATE_RETURNED
    for n in names:
        assert page.get_by_role("cell", name=n, exact=True).count() == 0


def test_the_walk_through_selected_students_is_pages_without_script(browser, console_url, world, leader):
    names = ["郑无脚本一", "郑无脚本二"]
    for n in names:
        world.pending_case(world.no_document_student(n, REVIEW_SCHOOL).application_id, REVIEW_SCHOOL)
    context = browser.new_context(base_url=console_url, locale="zh-CN", java_script_enabled=False)
    try:
        page = context.new_page()
        page.set_default_timeout(15000)
        signed_in(page, leader)
        page.goto("/reviews")
        page.get_by_role("button", name="审核", exact=True).click()  # nothing selected: said so
        page.get_by_role("status").filter(has_text="请先勾选要审核的学生").wait_for()
        for n in names:
            page.get_by_label(f"选择{n}").check()
        page.get_by_role("button", name="审核", exact=True).click()
        page.get_by_role("heading", name="审核：郑无脚本一").wait_for()
        page.get_by_role("button", name="审核通过").click()
        page.get_by_role("heading", name="审核：郑无脚本二").wait_for()
        assert "郑无脚本一 审核通过" in page.get_by_role("status").inner_text()
        page.get_by_role("button", name="审核通过").click()
        page.get_by_role("status").filter(has_text="郑无脚本二 审核通过").wait_for()
        assert page.get_by_role("heading", name="学校审核").is_visible()
    finally:
        context.close()


def test_county_registrar_sees_its_schools_waiting_and_queries_its_area(page, world):
    app = world.no_document_student("郑县级", "1330102002")
    case = world.pending_case(app.application_id, "1330102002")
    world.approve(case, "1330102002")
    login = ("scr-county", world.user("scr-county", Role.DEPARTMENT_REGISTRAR, "330102"))
    signed_in(page, login)
    check_accessible(page)
    assert page.get_by_role("link", name="学校审核").count() == 0  # the menu of the role
    page.get_by_role("link", name="学籍注册查询").click()
    page.get_by_label("姓名").fill("郑县级")
    page.get_by_role("button", name="查询").click()
    row = page.locator("table.list tbody tr", has_text="郑县级")
    row.wait_for()
    assert "杭州市上城区天长小学" in row.inner_text()  # a department sees the school
    check_accessible(page)


def test_sign_in_by_keyboard_alone(page, registrar):
    page.goto("/signin")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.id") == "login_name"  # the first stop of the page
    page.keyboard.type(registrar[0])
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.id") == "password"
    page.keyboard.type(registrar[1])
    page.keyboard.press("Enter")
    page.get_by_role("heading", name="工作台").wait_for()
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == "退出"
