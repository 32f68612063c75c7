"""全国学籍查询 in the browser: a registered student found by name + national student number with
the captcha, the eight fields shown; a wrong captcha refused at its field with what was typed kept."""

from __future__ import annotations

import pytest
from conftest import check_accessible, screenshot, sign_in
from console_world import wait_for

from xueji.v1 import registration_pb2
from xueji_common.auth import Role

SCHOOL = "1330106004"


@pytest.fixture(scope="module")
def registered(world):
    app = world.no_document_student("李全国", SCHOOL)
    world.registered(app.application_id, SCHOOL)
    md = world.md(Role.SCHOOL_REGISTRAR, SCHOOL)
    return wait_for(
        lambda: (
            (
                a := world.registrations.GetApplication(
                    registration_pb2.GetApplicationRequest(application_id=app.application_id),
                    metadata=md,
                    timeout=10,
                )
            ).national_student_number
            and a
        ),
        "the national student number",
    )


def captcha_id(page) -> str:
    return page.locator("input[name='captcha_id']").input_value()


def ask_with_a_wrong_captcha(page, national_student_number: str) -> None:
    """李全国 by national student number, the captcha answered wrong: refused at its field."""
    page.get_by_label("姓名").fill("李全国")
    page.get_by_label("查询方式").select_option(label="全国学籍号")
    page.get_by_label("身份证件号或全国学籍号").fill(national_student_number)
    page.get_by_label("验证码", exact=True).fill("0000")  # 0 is not in the alphabet: wrong
    page.get_by_role("button", name="查询").click()
    assert page.locator("#captcha_answer-error").inner_text().startswith("验证码")


def test_a_registrar_looks_a_student_up_with_the_captcha(page, world, registered):
    sign_in(page, "nq-registrar", world.user("nq-registrar", Role.SCHOOL_REGISTRAR, SCHOOL))
    page.get_by_role("heading", name="工作台").wait_for()
    page.get_by_role("link", name="全国学籍查询").click()
    page.get_by_role("img", name="验证码图片").wait_for()
    assert (
        page.get_by_role("img", name="验证码图片").evaluate("img => img.naturalWidth") > 0
    )  # drawn, CSP allows it
    check_accessible(page)

    ask_with_a_wrong_captcha(page, registered.national_student_number)
    assert page.get_by_label("姓名").input_value() == "李全国"
    check_accessible(page)

    spent = {}

    def answered() -> bool:  # the record reaches the national read model through events
        spent["id"] = captcha_id(page)
        spent["answer"] = world.captcha_answer(spent["id"])
        page.get_by_label("验证码", exact=True).fill(spent["answer"])
        page.get_by_role("button", name="查询").click()
        return page.get_by_role("heading", name="查询结果").count() > 0

    wait_for(answered, "the student in the national lookup", timeout=60)
    row = page.locator("table.list tbody tr").first.inner_text()
    for shown in ("李全国", registered.national_student_number, "浙江省", "在读", "否"):
        assert shown in row
    check_accessible(page)
    screenshot(page, "console-national-query")

    # A captcha is good for one lookup: the spent one, answered right, is refused.
    page.evaluate(f"document.querySelector(\"input[name='captcha_id']\").value = '{spent['id']}'")
    page.get_by_label("验证码", exact=True).fill(spent["answer"])
    page.get_by_role("button", name="查询").click()
    assert page.locator("#captcha_answer-error").inner_text() == "验证码已使用，请刷新验证码"


def test_the_ministry_looks_a_student_up_from_its_menu(page, world, registered):
    """The ministry (a registrar of the nation's unit) has 全国学籍查询 in its menu, called at the
    nation's national-query with a captcha like anyone's; the eight fields of the found student."""
    sign_in(page, "moe-lookup", world.user("moe-lookup", Role.DEPARTMENT_REGISTRAR, "000000"))
    page.get_by_role("heading", name="工作台").wait_for()
    menu = page.get_by_role("navigation")
    assert [menu.get_by_role("link", name=t).count() for t in ("问题学籍处理", "学籍注册查询")] == [1, 0]
    menu.get_by_role("link", name="全国学籍查询").click()
    page.get_by_role("img", name="验证码图片").wait_for()
    check_accessible(page)

    ask_with_a_wrong_captcha(page, registered.national_student_number)
    assert page.get_by_role("heading", name="查询结果").count() == 0

    def answered() -> bool:  # the record reaches the national read model through events
        page.get_by_label("验证码", exact=True).fill(world.captcha_answer(captcha_id(page)))
        page.get_by_role("button", name="查询").click()
        return page.get_by_role("heading", name="查询结果").count() > 0

    wait_for(answered, "the student in the ministry's lookup", timeout=60)
    cells = page.locator("table.list tbody tr").first.locator("td").all_inner_texts()
    assert cells[:2] == ["李全国", registered.national_student_number]
    assert cells[3:7] == ["浙江省", "初中", "在读", "否"] and cells[7]  # 所在省份 ... 最新学籍变动时间
    check_accessible(page)
