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

    # 不通过 without an opinion: the service's reason at the field; then with one.
    page.get_by_role("link", name="审核 冯部门一").click()
    assert page.get_by_text("区县级、地市级、省级").is_visible()  # the levels this student needs
    page.get_by_role("button", name="审核不通过").click()
    assert page.get_by_text("审核不通过时必须填写审核意见").is_visible()
    check_accessible(page)
    page.get_by_label("审核意见").fill("户籍证明不全")
    page.get_by_role("button", name="审核不通过").click()
    assert page.get_by_role("status").inner_text() == "冯部门一 审核不通过"
    assert page.get_by_role("cell", name="冯部门一", exact=True).count() == 0  # back on the school's list

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
        assert page.get_by_role("cell", name="西湖区", exact=True).first.is_visible()  # the county's approval
        page.get_by_label("审核意见").fill("同意")
        page.get_by_role("button", name="审核通过").click()
        assert page.get_by_role("status").inner_text() == "冯部门二 审核通过"
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
