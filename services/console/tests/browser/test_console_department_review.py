"""主管部门审核 in the browser: county, city and province registrars take a no-document student
through the chain (it needs all three), each from the area's 审核列表 to the school's cases."""

from __future__ import annotations

import pytest
from conftest import check_accessible, screenshot, sign_in
from console_world import wait_for

from xueji.v1 import registration_pb2, review_pb2
from xueji_common.auth import Role

WENXIN, CUIYUAN = "1330106001", "1330106002"  # 西湖区: no other test reports there
COUNTY, CITY, PROVINCE = "330106", "330100", "330000"


@pytest.fixture(scope="module")
def reported(world):
    """Four no-document students approved by their schools and reported to the county."""
    apps = {n: world.no_document_student(n, WENXIN) for n in ("冯部门一", "冯部门二", "冯部门三")}
    apps["冯部门四"] = world.no_document_student("冯部门四", CUIYUAN)
    return {
        n: world.reported(a.application_id, WENXIN if n != "冯部门四" else CUIYUAN) for n, a in apps.items()
    }


def signed_in(page, world, login: str, unit: str) -> None:
    sign_in(page, login, world.user(login, Role.DEPARTMENT_REGISTRAR, unit))
    page.get_by_role("heading", name="工作台").wait_for()


def department_approves(world, case, unit: str) -> None:
    world.reviews.ApproveCase(
        review_pb2.ApproveCaseRequest(case_id=case.case_id, expected_version=case.version),
        metadata=world.md(Role.DEPARTMENT_REGISTRAR, unit),
        timeout=10,
    )


def test_county_city_and_province_review_a_no_document_student_with_opinions_and_batches(
    page, world, reported
):
    signed_in(page, world, "dep-county", COUNTY)
    page.get_by_role("link", name="待审核").click()  # the workbench leads to the worklist
    page.get_by_role("heading", name="主管部门审核").wait_for()
    assert page.locator("#pending-total").inner_text() == "4"
    row = page.locator("table.list tbody tr", has_text="杭州市西湖区文新小学")
    assert "3" in row.locator("td").nth(5).inner_text()  # 无证件 column of the school
    check_accessible(page)
    screenshot(page, "console-department-review")

    page.get_by_role("link", name="审核 杭州市西湖区文新小学").click()
    page.get_by_role("cell", name="冯部门一", exact=True).wait_for()
    assert page.locator("table.list tbody tr").count() == 3
    check_accessible(page)

    # 审核 in a window over the school's list: Esc closes it undecided, focus back on its link.
    page.get_by_role("link", name="审核 冯部门一").click()
    window = page.get_by_role("dialog", name="审核：冯部门一")
    window.wait_for()
    assert page.evaluate("document.activeElement.id") == "opinion"
    page.keyboard.press("Escape")
    wait_for(lambda: page.get_by_role("dialog").count() == 0, "the window closed by Esc")
    assert page.evaluate("document.activeElement.getAttribute('aria-label')") == "审核 冯部门一"
    # 不通过 without an opinion: the service's reason at the field in the window; then with one.
    page.get_by_role("link", name="审核 冯部门一").click()
    window.wait_for()
    assert window.get_by_text("区县级、地市级、省级").is_visible()  # the levels this student needs
    window.get_by_role("button", name="审核不通过").click()
    window.get_by_text("审核不通过时必须填写审核意见").wait_for()
    check_accessible(page)
    window.get_by_label("审核意见").fill("户籍证明不全")
    window.get_by_role("button", name="审核不通过").click()
    page.get_by_role("status").filter(has_text="冯部门一 审核不通过").wait_for()
    assert page.get_by_role("dialog").count() == 0
    assert page.get_by_role("cell", name="冯部门一", exact=True).count() == 0  # back on the school's list

    # 学籍注册查询: the returned student's 审核信息 window says who returned it, when and why.
    page.get_by_role("link", name="学籍注册查询").click()
    page.get_by_label("姓名").fill("冯部门一")
    page.get_by_role("button", name="查询").click()
    page.get_by_role("link", name="审核信息 冯部门一").click()
    window = page.get_by_role("dialog", name="审核信息：冯部门一")
    window.wait_for()
    info = dict(zip(window.locator("dt").all_inner_texts(), window.locator("dd").all_inner_texts()))
    assert info["驳回单位"] == "西湖区" and info["用户"] == "dep-county", info
    assert info["审核意见"] == "户籍证明不全" and info["时间"]
    assert info["当前处理单位"] and info["学籍查重认证状态"]
    check_accessible(page)
    window.get_by_role("link", name="返回").click()
    wait_for(lambda: page.get_by_role("dialog").count() == 0, "the window closed by 返回")
    page.goto(f"/department-reviews?school={WENXIN}")

    # Selected cases approved one by one; one decided meanwhile is named with the service's reason.
    page.get_by_label("选择冯部门二").check()
    page.get_by_label("选择冯部门三").check()
    department_approves(world, reported["冯部门三"], COUNTY)
    page.get_by_role("button", name="审核通过", exact=True).click()
    page.get_by_role("heading", name="审核结果").wait_for()
    assert "审核通过 1 人，未通过处理 1 人" in page.get_by_role("status").inner_text()
    assert page.get_by_role("cell", name="冯部门三", exact=True).is_visible()
    check_accessible(page)

    # 全部审核通过 for the schools ticked in the area's list.
    page.get_by_role("link", name="返回主管部门审核").click()  # the school's list again
    page.get_by_text("没有待审核的学生。").wait_for()  # 一 returned, 二 and 三 approved
    page.get_by_role("link", name="主管部门审核", exact=True).click()  # the menu: the area's list
    page.get_by_label("选择杭州市西湖区翠苑小学").check()
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="全部审核通过").click()
    page.get_by_role("heading", name="审核结果").wait_for()
    assert "审核通过 1 人" in page.get_by_role("status").inner_text()
    page.get_by_role("button", name="退出").click()

    # The city, then the province: the history shows every level's decision.
    for login, unit in (("dep-city", CITY), ("dep-province", PROVINCE)):
        signed_in(page, world, login, unit)
        page.goto(f"/department-reviews?school={WENXIN}")
        page.get_by_role("link", name="审核 冯部门二").click()
        window = page.get_by_role("dialog", name="审核：冯部门二")
        window.wait_for()
        assert window.get_by_role(
            "cell", name="西湖区", exact=True
        ).first.is_visible()  # the county's approval
        window.get_by_label("审核意见").fill("同意")
        window.get_by_role("button", name="审核通过").click()
        page.get_by_role("status").filter(has_text="冯部门二 审核通过").wait_for()
        check_accessible(page)
        page.get_by_role("button", name="退出").click()

    md = world.md(Role.SCHOOL_REGISTRAR, WENXIN)
    wait_for(
        lambda: (
            world.registrations.GetApplication(
                registration_pb2.GetApplicationRequest(application_id=reported["冯部门二"].application_id),
                metadata=md,
                timeout=10,
            ).state
            == registration_pb2.APPLICATION_STATE_APPROVED
        ),
        "the province's approval to register the student",
    )


def test_a_county_cannot_open_a_school_outside_its_area(page, world, reported):
    signed_in(page, world, "dep-county-2", "330102")
    response = page.goto(f"/department-reviews?school={WENXIN}")
    assert response.status == 403
    assert page.get_by_text("冯部门").count() == 0
    response = page.goto(f"/department-reviews/{reported['冯部门二'].case_id}")
    assert response.status == 403
    assert page.get_by_text("冯部门二").count() == 0
    response = page.goto(f"/applications/{reported['冯部门一'].application_id}/review-info")
    assert response.status == 403
    assert page.get_by_text("冯部门一").count() == 0


def test_review_windows_are_pages_without_script(browser, console_url, world):
    """Without JavaScript 审核 and 审核信息 are pages: the link navigates, the decision posts."""
    app = world.no_document_student("冯部门无脚本", CUIYUAN)
    world.reported(app.application_id, CUIYUAN)
    context = browser.new_context(base_url=console_url, locale="zh-CN", java_script_enabled=False)
    try:
        page = context.new_page()
        page.set_default_timeout(15000)
        signed_in(page, world, "dep-county-nojs", COUNTY)
        page.goto(f"/department-reviews?school={CUIYUAN}")
        page.get_by_role("link", name="审核 冯部门无脚本").click()
        page.get_by_role("heading", name="审核：冯部门无脚本").wait_for()
        assert "/department-reviews/" in page.url and page.get_by_role("dialog").count() == 0
        page.get_by_role("button", name="审核不通过").click()
        page.get_by_text("审核不通过时必须填写审核意见").wait_for()  # refused: the page again
        page.get_by_label("审核意见").fill("材料不全")
        page.get_by_role("button", name="审核不通过").click()
        page.get_by_role("status").filter(has_text="冯部门无脚本 审核不通过").wait_for()
        page.goto("/applications?name=%E5%86%AF%E9%83%A8%E9%97%A8%E6%97%A0%E8%84%9A%E6%9C%AC")
        page.get_by_role("link", name="审核信息 冯部门无脚本").click()
        page.get_by_role("heading", name="审核信息：冯部门无脚本").wait_for()
        assert page.url.endswith("/review-info") and page.get_by_text("材料不全").is_visible()
    finally:
        context.close()
