"""用户管理 in the browser: a county's user administrator lists, creates, resets, locks, unlocks
and disables the users of its area, and reads the sign-in audit; the accounts service refuses the rest."""

from __future__ import annotations

import pytest
from conftest import check_accessible, screenshot, sign_in

from xueji_common.auth import Role

COUNTY, SCHOOL = "330106", "1330106003"


@pytest.fixture(scope="module")
def admin(world):
    return "ua-admin", world.user("ua-admin", Role.USER_ADMIN, COUNTY)


def test_user_administrator_creates_resets_locks_and_disables_users_of_its_area(page, context, world, admin):
    for i in range(21):
        world.user(f"ua-page-{i:02d}", Role.SCHOOL_REGISTRAR, SCHOOL, change_password=False)
    sign_in(page, *admin)
    page.get_by_role("link", name="用户管理").click()
    page.get_by_role("heading", name="用户管理").wait_for()
    check_accessible(page)

    page.get_by_label("用户名").fill("ua-page")
    page.get_by_role("button", name="查询").click()
    page.get_by_text("共 21 条").wait_for()
    assert page.locator("table.list tbody tr").count() == 20
    page.get_by_role("link", name="下一页").click()
    page.get_by_role("link", name="首页").wait_for()
    assert page.locator("table.list tbody tr").count() == 1

    # 新增: the service's reasons next to their fields, what was typed kept.
    page.get_by_role("link", name="新增").click()
    page.get_by_label("用户名").fill("x")
    page.get_by_label("姓名").fill("钱新用户")
    page.get_by_role("button", name="保存").click()
    assert page.locator("#login_name-error").inner_text().startswith("登录名须为")
    assert page.get_by_label("姓名").input_value() == "钱新用户"
    check_accessible(page)
    page.get_by_label("用户名").fill("ua-new")
    page.get_by_label("机构代码").fill("330102")  # another county: not its area
    page.get_by_label("角色").select_option(label="教育部门学籍管理员")
    page.get_by_role("button", name="保存").click()
    assert page.get_by_role("alert").is_visible()
    assert page.get_by_label("用户名").input_value() == "ua-new"
    page.get_by_label("机构代码").fill(SCHOOL)
    page.get_by_label("角色").select_option(label="学校学籍管理员")
    page.get_by_role("button", name="保存").click()
    page.get_by_role("heading", name="新增：ua-new").wait_for()
    temporary = page.locator("#temporary-password").inner_text()
    assert len(temporary) >= 8
    check_accessible(page)

    # 锁定 / 解锁 / 重置密码 / 停用, each from the list row.
    page.goto("/users?login_name=ua-new")
    page.get_by_role("button", name="锁定 ua-new").click()
    assert page.get_by_role("status").inner_text() == "ua-new 已锁定"
    assert page.get_by_role("cell", name="锁定", exact=True).is_visible()
    page.get_by_role("button", name="解锁 ua-new").click()
    assert page.get_by_role("status").inner_text() == "ua-new 已解锁"
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="重置密码 ua-new").click()
    page.get_by_role("heading", name="重置密码：ua-new").wait_for()
    reset = page.locator("#temporary-password").inner_text()
    assert reset != temporary
    page.goto("/users?login_name=ua-new")
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="停用 ua-new").click()
    assert page.get_by_role("status").inner_text() == "ua-new 已停用"
    check_accessible(page)
    screenshot(page, "console-user-admin")

    other = context.browser.new_context(base_url=page.url.split("/users")[0], locale="zh-CN")
    try:
        refused = other.new_page()
        sign_in(refused, "ua-new", reset)
        refused.get_by_text("账号已停用，请联系本单位用户管理员").wait_for()
    finally:
        other.close()

    # The sign-in audit shows the refused attempt.
    page.get_by_role("link", name="登录日志").click()
    page.get_by_label("用户名").fill("ua-new")
    page.get_by_role("button", name="查询").click()
    page.get_by_role("cell", name="账号已停用", exact=True).wait_for()
    check_accessible(page)


def test_an_administrator_cannot_lock_itself(page, admin):
    sign_in(page, *admin)
    page.goto("/users?login_name=ua-admin")
    page.get_by_role("button", name="锁定 ua-admin").click()
    assert page.get_by_role("status").inner_text() == "不能锁定或停用自己的账号"
    row = page.locator("table.list tbody tr", has=page.get_by_role("cell", name="ua-admin", exact=True))
    assert "正常" in row.inner_text()


def test_user_administrator_modifies_a_user_and_reads_the_change_log(page, world, admin):
    world.user("ua-edit", Role.SCHOOL_REGISTRAR, SCHOOL)
    for i in range(21):  # more changes than a page holds
        world.user(f"ua-log-{i:02d}", Role.SCHOOL_REGISTRAR, SCHOOL, change_password=False)
    sign_in(page, *admin)
    page.goto("/users?login_name=ua-edit")
    page.get_by_role("link", name="修改 ua-edit").click()
    page.get_by_role("heading", name="修改用户：ua-edit").wait_for()
    assert page.get_by_label("姓名").input_value() == "ua-edit 测试"
    assert page.get_by_label("机构代码").input_value() == SCHOOL
    check_accessible(page)

    # A department role at a school: the service's reason next to 角色, what was typed kept.
    page.get_by_label("姓名").fill("孙修改")
    page.get_by_label("角色").select_option(label="教育部门学籍管理员")
    page.get_by_role("button", name="保存").click()
    assert "只能属于教育行政部门" in page.locator("#role-error").inner_text()
    assert page.get_by_label("姓名").input_value() == "孙修改"
    assert page.get_by_label("角色").input_value() == "3"
    check_accessible(page)
    page.get_by_label("姓名").fill("")
    page.get_by_label("机构代码").fill("9999999999")
    page.get_by_role("button", name="保存").click()
    assert page.locator("#org_unit_code-error").inner_text().startswith("未知的机构代码")

    page.get_by_label("姓名").fill("孙修改")
    page.get_by_label("机构代码").fill(SCHOOL)
    page.get_by_label("角色").select_option(label="学校学籍主管领导")
    page.get_by_role("button", name="保存").click()
    assert page.get_by_role("status").inner_text() == "ua-edit 已修改"
    row = page.locator("table.list tbody tr", has=page.get_by_role("cell", name="ua-edit", exact=True))
    assert "孙修改" in row.inner_text() and "学校学籍主管领导" in row.inner_text()

    # The change log: every change of the area, 20 a page; filtered by user.
    page.get_by_role("link", name="账号变更日志").first.click()
    page.get_by_role("heading", name="账号变更日志").wait_for()
    assert page.locator("table.list tbody tr").count() == 20
    page.get_by_role("link", name="下一页").click()
    page.get_by_role("link", name="首页").wait_for()
    check_accessible(page)
    page.get_by_label("用户名").fill("ua-edit")
    page.get_by_role("button", name="查询").click()
    page.get_by_role("cell", name="修改", exact=True).wait_for()
    update = page.locator("table.list tbody tr", has=page.get_by_role("cell", name="修改", exact=True))
    assert "姓名：孙修改；角色：学校学籍主管领导" in update.inner_text()
    assert "ua-admin" in update.inner_text()
    assert page.get_by_role("cell", name="新增", exact=True).is_visible()
    check_accessible(page)
