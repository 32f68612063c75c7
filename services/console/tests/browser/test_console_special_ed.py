"""特教学生信息管理 in the browser: the school registrar adds a student among the candidates (a
registered student whose record names a disability), the inputs following the proof type, the
special-ed service's reasons next to them, then maintains the information."""

from __future__ import annotations

import pytest
from conftest import check_accessible, screenshot, sign_in
from console_world import wait_for

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
    page.get_by_role("link", name="添加").click()
    page.get_by_role("link", name="确定 吴特教").click()
    page.get_by_role("heading", name="特教学生信息新增：吴特教").wait_for()
    assert page.get_by_label("残疾类型").input_value() == str(
        common_pb2.DISABILITY_TYPE_HEARING
    )  # from the record
    assert not page.get_by_label("残疾程度").is_visible()
    page.get_by_label("残疾证明类型").select_option(label="残疾证")
    assert page.get_by_label("残疾程度").is_visible() and page.get_by_label("残疾证书号").is_visible()
    assert not page.get_by_label("残疾描述").is_visible()
    check_accessible(page)

    page.get_by_label("随班就读").select_option(label="非随班就读")
    page.get_by_role("button", name="保存").click()
    assert page.locator("#degree-error").inner_text() == "残疾证明类型为残疾证或医院残疾证明时，残疾程度必选"
    assert page.locator("#certificate_number-error").inner_text() == "残疾证明类型为残疾证时，残疾证书号必填"
    assert page.get_by_label("随班就读").input_value() == str(common_pb2.INCLUSIVE_EDUCATION_NONE)  # kept
    check_accessible(page)

    page.get_by_label("残疾证明类型").select_option(label="医院残疾证明")
    page.get_by_label("残疾程度").select_option(label="二级")
    page.get_by_role("button", name="保存").click()
    assert page.get_by_role("status").inner_text() == "保存成功"
    row = page.locator("table.list tbody tr", has_text="吴特教")
    assert "医院残疾证明" in row.inner_text() and "二级" in row.inner_text()
    screenshot(page, "console-special-ed")

    page.get_by_role("link", name="信息维护 吴特教").click()
    page.get_by_label("残疾证明类型").select_option(label="有明显残疾症状")
    assert page.get_by_label("残疾描述").is_visible()
    page.get_by_role("button", name="保存").click()
    assert (
        page.locator("#symptom_description-error").inner_text()
        == "残疾证明类型为有明显残疾症状时，残疾描述必填"
    )
    page.get_by_label("残疾描述").fill("双耳听力明显受损")
    page.get_by_role("button", name="保存").click()
    assert "有明显残疾症状" in page.locator("table.list tbody tr", has_text="吴特教").inner_text()
    check_accessible(page)
