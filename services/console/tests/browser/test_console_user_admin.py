"""用户管理 in the browser: a county's user administrator lists, creates, resets, locks, unlocks
and disables the users of its area, and reads the sign-in audit; the accounts service refuses the rest."""

from __future__ import annotations

import pytest
from conftest import check_accessible, screenshot, sign_in
from console_world import wait_for

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

    # 新增 (a window over the list): the service's reasons next to their fields in the window, what
    # was typed kept; the initial password shown in it; closing it shows the list with the new user.
    page.goto("/users?login_name=ua-new")
    page.get_by_text("没有符合条件的记录。").wait_for()
    page.get_by_role("link", name="新增").click()
    dialog = page.get_by_role("dialog", name="新增用户")
    dialog.wait_for()
    assert page.evaluate("document.activeElement.id") == "login_name"  # the window's first field
    dialog.get_by_label("用户名").fill("x")
    dialog.get_by_label("姓名").fill("钱新用户")
    dialog.get_by_role("button", name="保存").click()
    dialog.locator("#login_name-error").wait_for()
    assert dialog.locator("#login_name-error").inner_text().startswith("登录名须为")
    assert dialog.get_by_label("姓名").input_value() == "钱新用户"
    assert page.evaluate("document.activeElement.id") == "login_name"  # the refused field
    check_accessible(page)
    dialog.get_by_label("用户名").fill("ua-new")
    dialog.get_by_label("机构代码").fill("330102")  # another county: not its area
    dialog.get_by_label("角色").select_option(label="教育部门学籍管理员")
    dialog.get_by_role("button", name="保存").click()
    dialog.get_by_role("alert").wait_for()
    assert dialog.get_by_label("用户名").input_value() == "ua-new"
    assert dialog.get_by_label("机构代码").input_value() == "330102"
    dialog.get_by_label("机构代码").fill(SCHOOL)
    dialog.get_by_label("角色").select_option(label="学校学籍管理员")
    dialog.get_by_role("button", name="保存").click()
    dialog = page.get_by_role("dialog", name="新增：ua-new")  # the window's title follows its content
    dialog.wait_for()
    temporary = dialog.locator("#temporary-password").inner_text()
    assert len(temporary) >= 8
    check_accessible(page)
    dialog.get_by_role("link", name="返回用户管理").click()
    wait_for(lambda: page.get_by_role("dialog").count() == 0, "the window closed")
    page.get_by_role("cell", name="ua-new", exact=True).wait_for()  # the list under it, reloaded

    # 锁定 / 解锁 after the confirmation; refused (dismissed) nothing changes.
    asked = []
    page.once("dialog", lambda question: (asked.append(question.message), question.dismiss()))
    page.get_by_role("button", name="锁定 ua-new").click()
    wait_for(lambda: page.wait_for_timeout(100) or asked, "the confirmation")  # (pumps the events)
    assert asked == ["确定锁定 ua-new 吗？锁定期间不能登录。"]
    assert page.get_by_role("status").count() == 0
    assert page.get_by_role("cell", name="正常", exact=True).is_visible()
    page.once("dialog", lambda question: question.accept())
    page.get_by_role("button", name="锁定 ua-new").click()
    page.get_by_role("status").filter(has_text="ua-new 已锁定").wait_for()
    assert page.get_by_role("cell", name="锁定", exact=True).is_visible()
    page.once("dialog", lambda question: question.accept())
    page.get_by_role("button", name="解锁 ua-new").click()
    page.get_by_role("status").filter(has_text="ua-new 已解锁").wait_for()
    # 重置密码: a window naming the user, 确定, the new initial password in it.
    page.get_by_role("link", name="重置密码 ua-new").click()
    dialog = page.get_by_role("dialog", name="重置密码：ua-new")
    dialog.wait_for()
    check_accessible(page)
    dialog.get_by_role("button", name="确定").click()
    dialog = page.get_by_role("dialog")
    dialog.locator("#temporary-password").wait_for()
    reset = dialog.locator("#temporary-password").inner_text()
    assert reset != temporary
    page.keyboard.press("Escape")
    wait_for(lambda: page.get_by_role("dialog").count() == 0, "the window closed by Esc")
    page.get_by_role("cell", name="ua-new", exact=True).wait_for()
    page.once("dialog", lambda question: question.accept())
    page.get_by_role("button", name="停用 ua-new").click()
    page.get_by_role("status").filter(has_text="ua-new 已停用").wait_for()
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
    page.once("dialog", lambda question: question.accept())
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
    dialog = page.get_by_role("dialog", name="修改用户：ua-edit")
    dialog.wait_for()
    assert dialog.get_by_label("姓名").input_value() == "ua-edit 测试"
    assert dialog.get_by_label("机构代码").input_value() == SCHOOL
    check_accessible(page)

    # A department role at a school: the service's reason next to 角色 in the window, what was typed kept.
    dialog.get_by_label("姓名").fill("孙修改")
    dialog.get_by_label("角色").select_option(label="教育部门学籍管理员")
    dialog.get_by_role("button", name="保存").click()
    dialog.locator("#role-error").wait_for()
    assert "只能属于教育行政部门" in dialog.locator("#role-error").inner_text()
    assert dialog.get_by_label("姓名").input_value() == "孙修改"
    assert dialog.get_by_label("角色").input_value() == "3"
    assert page.evaluate("document.activeElement.id") == "role"  # the refused field
    check_accessible(page)
    dialog.get_by_label("姓名").fill("")
    dialog.get_by_label("机构代码").fill("9999999999")
    dialog.get_by_role("button", name="保存").click()
    dialog.locator("#org_unit_code-error").wait_for()
    assert dialog.locator("#org_unit_code-error").inner_text().startswith("未知的机构代码")
    # 返回 closes the window, nothing saved.
    dialog.get_by_role("link", name="返回").click()
    wait_for(lambda: page.get_by_role("dialog").count() == 0, "the window closed")
    assert page.evaluate("document.activeElement.textContent") == "修改"  # back on the link that opened it

    page.get_by_role("link", name="修改 ua-edit").click()
    dialog.wait_for()
    dialog.get_by_label("姓名").fill("孙修改")
    dialog.get_by_label("机构代码").fill(SCHOOL)
    dialog.get_by_label("角色").select_option(label="学校学籍主管领导")
    dialog.get_by_role("button", name="保存").click()
    page.get_by_role("status").filter(has_text="ua-edit 已修改").wait_for()
    assert page.get_by_role("dialog").count() == 0
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


def test_user_windows_are_pages_without_script(browser, console_url, world, admin):
    """Without JavaScript 新增, 修改 and 重置密码 are pages: the link navigates, the form posts."""
    world.user("ua-nojs", Role.SCHOOL_REGISTRAR, SCHOOL)
    context = browser.new_context(base_url=console_url, locale="zh-CN", java_script_enabled=False)
    try:
        page = context.new_page()
        page.set_default_timeout(15000)
        sign_in(page, *admin)
        page.goto("/users?login_name=ua-nojs")
        page.get_by_role("link", name="修改 ua-nojs").click()
        page.get_by_role("heading", name="修改用户：ua-nojs").wait_for()
        assert page.url.endswith("/users/ua-nojs/edit") and page.get_by_role("dialog").count() == 0
        page.get_by_label("姓名").fill("周无脚本")
        page.get_by_role("button", name="保存").click()
        page.get_by_role("status").filter(has_text="ua-nojs 已修改").wait_for()
        assert "周无脚本" in page.locator("table.list tbody tr", has_text="ua-nojs").inner_text()
        page.get_by_role("link", name="重置密码 ua-nojs").click()
        page.get_by_role("heading", name="重置密码：ua-nojs").wait_for()
        page.get_by_role("button", name="确定").click()
        assert len(page.locator("#temporary-password").inner_text()) >= 8
        page.goto("/users")
        page.get_by_role("link", name="新增").click()
        page.get_by_role("heading", name="新增用户").wait_for()
        assert page.url.endswith("/users/new")
    finally:
        context.close()
