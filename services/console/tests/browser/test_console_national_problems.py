"""问题学籍处理 of the ministry (教育部): the cross-province groups the national dedup holds, listed
for a registrar of the nation's unit with the service's filters and paging and each student's number
masked; the group's page opens from the list; a province's registrar asking for the nation's list
is refused by the service with nothing of it shown."""

from __future__ import annotations

import hashlib

import pytest
from conftest import check_accessible, sign_in
from console_world import png

from xueji.v1 import common_pb2, dedup_pb2, dedup_pb2_grpc, events_pb2
from xueji_common.auth import Role
from xueji_common.grpcserver import client
from xueji_common.masking import mask_document_number
from xueji_common.vocabulary import PROVINCES
from xueji_registration.testing import resident_id

ZJ_SCHOOL, JS_SCHOOL = "1330102002", "1320102002"
SH_SCHOOL = "1310101002"  # 上海: no province of this system's org tree (shown by its province)
GROUPS = 21  # one more than a page


def student(record_id: str, name: str, number: str, school: str, province: str) -> dedup_pb2.ProblemStudent:
    return dedup_pb2.ProblemStudent(
        record_id=record_id,
        national_student_number="G" + number,
        name=name,
        gender=common_pb2.GENDER_MALE,
        document=common_pb2.IdentityDocument(
            type=common_pb2.DOCUMENT_TYPE_RESIDENT_ID, number=mask_document_number(number)
        ),
        school_code=school,
        province_code=province,
        reason="一人多籍：身份证件号在多个省份有学籍",
    )


@pytest.fixture(scope="module")
def raised(system, world) -> list[str]:
    """Groups raised at the national tier as 浙江's dedup raises them (its service identity): one
    child with a record in 浙江 and one in 江苏 each. Returns their numbers (in clear, test only)."""
    channel = client.channel(system.tier("nation").address)
    dedup = dedup_pb2_grpc.DedupStub(channel)
    numbers = []
    for i in range(GROUPS):
        number = resident_id("20130401", f"{i:03d}", "330108")
        name = f"跨省{i:02d}"
        dedup.RaiseProblemGroup(
            dedup_pb2.RaiseProblemGroupRequest(
                kind=events_pb2.PROBLEM_KIND_SHARED_DOCUMENT,
                match_key=hashlib.sha256(number.encode()).hexdigest(),
                students=[
                    student(f"zj-rec-{i}", name, number, ZJ_SCHOOL, "330000"),
                    student(f"js-rec-{i}", name, number, JS_SCHOOL, "320000"),
                ],
                reason="一人多籍",
            ),
            metadata=world.md(Role.SYSTEM, "330000"),
            timeout=15,
        )
        numbers.append(number)
    channel.close()
    return numbers


@pytest.fixture(scope="module")
def ministry(world):
    return "moe-problems", world.user("moe-problems", Role.DEPARTMENT_REGISTRAR, "000000")


def test_the_ministry_lists_the_cross_province_groups_filtered_and_paged_with_numbers_masked(
    page, ministry, raised
):
    sign_in(page, *ministry)
    page.get_by_role("heading", name="工作台").wait_for()
    tile = page.get_by_role("link", name="跨省问题学籍待处理")
    assert int("".join(ch for ch in tile.inner_text() if ch.isdigit())) >= GROUPS
    check_accessible(page)
    page.get_by_role("navigation").get_by_role("link", name="问题学籍处理").click()
    page.get_by_role("heading", name="问题学籍处理（跨省）").wait_for()
    check_accessible(page)

    page.get_by_label("姓名").fill("跨省")
    page.get_by_role("button", name="查询").click()
    page.get_by_text(f"共 {GROUPS} 条").wait_for()
    assert page.get_by_role("link", name="处理 跨省").count() == 20  # a page of the service's
    page.get_by_role("link", name="下一页").click()
    page.wait_for_url("**page_token=*")
    assert page.get_by_role("link", name="处理 跨省").count() == 1

    page.get_by_label("姓名").fill("跨省07")
    page.get_by_label("问题类型").select_option(label="一人多籍")
    page.get_by_label("处理状态").select_option(label="待处理")
    page.get_by_role("button", name="查询").click()
    page.get_by_text("共 1 条").wait_for()
    rows = page.locator("table.list tbody tr")
    assert rows.count() == 2  # the child's record in each province
    html = page.content()
    assert raised[7] not in html and mask_document_number(raised[7]) in html
    assert "杭州市上城区天长小学" in html and "南京市玄武区锁金村小学" in html

    page.get_by_role("link", name="处理 跨省07").click()
    page.get_by_role("heading", name="问题学籍详情：一人多籍").wait_for()
    assert page.get_by_role("cell", name="南京市玄武区锁金村小学").is_visible()
    assert raised[7] not in page.content()
    check_accessible(page)

    # The ministry resolves a cross-province group at the national tier: 浙江's record kept with
    # proof, 江苏's deleted, in one step.
    page.locator("select[name='zj-rec-7.resolution']").select_option(label="佐证")
    page.locator("select[name='js-rec-7.resolution']").select_option(label="删除")
    page.get_by_label("处理意见").fill("经核实，该生在浙江就读，删除江苏学籍")
    page.get_by_label("佐证材料").set_input_files(
        {"name": "在读证明.png", "mimeType": "image/png", "buffer": png()}
    )
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="处理").click()
    assert page.get_by_role("status").inner_text() == "处理完成"
    assert page.locator("#group-status").inner_text() == "已处理"
    assert page.get_by_role("cell", name="教育部", exact=False).count() >= 1
    page.goto("/national-problems?name=跨省07")
    assert page.get_by_role("link", name="查看 跨省07").count() == 1


def test_a_province_registrar_is_refused_the_nations_list_by_the_service(page, world, raised):
    login = "zj-province-problems"
    sign_in(page, login, world.user(login, Role.DEPARTMENT_REGISTRAR, "330000"))
    page.get_by_role("heading", name="工作台").wait_for()
    assert page.get_by_role("navigation").get_by_role("link", name="主管部门审核").count() == 1
    response = page.goto("/national-problems?name=跨省")
    assert response.status == 403
    assert "跨省00" not in page.content() and "无权访问" in page.content()


@pytest.fixture(scope="module")
def border_groups(system, world) -> None:
    """Two more groups at the national tier, raised by 江苏's dedup: 省界甲 (浙江 + 江苏) and 省界乙
    (江苏 + a school of 上海, outside this system's tree, named by its province code)."""
    channel = client.channel(system.tier("nation").address)
    dedup = dedup_pb2_grpc.DedupStub(channel)
    for i, (name, other_school, other_province) in enumerate(
        [("省界甲", ZJ_SCHOOL, "330000"), ("省界乙", SH_SCHOOL, "310000")]
    ):
        number = resident_id("20130501", f"{i:03d}", "320102")
        dedup.RaiseProblemGroup(
            dedup_pb2.RaiseProblemGroupRequest(
                kind=events_pb2.PROBLEM_KIND_SHARED_DOCUMENT,
                match_key=hashlib.sha256(number.encode()).hexdigest(),
                students=[
                    student(f"border-js-{i}", name, number, JS_SCHOOL, "320000"),
                    student(f"border-other-{i}", name, number, other_school, other_province),
                ],
                reason="一人多籍",
            ),
            metadata=world.md(Role.SYSTEM, "320000"),
            timeout=15,
        )
    channel.close()


def test_the_ministry_narrows_its_list_to_one_province(page, ministry, raised, border_groups):
    """所在省份: the nation's groups with a student of that province (asked of the national tier, not
    of the province's dedup); a group of the other provinces disappears, the filter stays on the
    next page."""
    sign_in(page, *ministry)
    page.get_by_role("heading", name="工作台").wait_for()
    page.get_by_role("navigation").get_by_role("link", name="问题学籍处理").click()
    page.get_by_role("heading", name="问题学籍处理（跨省）").wait_for()

    def shown(province: str) -> None:
        page.get_by_label("所在省份").select_option(label=province)
        page.get_by_role("button", name="查询").click()
        page.wait_for_url(f"**province_code={next(c for c, n in PROVINCES.items() if n == province)}*")

    page.get_by_label("姓名").fill("省界")
    page.get_by_role("button", name="查询").click()
    page.get_by_text("共 2 条").wait_for()
    assert "省界乙" in page.content() and page.get_by_role("cell", name="上海市", exact=True).count() == 1
    shown("浙江省")
    page.get_by_text("共 1 条").wait_for()
    assert "省界甲" in page.content() and "省界乙" not in page.content()  # 江苏 + 上海: not 浙江's
    assert page.get_by_role("cell", name="上海市", exact=True).count() == 0
    assert page.get_by_label("所在省份").input_value() == "330000"
    check_accessible(page)
    shown("上海市")
    page.get_by_text("共 1 条").wait_for()
    assert "省界乙" in page.content() and "省界甲" not in page.content()
    page.get_by_role("link", name="处理 省界乙").click()  # a school outside the tree: still the ministry's
    page.get_by_role("heading", name="问题学籍详情：一人多籍").wait_for()
    page.go_back()
    page.get_by_role("heading", name="问题学籍处理（跨省）").wait_for()
    shown("江苏省")
    page.get_by_text("共 2 条").wait_for()

    page.get_by_label("姓名").fill("跨省")
    shown("浙江省")
    page.get_by_text(f"共 {GROUPS} 条").wait_for()
    page.get_by_role("link", name="下一页").click()
    page.wait_for_url("**page_token=*")
    assert (
        "province_code=330000" in page.url
        and page.get_by_role("link", name="查看 跨省").count()
        + page.get_by_role("link", name="处理 跨省").count()
        == 1
    )
    shown("上海市")
    page.get_by_text("没有符合条件的记录。").wait_for()
