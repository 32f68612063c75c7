"""特教学生信息管理 in the browser: the school registrar adds a student among the candidates (a
registered student whose record names a disability), the inputs following the proof type, the
special-ed service's reasons next to them, then maintains the information."""

from __future__ import annotations

import pytest
from conftest import check_accessible, screenshot, sign_in
from console_world import wait_for
from playwright.sync_api import expect

from xueji.v1 import common_pb2, special_ed_pb2
from xueji_common.auth import Role

SCHOOL = "1330106006"


@pytest.fixture(scope="module")
def candidate(world):
    app = world.no_document_student(
        "吴特教",
        SCHOOL,
        disabilityType="DISABILITY_TYPE_HEARING",
        inclusiveEducation="INCLUSIVE_EDUCATION_NONE",
    )
    world.registered(app.application_id, SCHOOL)
    md = world.md(Role.SCHOOL_REGISTRAR, SCHOOL)
    return wait_for(
        lambda: (
            world.special_ed.ListCandidates(
                special_ed_pb2.ListCandidatesRequest(school_code=SCHOOL, name="吴特教", page_size=10),
                metadata=md,
                timeout=10,
            ).candidates
        ),
        "the candidate",
    )[0]


def test_school_registrar_adds_and_maintains_special_education_information(page, world, candidate):
    sign_in(page, "se-registrar", world.user("se-registrar", Role.SCHOOL_REGISTRAR, SCHOOL))
    page.get_by_role("heading", name="工作台").wait_for()
    page.get_by_role("link", name="特教学生信息管理").click()
    page.get_by_role("heading", name="特教学生信息管理").wait_for()
    check_accessible(page)
    # 添加: the candidates in a window, queried in it; 确定 turns it into the 新增 window.
    page.get_by_role("link", name="添加").click()
    dialog = page.get_by_role("dialog", name="特教学生选择")
    dialog.wait_for()
    dialog.get_by_label("姓名").fill("没有这个学生")
    dialog.get_by_role("button", name="查询").click()
    dialog.get_by_text("没有未维护特教信息的残疾学生。").wait_for()  # queried in the window
    dialog.get_by_label("姓名").fill("吴特教")
    dialog.get_by_role("button", name="查询").click()
    dialog.get_by_role("link", name="确定 吴特教").click()
    dialog = page.get_by_role("dialog", name="特教学生信息新增：吴特教")
    dialog.wait_for()
    assert dialog.get_by_label("残疾类型").input_value() == str(
        common_pb2.DISABILITY_TYPE_HEARING
    )  # from the record
    assert not dialog.get_by_label("残疾程度").is_visible()
    dialog.get_by_label("残疾证明类型").select_option(label="残疾证")
    assert dialog.get_by_label("残疾程度").is_visible() and dialog.get_by_label("残疾证书号").is_visible()
    assert not dialog.get_by_label("残疾描述").is_visible()
    check_accessible(page)

    # Refused: the reasons at their inputs in the window, what was chosen kept.
    dialog.get_by_label("随班就读").select_option(label="非随班就读")
    dialog.get_by_role("button", name="保存").click()
    dialog.locator("#degree-error").wait_for()
    assert (
        dialog.locator("#degree-error").inner_text() == "残疾证明类型为残疾证或医院残疾证明时，残疾程度必选"
    )
    assert (
        dialog.locator("#certificate_number-error").inner_text() == "残疾证明类型为残疾证时，残疾证书号必填"
    )
    assert dialog.get_by_label("随班就读").input_value() == str(common_pb2.INCLUSIVE_EDUCATION_NONE)  # kept
    assert dialog.get_by_label("残疾证明类型").input_value() == str(
        special_ed_pb2.DISABILITY_PROOF_TYPE_CERTIFICATE
    )
    assert page.evaluate("document.activeElement.id") == "degree"  # the first refused input
    check_accessible(page)

    # Saved: the window closes, the list shows the student.
    dialog.get_by_label("残疾证明类型").select_option(label="医院残疾证明")
    dialog.get_by_label("残疾程度").select_option(label="二级")
    dialog.get_by_role("button", name="保存").click()
    page.get_by_role("status").filter(has_text="保存成功").wait_for()
    assert page.get_by_role("dialog").count() == 0
    row = page.locator("table.list tbody tr", has_text="吴特教")
    assert "医院残疾证明" in row.inner_text() and "二级" in row.inner_text()
    screenshot(page, "console-special-ed")

    # 信息维护 in a window: Esc closes it unsaved; then refused and saved.
    page.get_by_role("link", name="信息维护 吴特教").click()
    dialog = page.get_by_role("dialog", name="特教学生信息维护：吴特教")
    dialog.wait_for()
    dialog.get_by_label("残疾证明类型").select_option(label="有明显残疾症状")
    page.keyboard.press("Escape")
    wait_for(lambda: page.get_by_role("dialog").count() == 0, "the window closed by Esc")
    assert page.evaluate("document.activeElement.textContent") == "信息维护"
    assert "医院残疾证明" in page.locator("table.list tbody tr", has_text="吴特教").inner_text()
    page.get_by_role("link", name="信息维护 吴特教").click()
    dialog.wait_for()
    assert dialog.get_by_label("残疾证明类型").input_value() == str(
        special_ed_pb2.DISABILITY_PROOF_TYPE_HOSPITAL_PROOF
    )
    dialog.get_by_label("残疾证明类型").select_option(label="有明显残疾症状")
    assert dialog.get_by_label("残疾描述").is_visible()
    dialog.get_by_role("button", name="保存").click()
    dialog.locator("#symptom_description-error").wait_for()
    assert (
        dialog.locator("#symptom_description-error").inner_text()
        == "残疾证明类型为有明显残疾症状时，残疾描述必填"
    )
    dialog.get_by_label("残疾描述").fill("双耳听力明显受损")
    dialog.get_by_role("button", name="保存").click()
    # The first save's 保存成功 is still on the page under the window: wait for the list reloaded
    # with the new value (the save's redirect), not for that status.
    expect(page.locator("table.list tbody tr", has_text="吴特教")).to_contain_text(
        "有明显残疾症状", timeout=15000
    )
    expect(page.get_by_role("dialog")).to_have_count(0, timeout=15000)
    page.get_by_role("status").filter(has_text="保存成功").wait_for()
    check_accessible(page)


def test_special_education_windows_are_pages_without_script(browser, console_url, world, candidate):
    """Without JavaScript 添加 and 信息维护 (of the student the test above added) are pages: the
    links navigate, the form posts, the list comes back."""
    context = browser.new_context(base_url=console_url, locale="zh-CN", java_script_enabled=False)
    try:
        page = context.new_page()
        page.set_default_timeout(15000)
        sign_in(page, "se-registrar-nojs", world.user("se-registrar-nojs", Role.SCHOOL_REGISTRAR, SCHOOL))
        page.get_by_role("heading", name="工作台").wait_for()
        page.goto("/special-ed")
        page.get_by_role("link", name="添加").click()
        page.get_by_role("heading", name="特教学生选择").wait_for()
        assert page.url.endswith("/special-ed/candidates") and page.get_by_role("dialog").count() == 0
        page.goto("/special-ed")
        page.get_by_role("link", name="信息维护 吴特教").click()
        page.get_by_role("heading", name="特教学生信息维护：吴特教").wait_for()
        assert page.url.endswith(f"/special-ed/{candidate.record_id}")
        page.get_by_label("随班就读").select_option(label="非随班就读")
        page.get_by_role("button", name="保存").click()
        page.get_by_role("status").filter(has_text="保存成功").wait_for()
    finally:
        context.close()
