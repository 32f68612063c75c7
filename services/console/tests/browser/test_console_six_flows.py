"""The manual's six chapter-3 flows (小学新生 / 非小学新生 × 居民身份证 / 港澳台和外籍 / 无证件) entirely in
the browser, each step by the user whose job it is: the school registrar (学前调档, template and Excel
import or 录入, 上报), the school leader (学校审核), the county, city and province registrars (主管部门审核),
ending with the national student number on the application's page (学籍注册查询); then the refusals
of chapter 3: a mixed-category export, the review of an unauthenticated non-freshman, and a
no-document student the county's approval alone does not register.

Each user has one browser context for the module (signed in once). Only the workbooks' contents
are made by the test (what a registrar types into Excel); every step goes through the pages."""

from __future__ import annotations

import itertools
import re

import pytest
from conftest import check_accessible, sign_in
from console_world import PASSWORD, freshman_person, hmt_identity, png, wait_for

from xueji.v1 import common_pb2
from xueji_common.auth import Role
from xueji_registration.testing import resident_id, sample_form

SCHOOL, SCHOOL_NAME = "1330203004", "宁波市海曙区望春实验学校"  # no other browser test uses 海曙区
COUNTY, CITY, PROVINCE = "330203", "330200", "330000"
PRIMARY, NON_PRIMARY = (
    common_pb2.REGISTRATION_KIND_PRIMARY_FRESHMAN,
    common_pb2.REGISTRATION_KIND_NON_PRIMARY_FRESHMAN,
)
RESIDENT, HMT, NO_DOC = (
    common_pb2.DOCUMENT_CATEGORY_RESIDENT,
    common_pb2.DOCUMENT_CATEGORY_HMT_FOREIGN,
    common_pb2.DOCUMENT_CATEGORY_NO_DOCUMENT,
)
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
USERS = {"registrar": Role.SCHOOL_REGISTRAR, "leader": Role.SCHOOL_LEADER}
DEPARTMENTS = {"county": COUNTY, "city": CITY, "province": PROVINCE}
KIND_PATH = {PRIMARY: "primary", NON_PRIMARY: "nonprimary"}
KIND_TEXT = {PRIMARY: "小学新生注册", NON_PRIMARY: "非小学新生注册"}
_serial = itertools.count(1)

# 学生基本信息 of a no-document student as typed or, for code tables, chosen by code (by input id), and its
# other choices (by label).
NO_DOC_FORM = {
    "student-birthplace_code": "330203",
    "student-native_place_code": "330203",
    "student-ethnicity_code": "01",
    "student-nationality_code": "CHN",
    "student-overseas_chinese_code": "00",
    "student-household_registration_code": "330203",
    "student-household_type_code": "2",
    "student-class_name": "1班",
    "student-admission_year_month": "202409",
    "student-current_address": "宁波市海曙区望春路1号",
    "student-mailing_address": "宁波市海曙区望春路1号",
    "student-home_address": "宁波市海曙区望春路1号",
    "student-phone": "0574-87000001",
    "student-postal_code": "315000",
    "student-family_members-0-name": "周大海",
    "student-family_members-0-relationship_code": "51",
    "student-family_members-0-document-number": resident_id("19850101", "213", "330203"),
}
NO_DOC_CHOICES = {
    "student-health_status": "健康或良好",
    "student-admission_method": "就近入学",
    "student-attendance_mode": "走读",
    "student-only_child": "是",
    "student-preschool_educated": "是",
    "student-family_members-0-document-type": "居民身份证",
    "student-family_members-0-guardian": "是",
}


def _older_people():
    """Children of the demo register old enough for a non-freshman grade, from the end of the list
    (the other browser tests take freshmen from its start)."""
    from xueji_common import demo
    from xueji_common.orgunits import load_default_tree

    today = demo.reference_day()
    people = demo.population_register(load_default_tree())
    return iter([p for p in reversed(people) if demo.age_on(p.birth_date, today) >= 9])


_OLDER = _older_people()


def resident_identity(person) -> dict:
    """The identity of a person of the demo register, as the template's columns take it."""
    b = person.birth_date
    return {
        "name": person.name,
        "gender": int(person.gender),
        "birthDate": {"year": b.year, "month": b.month, "day": b.day},
        "document": {"type": "DOCUMENT_TYPE_RESIDENT_ID", "number": person.resident_id},
    }


class Desks:
    """One signed-in browser page per user of the flows (school registrar and leader, county, city,
    province registrars)."""

    def __init__(self, browser, console_url, world) -> None:
        self.contexts, self.pages = [], {}
        for who, role in [*USERS.items(), *((d, Role.DEPARTMENT_REGISTRAR) for d in DEPARTMENTS)]:
            context = browser.new_context(
                base_url=console_url,
                locale="zh-CN",
                viewport={"width": 1280, "height": 800},
                accept_downloads=True,
            )
            page = context.new_page()
            page.set_default_timeout(15000)
            page.csp_violations = []
            page.on(
                "console",
                lambda m, page=page: (
                    page.csp_violations.append(m.text) if "Content Security Policy" in m.text else None
                ),
            )
            login = f"flows-{who}"
            world.user(login, role, DEPARTMENTS.get(who, SCHOOL))
            sign_in(page, login, PASSWORD)
            page.get_by_role("heading", name="工作台").wait_for()
            self.contexts.append(context)
            self.pages[who] = page

    def __getitem__(self, who: str):
        return self.pages[who]

    def close(self) -> None:
        for context in self.contexts:
            context.close()


@pytest.fixture(scope="module")
def desks(browser, console_url, world):
    desks = Desks(browser, console_url, world)
    yield desks
    desks.close()


# -- the steps, each by its user --------------------------------------------------------------------


def add_preschool_transfer(page, identity: dict, outcome: str) -> None:
    """学前调档管理 -> 新增 (chapter 4.2), by the school registrar."""
    page.get_by_role("navigation", name="功能菜单").get_by_role("link", name="学前调档管理").click()
    page.get_by_role("heading", name="学前调档管理").wait_for()
    page.get_by_role("link", name="新增").click()
    page.get_by_role("dialog", name="学前调档新增").wait_for()
    page.locator("#identity-name").fill(identity["name"])
    document = identity["document"]
    if document["type"] == "DOCUMENT_TYPE_RESIDENT_ID":
        page.locator("#identity-document-type").select_option(label="居民身份证")
        page.locator("#identity-document-number").fill(document["number"])  # fills gender and birth date
    else:
        page.locator("#identity-document-type").select_option(label="香港特区护照/身份证明")
        page.locator("#identity-document-number").fill(document["number"])
        page.locator("#identity-gender").select_option(label="女")
        b = identity["birthDate"]
        page.locator("#identity-birth_date").fill(f"{b['year']:04d}-{b['month']:02d}-{b['day']:02d}")
    page.get_by_role("button", name="确定").click()
    page.get_by_role("status").filter(has_text=f"已新增 {identity['name']}：{outcome}").wait_for()


def workbook(kind: int, category: int, identity: dict, grade: str) -> bytes:
    """The category's template filled in with one student, as the registrar does in Excel."""
    from xueji_common.documents import DocumentCategory
    from xueji_common.vocabulary import RegistrationKind
    from xueji_registration.adapters.excel import samples
    from xueji_registration.domain.template.columns import registration_template
    from xueji_registration.domain.template.rows import form_cells

    template = registration_template(
        RegistrationKind.PRIMARY_FRESHMAN if kind == PRIMARY else RegistrationKind.NON_PRIMARY_FRESHMAN,
        DocumentCategory.RESIDENT if category == RESIDENT else DocumentCategory.HMT_FOREIGN,
    )
    row = {**sample_form("resident" if category == RESIDENT else "hmt_foreign", grade=grade), **identity}
    return samples.workbook(template, [form_cells(template, row)])


def import_one(page, kind: int, category: int, identity: dict, grade: str) -> None:
    """小学新生注册 / 非小学新生注册 -> 导入: the template downloaded, the filled workbook uploaded."""
    text = "居民身份证" if category == RESIDENT else "港澳台和外籍"
    page.get_by_role("navigation", name="功能菜单").get_by_role(
        "link", name=KIND_TEXT[kind], exact=True
    ).click()
    page.get_by_role("link", name=f"{text} 导入").click()
    page.get_by_role("heading", name=f"{KIND_TEXT[kind]} — Excel导入").wait_for()
    with page.expect_download() as template:
        page.get_by_role("link", name="下载模板").click()
    assert template.value.suggested_filename.endswith(".xlsx")
    file_name = f"{identity['name']}.xlsx"
    page.get_by_label("导入文件").set_input_files(
        {"name": file_name, "mimeType": XLSX, "buffer": workbook(kind, category, identity, grade)}
    )
    page.get_by_role("button", name="上传").click()
    page.get_by_role("heading", name=f"导入结果：{file_name}").wait_for(timeout=60000)
    assert (page.locator("#rows-passed").inner_text(), page.locator("#rows-failed").inner_text()) == (
        "1",
        "0",
    )
    check_accessible(page)


def enter_no_document(page, kind: int, name: str, grade: str) -> str:
    """小学新生注册 / 非小学新生注册 -> 无证件 录入, with the proof material (chapters 6.3, 7.3)."""
    page.get_by_role("navigation", name="功能菜单").get_by_role(
        "link", name=KIND_TEXT[kind], exact=True
    ).click()
    page.get_by_role("link", name="无证件 录入").click()
    page.get_by_role("heading", name=f"{KIND_TEXT[kind]} — 无证件学生录入").wait_for()
    page.locator("#student-name").fill(name)
    page.locator("#student-document-type").select_option(label="其他")
    page.locator("#student-gender").select_option(label="男")
    birth = "2019-05-06" if kind == PRIMARY else "2016-05-06"
    page.locator("#student-birth_date").fill(birth)
    for input_id, value in {**NO_DOC_FORM, "student-grade": grade}.items():
        field = page.locator(f"#{input_id}")
        if field.evaluate("e => e.tagName") == "SELECT":  # a code table's drop-down: chosen by its code
            field.select_option(value=value)
        else:
            field.fill(value)
    for input_id, label in NO_DOC_CHOICES.items():
        page.locator(f"#{input_id}").select_option(label=label)
    page.get_by_label("上传证明材料").set_input_files(
        {"name": "户口簿.png", "mimeType": "image/png", "buffer": png()}
    )
    page.get_by_role("button", name="保存", exact=True).click()
    page.get_by_role("heading", name=f"学籍注册信息：{name}").or_(
        page.locator(".field-error, [role=alert]")
    ).first.wait_for()
    assert page.get_by_role("heading", name=f"学籍注册信息：{name}").is_visible(), page.locator(
        "main"
    ).inner_text()
    check_accessible(page)
    return birth.replace("-", "")


def reload_until(page, path: str, locator_of, what: str):
    """The page reloaded until the locator shows (the services move a case on by events)."""

    def shown():
        page.goto(path)
        locator = locator_of(page)
        return locator if locator.count() and locator.is_enabled() else None

    return wait_for(shown, what, timeout=60)


def school_leader_approves(page, name: str) -> None:
    """学校审核: the case opened from the worklist once it may be reviewed, 审核通过."""
    reload_until(
        page, "/reviews", lambda p: p.get_by_label(f"选择{name}"), f"{name} reviewable at the school"
    )
    check_accessible(page)
    page.get_by_role("link", name=f"审核 {name}").click()
    window = page.get_by_role("dialog", name=f"审核：{name}")  # the manual's 审核页面, a window
    window.get_by_label("审核意见").fill("同意")
    window.get_by_role("button", name="审核通过").click()
    page.get_by_role("status").filter(has_text=f"{name} 审核通过").wait_for()


def registrar_reports(page, kind: int, name: str) -> None:
    """学籍上报: the approved student selected and 上报 to the county."""
    reload_until(page, f"/reports?kind={kind}", lambda p: p.get_by_label(f"选择{name}"), f"{name} to report")
    page.get_by_label(f"选择{name}").check()
    page.get_by_role("button", name="上报", exact=True).click()
    page.get_by_role("heading", name="上报结果").wait_for()
    assert "上报 1 人，未能上报 0 人" in page.get_by_role("status").inner_text()
    check_accessible(page)


def department_approves(page, name: str) -> None:
    """主管部门审核: the school from the area's list, the student's case, 审核通过."""
    reload_until(
        page,
        "/department-reviews",
        lambda p: p.get_by_role("link", name=f"审核 {SCHOOL_NAME}"),
        f"{SCHOOL_NAME} in the area's list",
    )
    page.get_by_role("link", name=f"审核 {SCHOOL_NAME}").click()
    reload_until(
        page,
        f"/department-reviews?school={SCHOOL}",
        lambda p: p.get_by_role("link", name=f"审核 {name}"),
        f"{name} at the department",
    )
    page.get_by_role("link", name=f"审核 {name}").click()
    window = page.get_by_role("dialog", name=f"审核：{name}")  # the manual's 审核页面, a window
    window.get_by_label("审核意见").fill("同意")
    window.get_by_role("button", name="审核通过").click()
    page.get_by_role("status").filter(has_text=f"{name} 审核通过").wait_for()
    check_accessible(page)


def application_page(page, name: str) -> None:
    """学籍注册查询: the student found by name, its detail opened."""
    page.get_by_role("navigation", name="功能菜单").get_by_role("link", name="学籍注册查询").click()
    page.get_by_label("姓名").fill(name)
    page.get_by_role("button", name="查询").click()
    page.get_by_role("link", name=f"查看 {name}").click()
    page.get_by_role("heading", name=f"学籍注册信息：{name}").wait_for()


def detail(page, term: str) -> str:
    dd = page.locator(f"dl.detail dt:text-is('{term}') + dd")
    return dd.inner_text() if dd.count() else ""


def number_shown(page, name: str) -> str:
    """The national student number on the application's page, once the record exists."""

    def shown():
        application_page(page, name)
        return detail(page, "全国学籍号")

    number = wait_for(shown, f"the student number of {name}", timeout=60)
    assert detail(page, "注册状态") == "注册完成"
    check_accessible(page)
    return number


# -- the six flows ------------------------------------------------------------------------------------


def entered(desks, kind: int, category: int) -> tuple[str, str]:
    """The student entered through its category's channel by the registrar; (name, the number it
    will get: G + the resident ID, or the L number's first 15 characters: L, the school's county and
    the birth date, before its 4 random digits)."""
    registrar = desks["registrar"]
    if category == RESIDENT and kind == PRIMARY:  # 学前调档 matched, then the freshman template
        person = freshman_person()
        identity = resident_identity(person)
        add_preschool_transfer(registrar, identity, "已匹配学前学籍")
        import_one(registrar, kind, category, identity, "11")
        return person.name, "G" + person.resident_id
    if category == RESIDENT:  # a child of the register, older
        person = next(_OLDER)
        identity = resident_identity(person)
        import_one(registrar, kind, category, identity, "13")
        return person.name, "G" + person.resident_id
    if category == HMT:
        identity = hmt_identity(f"陈{'新' if kind == PRIMARY else '插'}港{next(_serial)}")
        if kind == PRIMARY:  # the freshman comes through 学前调档
            add_preschool_transfer(registrar, identity, "未查到学前学籍")
        else:
            identity = {**identity, "birthDate": {"year": 2016, "month": 3, "day": 1}}
        import_one(registrar, kind, category, identity, "11" if kind == PRIMARY else "13")
        b = identity["birthDate"]
        return identity["name"], f"L{COUNTY}{b['year']:04d}{b['month']:02d}{b['day']:02d}"
    name = f"周{'新' if kind == PRIMARY else '插'}无证{next(_serial)}"
    birth = enter_no_document(registrar, kind, name, "11" if kind == PRIMARY else "13")
    return name, f"L{COUNTY}{birth}"


FLOWS = [(k, c) for k in (PRIMARY, NON_PRIMARY) for c in (RESIDENT, HMT, NO_DOC)]


@pytest.mark.parametrize(
    "kind,category",
    FLOWS,
    ids=[f"{KIND_PATH[k]}-{common_pb2.DocumentCategory.Name(c)[18:].lower()}" for k, c in FLOWS],
)
def test_each_flow_from_entry_to_the_number_by_the_users_whose_job_it_is(desks, kind, category):
    name, expected = entered(desks, kind, category)
    school_leader_approves(desks["leader"], name)
    registrar_reports(desks["registrar"], kind, name)
    department_approves(desks["county"], name)
    if category == NO_DOC:
        # The county's approval alone does not register a no-document student: it goes to the city.
        application_page(desks["registrar"], name)
        assert detail(desks["registrar"], "注册状态") == "待地市教育部门审核"
        assert detail(desks["registrar"], "当前处理单位") == "宁波市"
        assert detail(desks["registrar"], "全国学籍号") == ""
        department_approves(desks["city"], name)
        department_approves(desks["province"], name)
    number = number_shown(desks["registrar"], name)
    if expected.startswith("G"):
        assert number == expected
    else:
        assert re.fullmatch(rf"{expected}\d{{4}}", number), number


# -- the refusals -------------------------------------------------------------------------------------


def test_an_export_of_resident_and_hmt_children_together_is_refused(desks):
    registrar = desks["registrar"]
    person = freshman_person()
    resident = resident_identity(person)
    hmt = hmt_identity(f"陈混导{next(_serial)}")
    add_preschool_transfer(registrar, resident, "已匹配学前学籍")
    add_preschool_transfer(registrar, hmt, "未查到学前学籍")
    registrar.goto("/preschool")
    registrar.get_by_label(f"选择{person.name}").check()
    registrar.get_by_label(f"选择{hmt['name']}").check()
    registrar.get_by_role("button", name="调档学生导出").click()
    assert "不能一起导出" in registrar.get_by_role("alert").inner_text()
    check_accessible(registrar)


def test_the_school_cannot_review_a_non_freshman_whose_identity_is_not_yet_authenticated(desks, monkeypatch):
    # The population register (基础数据库, outside the platform) does not answer: the authentication
    # of this student waits, as in production while the register is down.
    from xueji_dedup.adapters import peers
    from xueji_dedup.service_layer import province

    person = next(_OLDER)
    verify = peers.PopulationRegister.verify

    def register_down(self, name, *args):
        if name == person.name:
            raise peers.PeerUnavailable("population register down")
        return verify(self, name, *args)

    monkeypatch.setattr(peers.PopulationRegister, "verify", register_down)
    monkeypatch.setattr(province, "REGISTER_RETRY_DELAYS", ())
    identity = resident_identity(person)
    import_one(desks["registrar"], NON_PRIMARY, RESIDENT, identity, "13")

    leader = desks["leader"]
    reload_until(
        leader,
        "/reviews",
        lambda p: p.get_by_role("link", name=f"审核 {person.name}"),
        f"{person.name} in the school's worklist",
    )
    assert leader.get_by_label(f"选择{person.name}").is_disabled()
    leader.get_by_role("link", name=f"审核 {person.name}").click()
    window = leader.get_by_role("dialog", name=f"审核：{person.name}")
    window.get_by_role("button", name="审核通过").click()
    assert (
        window.get_by_role("alert").inner_text() == f"{person.name}：学籍查重认证状态为“未查重认证”，不能审核"
    )
    check_accessible(leader)
    application_page(desks["registrar"], person.name)
    assert detail(desks["registrar"], "学籍查重认证状态") == "未查重认证"
