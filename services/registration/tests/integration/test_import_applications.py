"""ImportApplications over gRPC on PostgreSQL: good rows become applications, failed rows come back
with their reasons, bad files change nothing."""

import io

import grpc
import pytest
from intake_harness import OTHER_SCHOOL, SCHOOL, intake  # noqa: F401 (fixture)
from openpyxl import load_workbook
from sqlalchemy import select

from xueji.v1 import common_pb2, registration_pb2
from xueji_common.auth import Role
from xueji_common.documents import DocumentCategory
from xueji_common.grpcserver.errors import field_violations
from xueji_common.vocabulary import RegistrationKind
from xueji_registration.adapters.excel import samples
from xueji_registration.domain.template.columns import registration_template
from xueji_registration.spec import SPEC

TEMPLATE = registration_template(RegistrationKind.NON_PRIMARY_FRESHMAN, DocumentCategory.RESIDENT)
CORPUS = samples.bad_workbooks(TEMPLATE, next(samples.student_rows(TEMPLATE, 1)))
NON_FRESHMAN, RESIDENT = (
    common_pb2.REGISTRATION_KIND_NON_PRIMARY_FRESHMAN,
    common_pb2.DOCUMENT_CATEGORY_RESIDENT,
)


def request(content: bytes, **kw) -> registration_pb2.ImportApplicationsRequest:
    return registration_pb2.ImportApplicationsRequest(
        school_code=kw.pop("school_code", SCHOOL),
        kind=kw.pop("kind", NON_FRESHMAN),
        category=kw.pop("category", RESIDENT),
        file=common_pb2.FileContent(file_name="新生.xlsx", content=content),
        **kw,
    )


def mixed_file():
    good = list(samples.student_rows(TEMPLATE, 4))
    bad_code = list(good[1])
    bad_code[5] = "火星族"  # 民族
    duplicate = list(good[0])  # same number as row 2
    return samples.workbook(TEMPLATE, [good[0], bad_code, good[2], duplicate, good[3]])


def test_good_rows_are_imported_and_failed_rows_reported_per_cell(intake):
    report = intake.call("ImportApplications", request(mixed_file()))
    assert (report.rows_total, report.rows_passed, report.rows_failed) == (5, 3, 2)
    assert {(e.row_number, e.column) for e in report.errors} == {(3, "民族"), (5, "身份证件号")}
    assert "与第2行的身份证件号重复" in next(e.message for e in report.errors if e.row_number == 5)
    assert intake.count("applications") == 3 and intake.count("outbox") == 3
    app = intake.call(
        "GetApplication", registration_pb2.GetApplicationRequest(application_id=report.created_ids[0])
    )
    assert app.entry_channel == registration_pb2.ENTRY_CHANNEL_IMPORT and app.import_id == report.import_id
    again = intake.call(
        "GetImportReport",
        registration_pb2.GetImportReportRequest(import_id=report.import_id),
        role=Role.DEPARTMENT_REGISTRAR,
        org="330102",
    )
    assert again.rows_failed == 2 and list(again.created_ids) == list(report.created_ids)


def test_failed_rows_download_fix_and_import_again(intake):
    report = intake.call("ImportApplications", request(mixed_file()))
    file = intake.call(
        "DownloadFailedRows", registration_pb2.DownloadFailedRowsRequest(import_id=report.import_id)
    )
    book = load_workbook(io.BytesIO(file.content))
    sheet = book["学生信息"]
    assert sheet.max_row == 3 and sheet.cell(row=1, column=sheet.max_column).value == "错误原因"
    assert "不是有效的民族" in sheet.cell(row=2, column=6).comment.text
    sheet.cell(row=2, column=6, value="01 汉族")  # fix row 3 of the upload; keep the duplicate as it is
    fixed = io.BytesIO()
    book.save(fixed)
    second = intake.call("ImportApplications", request(fixed.getvalue()))
    assert (second.rows_passed, second.rows_failed) == (1, 1)
    # against the applications of the first import, naming the holder
    assert second.errors[0].message.startswith(
        "该身份证件号已被浙江省杭州市上城区胜利小学的学籍注册申请占用（"
    )


def test_a_row_refused_by_the_shared_form_rules_is_reported_on_its_column(intake):
    row = next(samples.student_rows(TEMPLATE, 1))
    row[31] = "31000"  # 邮政编码: five digits
    report = intake.call("ImportApplications", request(samples.workbook(TEMPLATE, [row])))
    assert report.rows_failed == 1 and report.errors[0].column == "邮政编码"


def test_bad_files_get_one_clear_error_and_change_nothing(intake):
    for name, content in CORPUS.items():  # one database for the whole corpus (keeps the suite fast)
        with pytest.raises(grpc.RpcError) as err:
            intake.call("ImportApplications", request(content))
        assert err.value.code() is grpc.StatusCode.INVALID_ARGUMENT, name
        assert [f for f, _ in field_violations(err.value)] == ["file.content"], name
        assert intake.count("applications") == intake.count("imports") == intake.count("import_rows") == 0, (
            name
        )
        assert intake.count("outbox") == 0, name


def test_the_same_request_id_imports_once(intake):
    content = samples.workbook(TEMPLATE, samples.student_rows(TEMPLATE, 2))
    first = intake.call("ImportApplications", request(content, request_id="r-1"))
    second = intake.call("ImportApplications", request(content, request_id="r-1"))
    assert first.import_id == second.import_id and intake.count("applications") == 2


def test_only_the_schools_registrar_imports(intake):
    content = samples.workbook(TEMPLATE, samples.student_rows(TEMPLATE, 1))
    for role, org in (
        (Role.SCHOOL_LEADER, SCHOOL),
        (Role.SCHOOL_REGISTRAR, OTHER_SCHOOL),
        (Role.DEPARTMENT_REGISTRAR, "330102"),
    ):
        with pytest.raises(grpc.RpcError) as err:
            intake.call("ImportApplications", request(content), role=role, org=org)
        assert err.value.code() is grpc.StatusCode.PERMISSION_DENIED and intake.count("applications") == 0


def test_no_document_students_have_no_template_and_no_import(intake):
    for method, req in (
        (
            "DownloadTemplate",
            registration_pb2.DownloadTemplateRequest(
                kind=NON_FRESHMAN, category=common_pb2.DOCUMENT_CATEGORY_NO_DOCUMENT
            ),
        ),
        ("ImportApplications", request(b"x", category=common_pb2.DOCUMENT_CATEGORY_NO_DOCUMENT)),
    ):
        with pytest.raises(grpc.RpcError) as err:
            intake.call(method, req)
        assert err.value.code() is grpc.StatusCode.INVALID_ARGUMENT
        assert [f for f, _ in field_violations(err.value)] == ["category"]


def test_template_download_and_no_failed_rows(intake):
    file = intake.call(
        "DownloadTemplate", registration_pb2.DownloadTemplateRequest(kind=NON_FRESHMAN, category=RESIDENT)
    )
    assert file.file_name == "非小学新生注册导入模板（居民身份证学生）.xlsx" and file.content[:2] == b"PK"
    report = intake.call(
        "ImportApplications", request(samples.workbook(TEMPLATE, samples.student_rows(TEMPLATE, 1)))
    )
    with pytest.raises(grpc.RpcError) as err:
        intake.call(
            "DownloadFailedRows", registration_pb2.DownloadFailedRowsRequest(import_id=report.import_id)
        )
    assert err.value.code() is grpc.StatusCode.FAILED_PRECONDITION


def test_cli_imports_with_a_summary_and_downloads_the_failed_rows(intake, tmp_path):
    from click.testing import CliRunner

    from xueji_registration.entrypoints.cli import cli

    source = tmp_path / "新生.xlsx"
    source.write_bytes(mixed_file())
    caller = ["--address", intake.address, "--role", "school_registrar", "--org", SCHOOL]
    env = {"XUEJI_DATA_DIR": str(intake.runtime.settings.data_dir)}  # the server's development key
    result = CliRunner(env=env).invoke(
        cli, ["import", str(source), "--kind", "non_freshman", "--category", "resident", *caller]
    )
    assert result.exit_code == 0, result.output
    assert "校验通过" in result.output and "不是有效的民族" in result.output
    import_id = result.output.split("failed-rows ")[1].split()[0]
    out = tmp_path / "失败数据.xlsx"
    result = CliRunner(env=env).invoke(cli, ["failed-rows", import_id, "-o", str(out), *caller])
    assert result.exit_code == 0 and load_workbook(out)["学生信息"].max_row == 3
    result = CliRunner(env=env).invoke(
        cli,
        [
            "import",
            str(source),
            "--kind",
            "non_freshman",
            "--category",
            "resident",
            "--address",
            intake.address,
            "--role",
            "school_leader",
            "--org",
            SCHOOL,
        ],
    )
    assert result.exit_code == 1 and "PERMISSION_DENIED" in result.output


def test_a_family_member_left_blank_in_the_template_is_not_stored(intake):
    row = next(samples.student_rows(TEMPLATE, 1))
    first = [i for i, c in enumerate(TEMPLATE.columns) if c.field.startswith("family_members[0].")]
    second = [i for i, c in enumerate(TEMPLATE.columns) if c.field.startswith("family_members[1].")]
    for i, j in zip(first, second):  # member 1 moved to member 2's columns
        row[i], row[j] = "", row[i]
    report = intake.call("ImportApplications", request(samples.workbook(TEMPLATE, [row])))
    assert report.rows_passed == 1, report.errors
    with intake.runtime.session_factory() as s:
        [form] = s.execute(select(SPEC.metadata.tables["applications"].c.form)).scalars()
    assert len(form["familyMembers"]) == 1 and form["familyMembers"][0]["name"] and "name" not in form


def test_a_number_repeated_after_a_failed_row_is_still_reported_as_a_duplicate(intake):
    good = list(samples.student_rows(TEMPLATE, 2))
    failing = list(good[0])
    failing[5] = "火星族"  # 民族: the row fails, its number is still taken
    report = intake.call(
        "ImportApplications", request(samples.workbook(TEMPLATE, [failing, good[0], good[1]]))
    )
    assert (report.rows_passed, report.rows_failed) == (1, 2)
    assert "与第2行的身份证件号重复" in next(e.message for e in report.errors if e.row_number == 3)
