"""The school registrar's registration screens (chapters 4-7, 10, 11), each used in the browser by the
registrar: 学前调档管理, 学前档案信息补录, 小学新生注册 / 非小学新生注册 (录入 with 保存 and 保存并继续,
proof material, 导入 with the progress page) and 学籍上报. Every refusal shown comes from a service."""

from __future__ import annotations

import threading

import pytest
from conftest import check_accessible, screenshot, sign_in
from console_world import (
    OTHER_SCHOOL,
    SCHOOL,
    freshman_person,
    non_primary_workbook,
    png,
    shared_preschool_person,
    wait_for,
)

from xueji.v1 import common_pb2, registration_pb2
from xueji_common.auth import Role
from xueji_registration.testing import resident_id

REPORT_SCHOOL = "1330105002"  # its own school: the report worklist holds this test's students only
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
# A complete 学生基本信息 of a resident non-freshman, by input id (the field path), as typed.
RESIDENT_FORM = {
    "student-birthplace_code": "330102",
    "student-native_place_code": "330102",
    "student-ethnicity_code": "01",
    "student-nationality_code": "CHN",
    "student-overseas_chinese_code": "00",
    "student-household_registration_code": "330102",
    "student-household_type_code": "2",
    "student-grade": "13",
    "student-class_name": "2班",
    "student-admission_year_month": "202409",
    "student-current_address": "杭州市上城区清波街2号",
    "student-mailing_address": "杭州市上城区清波街2号",
    "student-home_address": "杭州市上城区清波街2号",
    "student-phone": "0571-87000001",
    "student-postal_code": "310002",
    "student-family_members-0-name": "李大山",
    "student-family_members-0-relationship_code": "51",
    "student-family_members-0-document-number": resident_id("19850101", "021"),
}
RESIDENT_CHOICES = {
    "student-health_status": "健康或良好",
    "student-admission_method": "就近入学",
    "student-attendance_mode": "走读",
    "student-only_child": "是",
    "student-preschool_educated": "是",
    "student-family_members-0-document-type": "居民身份证",
    "student-family_members-0-guardian": "是",
}


@pytest.fixture(scope="module")
def registrar(world):
    return "sch-registrar", world.user("sch-registrar", Role.SCHOOL_REGISTRAR, SCHOOL)


def signed_in(page, user) -> None:
    sign_in(page, *user)
    page.get_by_role("heading", name="工作台").wait_for()


def fill(page, texts: dict, choices: dict) -> None:
    """`texts` typed, or chosen by value in a code table's drop-down (民族 "01"); `choices` by label."""
    for input_id, value in texts.items():
        field = page.locator(f"#{input_id}")
        if field.evaluate("e => e.tagName") == "SELECT":
            field.select_option(value=value)
        else:
            field.fill(value)
    for input_id, label in choices.items():
        page.locator(f"#{input_id}").select_option(label=label)


# -- 非小学新生注册: 录入 ---------------------------------------------------------------------------


def test_registrar_enters_non_freshmen_by_hand_with_save_and_continue(page, world, registrar):
    signed_in(page, registrar)
    page.get_by_role("link", name="非小学新生注册", exact=True).click()
    page.get_by_role("heading", name="非小学新生注册", exact=True).wait_for()
    check_accessible(page)
    page.get_by_role("link", name="居民身份证 录入").click()
    page.get_by_role("heading", name="非小学新生注册 — 居民身份证学生录入").wait_for()

    # A resident ID fills gender and birth date, which can no longer be edited.
    page.locator("#student-name").fill("李录入")
    page.locator("#student-document-type").select_option(label="居民身份证")
    page.locator("#student-document-number").fill(resident_id("20170304", "042"))
    assert page.locator("#student-birth_date").input_value() == "2017-03-04"
    assert page.locator("#student-gender").input_value() == "GENDER_FEMALE"  # 17th digit even
    assert page.locator("#student-gender").is_disabled()
    assert page.locator("#student-birth_date").get_attribute("readonly") is not None

    # 班级 left empty: the service's reason next to 班级, everything typed kept.
    fill(page, {**RESIDENT_FORM, "student-class_name": ""}, RESIDENT_CHOICES)
    page.get_by_role("button", name="保存", exact=True).click()
    page.locator("#student-class_name-error").wait_for()
    assert page.locator("#student-class_name").get_attribute("aria-invalid") == "true"
    assert page.locator("#student-name").input_value() == "李录入"
    assert page.locator("#student-current_address").input_value() == "杭州市上城区清波街2号"
    assert page.locator("#student-health_status").input_value() == "HEALTH_STATUS_HEALTHY"
    check_accessible(page)
    screenshot(page, "console-manual-entry")

    # 保存并继续: saved, and an empty form for the next student.
    page.locator("#student-class_name").fill("2班")
    page.get_by_role("button", name="保存并继续").click()
    page.get_by_role("status").filter(has_text="李录入 已保存并提交").wait_for()
    assert page.locator("#student-name").input_value() == ""

    # 保存: the next student, then its registration detail.
    page.locator("#student-name").fill("李录入二")
    page.locator("#student-document-type").select_option(label="居民身份证")
    page.locator("#student-document-number").fill(resident_id("20160708", "013"))
    fill(page, RESIDENT_FORM, RESIDENT_CHOICES)
    # Code-table fields are drop-downs of the registration service's tables, as the template lists
    # them ("01 汉族"; a family member's 关系 too); a value chosen by its text is what is stored.
    ethnicity = page.locator("#student-ethnicity_code")
    assert ethnicity.evaluate("e => e.tagName") == "SELECT"
    assert "01 汉族" in ethnicity.locator("option").all_inner_texts()
    ethnicity.select_option(label="03 回族")
    page.locator("#student-family_members-0-relationship_code").select_option(label="97 其他亲属")
    page.get_by_role("button", name="保存", exact=True).click()
    page.get_by_role("heading", name="学籍注册信息：李录入二").wait_for()
    assert page.get_by_text("李录入二 已保存并提交").is_visible()
    second = world.application(page.url.rsplit("/", 1)[-1].split("?")[0]).student
    assert second.ethnicity_code == "03" and second.family_members[0].relationship_code == "97"
    listed = world.registrations.ListApplications(
        registration_pb2.ListApplicationsRequest(name="李录入", page_size=10),
        metadata=world.md(Role.SCHOOL_REGISTRAR),
        timeout=10,
    )
    assert sorted(a.student.name for a in listed.applications) == ["李录入", "李录入二"]
    assert {a.kind for a in listed.applications} == {common_pb2.REGISTRATION_KIND_NON_PRIMARY_FRESHMAN}


def test_hmt_non_freshman_entry_keeps_gender_editable_and_checks_the_disability_fields(
    page, world, registrar
):
    signed_in(page, registrar)
    page.goto("/register/nonprimary")
    page.get_by_role("link", name="港澳台和外籍 录入").click()
    page.get_by_role("heading", name="非小学新生注册 — 港澳台和外籍学生录入").wait_for()
    types = page.locator("#student-document-type option").all_inner_texts()
    assert "居民身份证" not in types and "护照" in types  # the entry's document types
    page.locator("#student-name").fill("陈港录入")
    page.locator("#student-document-type").select_option(label="香港特区护照/身份证明")
    page.locator("#student-document-number").fill("H60180001")
    assert not page.locator("#student-gender").is_disabled()  # typed, not derived
    page.locator("#student-gender").select_option(label="女")
    page.locator("#student-birth_date").fill("2016-09-01")
    fill(
        page,
        {
            **RESIDENT_FORM,
            "student-birthplace_code": "810000",
            "student-nationality_code": "HKG",
            "student-overseas_chinese_code": "01",
            "student-commute_distance_km": "1.5",
            "student-family_members-1-name": "陈母",
            "student-family_members-1-relationship_code": "52",
        },
        {
            **RESIDENT_CHOICES,
            "student-disability_type": "视力残疾",
            "student-inclusive_education": "听力残疾随班就读",
        },
    )
    page.get_by_role("button", name="保存", exact=True).click()
    assert page.locator("#student-inclusive_education-error").inner_text() == "随班就读类型与残疾人类型不一致"
    assert page.locator("#student-commute_distance_km").input_value() == "1.5"
    page.locator("#student-inclusive_education").select_option(label="视力残疾随班就读")
    page.get_by_role("button", name="保存", exact=True).click()
    page.get_by_role("heading", name="学籍注册信息：陈港录入").wait_for()
    stored = world.application(page.url.rsplit("/", 1)[-1].split("?")[0]).student
    assert stored.disability_type == common_pb2.DISABILITY_TYPE_VISUAL and stored.commute_distance_km == 1.5
    assert [m.name for m in stored.family_members] == ["李大山", "陈母"]


def test_no_document_freshman_needs_proof_material_uploaded_with_the_form(page, world, registrar):
    signed_in(page, registrar)
    page.get_by_role("link", name="小学新生注册", exact=True).click()
    page.get_by_role("heading", name="小学新生注册", exact=True).wait_for()
    assert page.get_by_role("link", name="居民身份证 录入").count() == 0  # freshmen with documents: 学前调档
    page.get_by_role("link", name="无证件 录入").click()
    page.get_by_role("heading", name="小学新生注册 — 无证件学生录入").wait_for()
    page.locator("#student-name").fill("钱无证")
    page.locator("#student-document-type").select_option(label="其他")
    page.locator("#student-gender").select_option(label="男")
    page.locator("#student-birth_date").fill("2019-05-06")
    fill(page, {**RESIDENT_FORM, "student-grade": "11"}, RESIDENT_CHOICES)

    # A photo that is not an image: the service refuses the file, next to the photo input.
    page.get_by_label("上传照片").set_input_files(
        {"name": "照片.png", "mimeType": "image/png", "buffer": b"not a png"}
    )
    page.get_by_role("button", name="保存", exact=True).click()
    page.locator("#photo-error").wait_for()
    assert page.locator("#student-name").input_value() == "钱无证"

    page.get_by_label("上传照片").set_input_files(
        {"name": "照片.png", "mimeType": "image/png", "buffer": png()}
    )
    page.get_by_role("button", name="保存", exact=True).click()  # no proof material
    page.locator("#proof-error").wait_for()
    assert page.get_by_text("已上传：照片.png").is_visible()  # stored once, kept
    assert page.locator("#student-birth_date").input_value() == "2019-05-06"
    check_accessible(page)

    page.get_by_label("上传证明材料").set_input_files(
        {"name": "户口簿.png", "mimeType": "image/png", "buffer": png()}
    )
    page.get_by_role("button", name="保存", exact=True).click()
    page.get_by_role("heading", name="学籍注册信息：钱无证").wait_for()
    assert page.get_by_text("无需认证").is_visible()
    stored = world.application(page.url.rsplit("/", 1)[-1].split("?")[0])
    assert stored.student.photo.file_id and len(stored.proof_materials) == 1


# -- 导入 with the progress page --------------------------------------------------------------------


def test_non_freshman_import_shows_upload_and_import_progress_then_the_report(
    page, world, registrar, monkeypatch, browser, console_url
):
    # The import is held back until the progress page has been seen (the console runs in this process).
    from xueji_console import import_jobs

    gate, start = threading.Event(), import_jobs.start
    monkeypatch.setattr(
        import_jobs,
        "start",
        lambda jobs, owner, name, kind, category, stream: start(
            jobs, owner, name, kind, category, lambda: gate.wait(60) and stream()
        ),
    )
    signed_in(page, registrar)
    page.get_by_role("link", name="非小学新生注册", exact=True).click()
    page.get_by_role("link", name="居民身份证 导入").click()
    page.get_by_role("heading", name="非小学新生注册 — Excel导入").wait_for()
    check_accessible(page)
    with page.expect_download() as template:
        page.get_by_role("link", name="下载模板").click()
    assert "非小学新生" in template.value.suggested_filename

    seen, posts = [], []
    page.on("request", lambda request: seen.append(request.url) if "/imports/jobs/" in request.url else None)
    page.on(
        "request",
        lambda request: (
            posts.append(request.resource_type)
            if request.method == "POST" and request.url.endswith("/imports")
            else None
        ),
    )
    page.get_by_label("导入文件").set_input_files(
        {
            "name": "插班生.xlsx",
            "mimeType": XLSX,
            "buffer": non_primary_workbook(["孙插班一", "孙插班二"], bad=["孙坏行"]),
        }
    )
    page.get_by_role("button", name="上传").click()
    page.get_by_role("heading", name="正在导入：插班生.xlsx").wait_for()
    assert posts == ["xhr"]  # sent by script, its upload progress shown in the bar
    assert page.get_by_label("上传进度", exact=True).count() == 0  # a new page: the upload is done
    polls = len(seen)
    page.wait_for_timeout(2500)
    assert len(seen) > polls, "the page polls the import while it runs"
    assert page.get_by_role("status").filter(has_text="文件已上传").is_visible()
    check_accessible(page)
    # The job belongs to the session that uploaded it: another sign-in (even of the same user) gets nothing.
    other = browser.new_context(base_url=console_url)
    try:
        stranger = other.new_page()
        sign_in(stranger, *registrar)
        stranger.get_by_role("heading", name="工作台").wait_for()
        response = stranger.goto(page.url)
        assert response.status == 404 and "插班生" not in stranger.content()
    finally:
        other.close()
    gate.set()
    page.get_by_role("heading", name="导入结果：插班生.xlsx").wait_for()
    assert page.locator("#rows-passed").inner_text() == "2"
    assert page.locator("#rows-failed").inner_text() == "1"
    check_accessible(page)
    page.get_by_role("link", name="继续导入").click()
    page.get_by_role("heading", name="非小学新生注册 — Excel导入").wait_for()


def test_failed_rows_beyond_the_first_page_of_reasons_are_a_link_away(page, registrar):
    signed_in(page, registrar)
    page.goto(
        f"/imports?kind={common_pb2.REGISTRATION_KIND_NON_PRIMARY_FRESHMAN}"
        f"&category={common_pb2.DOCUMENT_CATEGORY_RESIDENT}"
    )
    bad = [f"曹缺班级{i:03d}" for i in range(101)]
    page.get_by_label("导入文件").set_input_files(
        {"name": "缺班级.xlsx", "mimeType": XLSX, "buffer": non_primary_workbook([], bad=bad)}
    )
    page.get_by_role("button", name="上传").click()
    page.get_by_role("heading", name="导入结果：缺班级.xlsx").wait_for(timeout=60000)
    assert page.locator("#rows-failed").inner_text() == "101"
    assert "102" not in page.locator("table.list tbody td:first-child").all_inner_texts()
    page.get_by_role("link", name="下一页校验失败原因").click()
    page.get_by_role("heading", name="导入结果：缺班级.xlsx").wait_for()
    assert page.locator("table.list tbody td:first-child").all_inner_texts() == ["102"]


def test_an_import_the_service_refuses_comes_back_to_the_file_input(page, registrar):
    signed_in(page, registrar)
    page.goto(
        f"/imports?kind={common_pb2.REGISTRATION_KIND_NON_PRIMARY_FRESHMAN}"
        f"&category={common_pb2.DOCUMENT_CATEGORY_HMT_FOREIGN}"
    )
    page.get_by_label("导入文件").set_input_files(
        {"name": "不是模板.xlsx", "mimeType": XLSX, "buffer": b"not a workbook"}
    )
    page.get_by_role("button", name="上传").click()
    page.locator("#file-error").wait_for()
    assert page.get_by_role("heading", name="非小学新生注册 — Excel导入").is_visible()
    assert "港澳台和外籍" in page.get_by_text("导入文件（").inner_text()  # the category kept
    check_accessible(page)


# -- 学前调档管理 and 学前档案信息补录 -------------------------------------------------------------------


def test_registrar_manages_preschool_transfers(page, world, registrar):
    person = freshman_person()
    signed_in(page, registrar)
    page.get_by_role("link", name="学前调档管理").click()
    page.get_by_role("heading", name="学前调档管理").wait_for()
    check_accessible(page)

    # 新增 (a window over the list): a resident ID fills gender and birth date; matched at once.
    page.get_by_role("link", name="新增").click()
    page.get_by_role("dialog", name="学前调档新增").wait_for()
    assert page.evaluate("document.activeElement.id") == "identity-name"  # the window's first field
    page.locator("#identity-name").fill(person.name)
    page.locator("#identity-document-type").select_option(label="居民身份证")
    page.locator("#identity-document-number").fill(person.resident_id)
    birth = person.birth_date.isoformat()
    assert page.locator("#identity-birth_date").input_value() == birth
    check_accessible(page)
    page.get_by_role("button", name="确定").click()
    page.get_by_role("status").filter(has_text=f"已新增 {person.name}：已匹配学前学籍").wait_for()

    # The same number again: refused by the service, what was typed kept.
    page.get_by_role("link", name="新增").click()
    page.locator("#identity-name").fill("重复录入")
    page.locator("#identity-document-type").select_option(label="居民身份证")
    page.locator("#identity-document-number").fill(person.resident_id)
    page.get_by_role("button", name="确定").click()
    page.get_by_role("dialog").get_by_role("alert").wait_for()  # the refusal in the window
    assert "不允许重复录入" in page.get_by_role("alert").inner_text()
    assert page.locator("#identity-name").input_value() == "重复录入"
    check_accessible(page)
    page.get_by_role("button", name="关闭").click()
    assert page.get_by_role("dialog").count() == 0
    # By keyboard: Enter on 新增 opens the window on its first field, Esc closes it, focus goes back.
    page.get_by_role("link", name="新增").focus()
    page.keyboard.press("Enter")
    page.get_by_role("dialog", name="学前调档新增").wait_for()
    wait_for(lambda: page.evaluate("document.activeElement.id") == "identity-name", "focus in the window")
    page.keyboard.press("Escape")
    wait_for(lambda: page.get_by_role("dialog").count() == 0, "the window closed by Esc")
    assert page.evaluate("document.activeElement.textContent") == "新增"

    # 修改 a no-document child, then 删除 it after the confirmation.
    page.goto("/preschool/new")
    page.locator("#identity-name").fill("冯无证调档")
    page.locator("#identity-document-type").select_option(label="其他")
    page.locator("#identity-gender").select_option(label="女")
    page.locator("#identity-birth_date").fill("2019-02-03")
    page.get_by_role("button", name="确定").click()
    page.get_by_role("status").wait_for()
    page.get_by_role("link", name="修改 冯无证调档").click()
    page.get_by_role("dialog", name="学前调档修改").wait_for()
    page.locator("#identity-name").fill("冯无证改")
    page.get_by_role("button", name="确定").click()
    page.get_by_role("status").filter(has_text="已修改 冯无证改").wait_for()

    # 调档学生导出: a no-document child cannot be exported; the service says who and why.
    page.get_by_label("选择冯无证改").check()
    page.get_by_role("button", name="调档学生导出").click()
    assert "冯无证改：无证件学生不能导出" in page.get_by_role("alert").inner_text()
    check_accessible(page)
    # Children of different categories in one export: refused too.
    hmt = world.preschool_hmt_transfer("冯港籍调档")
    page.goto("/preschool")
    page.get_by_label(f"选择{hmt.identity.name}").check()
    page.get_by_label(f"选择{person.name}").check()
    page.get_by_role("button", name="调档学生导出").click()
    assert "不能一起导出" in page.get_by_role("alert").inner_text()
    # One resident child: its registration template.
    page.get_by_label(f"选择{person.name}").check()
    with page.expect_download() as exported:
        page.get_by_role("button", name="调档学生导出").click()
    assert exported.value.suggested_filename.endswith(".xlsx")

    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="删除 冯无证改").click()
    page.get_by_role("status").filter(has_text="删除成功").wait_for()
    assert page.get_by_role("cell", name="冯无证改").count() == 0


def test_preschool_windows_are_pages_without_script(browser, console_url, registrar):
    """Without JavaScript 新增 and 修改 are the pages they always were: the link navigates, the form
    posts, the list comes back with the outcome; the code tables' drop-downs are plain selects."""
    person = freshman_person()
    context = browser.new_context(base_url=console_url, locale="zh-CN", java_script_enabled=False)
    try:
        page = context.new_page()
        page.set_default_timeout(15000)
        signed_in(page, registrar)
        page.goto("/preschool")
        page.get_by_role("link", name="新增").click()
        page.get_by_role("heading", name="学前调档新增").wait_for()
        assert page.url.endswith("/preschool/new") and page.get_by_role("dialog").count() == 0
        page.locator("#identity-name").fill(person.name)
        page.locator("#identity-document-type").select_option(label="居民身份证")
        page.locator("#identity-document-number").fill(person.resident_id)
        page.locator("#identity-gender").select_option(label="男" if int(person.gender) == 1 else "女")
        page.locator("#identity-birth_date").fill(person.birth_date.isoformat())
        page.get_by_role("button", name="确定").click()
        page.get_by_role("status").filter(has_text=f"已新增 {person.name}").wait_for()
        page.get_by_role("link", name=f"修改 {person.name}").click()
        page.get_by_role("heading", name="学前调档修改").wait_for()
        assert page.locator("#identity-name").input_value() == person.name
    finally:
        context.close()


def test_preschool_import_shows_pass_and_fail_counts_and_reasons(page, registrar):
    from xueji_registration.adapters.excel import samples
    from xueji_registration.domain.template.columns import PRESCHOOL_TEMPLATE
    from xueji_registration.domain.template.rows import form_cells

    rows = [
        {
            "name": "蒋导入无证",
            "gender": "GENDER_MALE",
            "birthDate": {"year": 2019, "month": 1, "day": 2},
            "document": {"type": "DOCUMENT_TYPE_OTHER"},
        },
        {"name": "蒋坏号", "document": {"type": "DOCUMENT_TYPE_RESIDENT_ID", "number": "330102201901020000"}},
    ]
    workbook = samples.workbook(PRESCHOOL_TEMPLATE, [form_cells(PRESCHOOL_TEMPLATE, row) for row in rows])
    signed_in(page, registrar)
    page.goto("/preschool")
    page.get_by_role("link", name="Excel导入").click()
    dialog = page.get_by_role("dialog", name="学前调档导入")
    dialog.wait_for()
    with page.expect_download() as template:
        page.get_by_role("link", name="下载模板").click()
    assert template.value.suggested_filename.endswith(".xlsx")
    page.get_by_label("导入文件").set_input_files(
        {"name": "学前调档.xlsx", "mimeType": XLSX, "buffer": workbook}
    )
    page.get_by_role("button", name="上传").click()
    page.get_by_role("heading", name="导入结果：学前调档.xlsx").wait_for()
    assert page.locator("#rows-passed").inner_text() == "1"
    assert page.locator("#rows-failed").inner_text() == "1"
    assert set(dialog.locator("table.list tbody td:first-child").all_inner_texts()) == {"3"}  # the failed row
    check_accessible(page)
    dialog.get_by_role("link", name="查看学前调档").click()  # the list, with the new child
    page.get_by_role("cell", name="蒋导入无证", exact=True).wait_for()


def test_registrar_confirms_a_preschool_record_among_several(page, world, registrar):
    record = shared_preschool_person()
    signed_in(page, registrar)
    page.goto("/preschool/new")
    page.locator("#identity-name").fill(record.name)
    page.locator("#identity-document-type").select_option(label="居民身份证")
    page.locator("#identity-document-number").fill(record.document_number)
    page.get_by_role("button", name="确定").click()
    page.get_by_role("status").filter(has_text="待确认学前学籍").wait_for()
    page.get_by_role("link", name=f"确认 {record.name} 的学前学籍").click()
    dialog = page.get_by_role("dialog", name=f"确认学前学籍：{record.name}")
    dialog.wait_for()
    assert dialog.locator("table.list tbody tr").count() >= 2
    check_accessible(page)
    page.get_by_role("button", name="确认匹配").click()  # nothing chosen
    dialog.get_by_role("alert").wait_for()
    dialog.locator("input[name=candidate]").first.check()
    page.get_by_role("button", name="确认匹配").click()
    page.get_by_role("status").filter(has_text=f"{record.name}：已匹配学前学籍").wait_for()


def test_registrar_supplements_a_matched_child_and_the_registration_is_submitted(page, world, registrar):
    person = freshman_person()
    world.preschool_transfer(person)
    signed_in(page, registrar)
    page.get_by_role("link", name="学前档案信息补录").click()
    page.get_by_role("heading", name="学前档案信息补录").wait_for()
    page.get_by_label("姓名").fill(person.name)
    page.get_by_role("button", name="查询").click()
    check_accessible(page)
    page.get_by_role("link", name=f"{person.name} 学籍信息补录").click()
    page.get_by_role("heading", name=f"学籍信息补录 — 居民身份证学生：{person.name}").wait_for()
    assert page.locator("#student-name").get_attribute("readonly") is not None  # the transfer's identity
    fill(page, {**RESIDENT_FORM, "student-grade": "11", "student-postal_code": "31000"}, RESIDENT_CHOICES)
    page.get_by_label("上传照片").set_input_files(
        {"name": "补录照片.png", "mimeType": "image/png", "buffer": png()}
    )
    page.get_by_role("button", name="保存").click()
    page.locator("#student-postal_code-error").wait_for()  # the service's reason
    assert page.locator("#student-home_address").input_value() == "杭州市上城区清波街2号"
    assert page.get_by_text("已上传：补录照片.png").is_visible()  # stored once, kept
    check_accessible(page)
    page.locator("#student-postal_code").fill("310002")
    page.get_by_role("button", name="保存").click()
    page.get_by_role("heading", name=f"学籍注册信息：{person.name}").wait_for()
    assert page.get_by_text("学籍信息补录已保存并提交").is_visible()
    assert world.application(page.url.rsplit("/", 1)[-1].split("?")[0]).student.photo.file_id

    # Its registration has started: 删除 of the transfer is refused by the service, nothing changed.
    page.goto(f"/preschool?name={person.name}")
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name=f"删除 {person.name}").click()
    assert "该学生已发起学籍注册，不允许删除" in page.get_by_role("alert").inner_text()
    page.goto(f"/preschool?name={person.name}")
    assert page.get_by_role("cell", name=person.name, exact=True).is_visible()


def test_another_schools_preschool_transfer_by_url_is_refused_and_shows_nothing(page, world, registrar):
    other = world.preschool_hmt_transfer("褚他校调档", school=OTHER_SCHOOL)
    signed_in(page, registrar)
    for path in (
        f"/preschool/{other.transfer_id}/edit",
        f"/preschool/{other.transfer_id}/confirm",
        f"/supplementary/{other.transfer_id}",
    ):
        response = page.goto(path)
        assert response.status == 403, path
        assert "褚他校调档" not in page.content()


# -- a returned application: 修改, 重新提交, 撤销 ----------------------------------------------------------


def test_registrar_corrects_and_resubmits_a_returned_application_and_withdraws_another(
    page, world, registrar
):
    returned = world.no_document_student("卫退回")
    world.reject(world.pending_case(returned.application_id), "班级填写有误")
    wait_for(
        lambda: (
            world.application(returned.application_id).state == registration_pb2.APPLICATION_STATE_RETURNED
        ),
        "the rejection to reach the application",
    )
    signed_in(page, registrar)
    page.goto(f"/applications/{returned.application_id}")
    page.get_by_role("link", name="修改").click()
    page.get_by_role("heading", name="修改学籍注册信息：卫退回").wait_for()
    assert page.get_by_text("班级填写有误").is_visible()  # the opinion it came back with
    assert page.locator("#student-class_name").input_value() == "1班"  # the stored form
    page.locator("#student-class_name").fill("3班")
    page.locator("#student-phone").fill("")
    page.get_by_label("上传照片").set_input_files(
        {"name": "新照片.png", "mimeType": "image/png", "buffer": png()}
    )
    page.get_by_role("button", name="保存并重新提交").click()
    page.locator("#student-phone-error").wait_for()
    assert page.locator("#student-class_name").input_value() == "3班"
    assert page.get_by_text("已上传：新照片.png").is_visible()  # stored once, kept for the next attempt
    check_accessible(page)
    page.locator("#student-phone").fill("0571-87000002")
    page.get_by_role("button", name="保存", exact=True).click()  # saved, not yet resubmitted
    page.get_by_role("status").filter(has_text="卫退回 已保存修改，尚未重新提交").wait_for()
    photo = world.application(returned.application_id).student.photo.file_id
    assert photo

    # Corrected again without choosing a photo: the stored one is kept.
    page.get_by_role("link", name="修改").click()
    page.get_by_text("已有照片，不上传新照片则保留").wait_for()
    page.get_by_role("button", name="保存并重新提交").click()
    page.get_by_role("status").filter(has_text="卫退回 已修改并重新提交").wait_for()
    resubmitted = world.application(returned.application_id)
    assert resubmitted.student.class_name == "3班" and resubmitted.revision == 2
    assert resubmitted.student.photo.file_id == photo
    assert len(resubmitted.proof_materials) == 1  # what the page does not show, kept

    other = world.no_document_student("卫撤销")
    page.goto(f"/applications/{other.application_id}")
    case = world.pending_case(other.application_id)
    world.approve(case)  # changed since the page was read
    wait_for(lambda: world.application(other.application_id).version != other.version, "the approval")
    page.get_by_label("撤销原因").fill("重复录入")
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="撤销").click()
    page.get_by_role("alert").wait_for()  # refused: the version read is old
    assert world.application(other.application_id).state != registration_pb2.APPLICATION_STATE_WITHDRAWN
    page.get_by_label("撤销原因").fill("重复录入")
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="撤销").click()
    page.get_by_role("status").filter(has_text="卫撤销 已撤销").wait_for()
    check_accessible(page)


# -- 学籍上报 -------------------------------------------------------------------------------------


def test_registrar_reports_approved_students_selected_and_all(page, world):
    names = ["韩上报一", "韩上报二", "韩上报三"]
    for name in names:
        app = world.no_document_student(name, REPORT_SCHOOL)
        world.approve(world.pending_case(app.application_id, REPORT_SCHOOL), REPORT_SCHOOL)
    user = ("sch-reporter", world.user("sch-reporter", Role.SCHOOL_REGISTRAR, REPORT_SCHOOL))
    signed_in(page, user)
    tile = page.get_by_role("link", name="非小学新生待上报")  # 工作台: what waits, linked
    assert tile.locator(".n").inner_text() == "3"
    tile.click()
    page.get_by_role("heading", name="非小学新生注册上报").wait_for()
    page.get_by_role("link", name="无证件待上报 3 人").wait_for()
    check_accessible(page)
    screenshot(page, "console-report")

    page.get_by_role("button", name="上报", exact=True).click()  # nothing selected
    page.get_by_role("status").filter(has_text="请先勾选要上报的学生").wait_for()

    page.get_by_label("选择韩上报一").check()
    page.get_by_role("button", name="上报", exact=True).click()
    page.get_by_role("heading", name="上报结果").wait_for()
    assert "上报 1 人，未能上报 0 人" in page.get_by_role("status").inner_text()
    check_accessible(page)
    page.get_by_role("link", name="返回非小学新生注册上报").click()
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="全部上报").click()
    page.get_by_role("heading", name="上报结果").wait_for()
    assert "上报 2 人" in page.get_by_role("status").inner_text()
    page.get_by_role("link", name="返回非小学新生注册上报").click()
    page.get_by_text("没有待上报的学生。").wait_for()
