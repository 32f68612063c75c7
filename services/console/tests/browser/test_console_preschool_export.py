"""学前调档管理 -> 导出全部查询结果: every child matching the list's filters in the registration
template (the export of the selected rows is in test_console_school_registration.py). The rules are
the registration service's: one category per export, a child to confirm refuses it by name."""

from __future__ import annotations

import io

import pytest
from conftest import check_accessible, sign_in
from console_world import freshman_person, shared_preschool_person
from openpyxl import load_workbook

from xueji.v1 import common_pb2, registration_pb2
from xueji_common.auth import Role
from xueji_common.grpcserver.convert import dict_to_message

SCHOOL = "1330303001"  # 龙湾区: no other browser test uses it, so the query holds this test's children


@pytest.fixture(scope="module")
def registrar(world):
    return "export-registrar", world.user("export-registrar", Role.SCHOOL_REGISTRAR, SCHOOL)


def to_confirm(world, record) -> None:
    identity = {
        "name": record.name,
        "document": {"type": "DOCUMENT_TYPE_RESIDENT_ID", "number": record.document_number},
    }
    transfer = world.transfers.CreatePreschoolTransfer(
        registration_pb2.CreatePreschoolTransferRequest(
            school_code=SCHOOL, identity=dict_to_message(identity, common_pb2.StudentIdentity())
        ),
        metadata=world.md(Role.SCHOOL_REGISTRAR, SCHOOL),
        timeout=15,
    )
    assert transfer.match_status == registration_pb2.PRESCHOOL_MATCH_STATUS_TO_CONFIRM


def test_the_whole_query_is_exported_once_it_names_a_category_and_holds_only_exportable_children(
    page, world, registrar
):
    matched = [world.preschool_transfer(freshman_person(), SCHOOL).identity.name for _ in range(3)]
    hmt = world.preschool_hmt_transfer("龙港籍调档", SCHOOL).identity.name
    waiting = shared_preschool_person()
    to_confirm(world, waiting)
    sign_in(page, *registrar)
    page.get_by_role("heading", name="工作台").wait_for()
    page.goto("/preschool")

    # No category chosen: one export holds one category.
    page.get_by_role("link", name="导出全部查询结果").click()
    assert "请先选择证件类型" in page.get_by_role("alert").inner_text()
    check_accessible(page)

    # 居民身份证: the child to confirm is in the query and refuses the export, named.
    page.get_by_label("证件类型").select_option(label="居民身份证")
    page.get_by_role("button", name="查询").click()
    page.wait_for_url("**category=*")
    page.get_by_role("link", name="导出全部查询结果").click()
    assert f"{waiting.name}：学前学籍待确认" in page.get_by_role("alert").inner_text()
    assert page.get_by_label("证件类型").input_value() == str(common_pb2.DOCUMENT_CATEGORY_RESIDENT)

    # Narrowed to 已匹配学前学籍: every matching child of the query, the HMT child not.
    page.get_by_label("处理状态").select_option(label="已匹配学前学籍")
    page.get_by_role("button", name="查询").click()
    page.wait_for_url("**match_status=*")
    with page.expect_download() as exported:
        page.get_by_role("link", name="导出全部查询结果").click()
    assert exported.value.suggested_filename == "学前调档导出-居民身份证.xlsx"
    with open(exported.value.path(), "rb") as file:
        sheet = load_workbook(io.BytesIO(file.read()), read_only=True)["学生信息"]
        names = [row[0] for row in sheet.iter_rows(min_row=2, values_only=True) if row[0]]
    assert sorted(names) == sorted(matched) and hmt not in names
