"""问题学籍处理 in the browser: two no-document students of one county with the same name, gender
and birth date make a problem group; the county registrar sees it, is refused without an opinion
and proof, then keeps one record (佐证) and deletes the other in one step."""

from __future__ import annotations

import io

import pytest
from conftest import check_accessible, screenshot, sign_in
from console_world import wait_for
from PIL import Image

from xueji.v1 import dedup_pb2
from xueji_common.auth import Role

SCHOOLS, COUNTY = ("1330105004", "1330105005"), "330105"


def png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (8, 8), (30, 30, 200)).save(out, "PNG")
    return out.getvalue()


@pytest.fixture(scope="module")
def twins(world):
    for school in SCHOOLS:
        world.registered(world.no_document_student("孙问题", school).application_id, school)
    md = world.md(Role.DEPARTMENT_REGISTRAR, COUNTY)
    return wait_for(
        lambda: (
            world.problems.ListProblemGroups(
                dedup_pb2.ListProblemGroupsRequest(name="孙问题", page_size=10), metadata=md, timeout=10
            ).groups
        ),
        "the problem group",
    )


def test_county_registrar_corroborates_one_record_and_deletes_its_twin(page, world, twins):
    [group] = twins
    assert len(group.students) == 2
    sign_in(page, "pr-county", world.user("pr-county", Role.DEPARTMENT_REGISTRAR, COUNTY))
    page.get_by_role("heading", name="工作台").wait_for()
    page.get_by_role("link", name="问题学籍处理").click()
    page.get_by_label("姓名").fill("孙问题")
    page.get_by_role("button", name="查询").click()
    row = page.locator("table.list tbody tr", has_text="孙问题")
    assert "无证件学生姓名性别出生日期相同" in row.inner_text() and "待处理" in row.inner_text()
    check_accessible(page)

    page.get_by_role("link", name="处理 孙问题").click()
    page.get_by_role("heading", name="问题学籍详情：无证件学生姓名性别出生日期相同").wait_for()
    first, second = group.students
    check_accessible(page)
    page.get_by_label(f"处理方式 {first.name}").first.select_option(label="修正")
    assert page.locator(f"#r-{first.record_id}-correct").is_visible()  # 修正 asks for the corrected data
    page.get_by_label(f"处理方式 {first.name}").first.select_option(label="佐证")
    assert not page.locator(f"#r-{first.record_id}-correct").is_visible()

    # Without an opinion and proof: the service's reasons at their fields, the choice kept.
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="处理").click()
    assert page.locator("#opinion-error").inner_text() == "处理意见不能为空"
    assert page.locator("#proof_files-error").inner_text() == "佐证或修正须上传佐证材料"
    assert page.locator(f"select[name='{first.record_id}.resolution']").input_value() == "corroborate"
    check_accessible(page)

    page.locator(f"select[name='{second.record_id}.resolution']").select_option(label="删除")
    page.get_by_label("处理意见").fill("核对户口簿，保留一条学籍")
    page.get_by_label("佐证材料").set_input_files(
        {"name": "户口簿.png", "mimeType": "image/png", "buffer": png()}
    )
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="处理").click()
    assert page.get_by_role("status").inner_text() == "处理完成"
    assert page.locator("#group-status").inner_text() == "已处理"
    assert page.get_by_role("cell", name="佐证", exact=True).is_visible()
    assert page.get_by_role("cell", name="删除", exact=True).is_visible()
    assert page.get_by_role("cell", name="户口簿.png", exact=True).count() == 2  # one step, two records
    check_accessible(page)
    screenshot(page, "console-problem-records")
