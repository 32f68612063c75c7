"""Hostile workbooks over gRPC on PostgreSQL (issue 13 §1): an import never commits and then fails to
answer (its answer and its report are paged), a damaged file is INVALID_ARGUMENT, never UNKNOWN, and
an import whose caller has gone stops and keeps nothing."""

import io
import time
import zipfile

import grpc
import pytest
from intake_harness import SCHOOL, intake  # noqa: F401 (fixture)
from python_calamine import CalamineWorkbook

from xueji.v1 import common_pb2, registration_pb2
from xueji_common.auth import Principal, Role
from xueji_common.documents import DocumentCategory
from xueji_common.grpcserver import client
from xueji_common.grpcserver.errors import field_violations
from xueji_common.vocabulary import RegistrationKind
from xueji_registration.adapters.excel import hostile, samples
from xueji_registration.domain.template.columns import registration_template
from xueji_registration.entrypoints.grpc_imports import checkpoint_of, report_token
from xueji_registration.service_layer import imports

TEMPLATE = registration_template(RegistrationKind.NON_PRIMARY_FRESHMAN, DocumentCategory.RESIDENT)
GOOD = list(samples.student_rows(TEMPLATE, 3))
FAILING = 50_000


@pytest.fixture(scope="module")
def many_failing() -> bytes:
    """3 good rows, then 50,000 rows repeating the first one's document number (generated once)."""
    return hostile.failing_rows(TEMPLATE, GOOD, FAILING)


def request(content: bytes) -> registration_pb2.ImportApplicationsRequest:
    return registration_pb2.ImportApplicationsRequest(
        school_code=SCHOOL,
        kind=common_pb2.REGISTRATION_KIND_NON_PRIMARY_FRESHMAN,
        category=common_pb2.DOCUMENT_CATEGORY_RESIDENT,
        file=common_pb2.FileContent(file_name="新生.xlsx", content=content),
    )


def test_fifty_thousand_failing_rows_are_answered_with_a_page_and_the_report_pages_through_them(
    intake, many_failing
):
    report = intake.call("ImportApplications", request(many_failing))
    assert (report.rows_total, report.rows_passed, report.rows_failed) == (FAILING + 3, 3, FAILING)
    assert [e.row_number for e in report.errors] == list(range(5, 105))  # the first 100 failed rows
    assert report.rows_failed == FAILING and report.next_page_token
    assert report.ByteSize() < 1024 * 1024 and intake.count("applications") == 3
    seen, token, pages = [], report.next_page_token, 0
    while token and pages < 3:
        page = intake.call(
            "GetImportReport",
            registration_pb2.GetImportReportRequest(
                import_id=report.import_id, page_size=1000, page_token=token
            ),
        )
        seen += [e.row_number for e in page.errors]
        token, pages = page.next_page_token, pages + 1
        assert page.ByteSize() < 1024 * 1024 and not page.created_ids  # with the first page only
    assert seen == list(range(105, 3105))
    last = intake.call(
        "GetImportReport",
        registration_pb2.GetImportReportRequest(
            import_id=report.import_id, page_size=10, page_token=_after(FAILING - 1, report.import_id)
        ),
    )
    assert [e.row_number for e in last.errors] == list(range(FAILING, FAILING + 5))
    assert not last.next_page_token


def _after(row_number: int, import_id: str) -> str:
    return report_token(import_id, row_number)


def test_a_bad_page_token_of_the_report_is_named(intake):
    report = intake.call("ImportApplications", request(hostile.failing_rows(TEMPLATE, GOOD[:1], 2)))
    with pytest.raises(grpc.RpcError) as err:
        intake.call(
            "GetImportReport",
            registration_pb2.GetImportReportRequest(
                import_id=report.import_id, page_token="bm90LWEtdG9rZW4="
            ),
        )
    assert err.value.code() is grpc.StatusCode.INVALID_ARGUMENT
    assert [f for f, _ in field_violations(err.value)] == ["page_token"]


def test_a_report_token_of_another_import_is_refused(intake):
    first = intake.call("ImportApplications", request(hostile.failing_rows(TEMPLATE, GOOD[:1], 2)))
    second = intake.call("ImportApplications", request(hostile.failing_rows(TEMPLATE, GOOD[1:2], 2)))
    with pytest.raises(grpc.RpcError) as err:
        intake.call(
            "GetImportReport",
            registration_pb2.GetImportReportRequest(
                import_id=second.import_id, page_token=_after(3, first.import_id)
            ),
        )
    assert err.value.code() is grpc.StatusCode.INVALID_ARGUMENT
    assert [f for f, _ in field_violations(err.value)] == ["page_token"]


def test_the_failed_rows_workbook_is_streamed_in_pieces(intake):
    report = intake.call("ImportApplications", request(hostile.failing_rows(TEMPLATE, GOOD[:1], 40)))
    token = intake.runtime.tokens.mint("u1", Role.SCHOOL_REGISTRAR, SCHOOL)
    pieces = list(
        intake.registrations.DownloadFailedRowsFile(
            registration_pb2.DownloadFailedRowsRequest(import_id=report.import_id),
            metadata=client.bearer(token),
            timeout=60,
        )
    )
    assert pieces[0].file_name == "新生-失败数据.xlsx" and pieces[0].content_type.endswith(
        "spreadsheetml.sheet"
    )
    content = b"".join(p.data for p in pieces)
    rows = CalamineWorkbook.from_filelike(io.BytesIO(content)).get_sheet_by_name("学生信息").to_python()
    assert len(rows) == 41 and rows[1][-1].startswith("原第3行：身份证件号：与第2行的身份证件号重复")
    whole = intake.call(
        "DownloadFailedRows", registration_pb2.DownloadFailedRowsRequest(import_id=report.import_id)
    )
    assert (
        CalamineWorkbook.from_filelike(io.BytesIO(whole.content)).get_sheet_by_name("学生信息").to_python()
        == rows
    )


@pytest.mark.parametrize("shape", ["bad crc", "lying size", "zip bomb", "giant row", "no sheetData"])
def test_a_hostile_file_is_invalid_argument_on_its_content_and_changes_nothing(intake, shape):
    good = hostile.package(TEMPLATE, hostile.sheet(TEMPLATE, GOOD))
    info = zipfile.ZipFile(io.BytesIO(good)).getinfo("xl/worksheets/sheet1.xml")
    content = {
        "bad crc": lambda: hostile.damaged(good, crc=info.CRC ^ 0xFF),
        "lying size": lambda: hostile.damaged(good, unpacked=info.file_size - 100),
        "zip bomb": lambda: hostile.whitespace_bomb(TEMPLATE, 16),
        "giant row": lambda: hostile.giant_row(TEMPLATE, GOOD[0], 4),
        "no sheetData": lambda: hostile.no_sheet_data(TEMPLATE, 8),
    }[shape]()
    with pytest.raises(grpc.RpcError) as err:
        intake.call("ImportApplications", request(content))
    assert err.value.code() is grpc.StatusCode.INVALID_ARGUMENT, err.value.details()
    assert [f for f, _ in field_violations(err.value)] == ["file.content"]
    assert intake.count("applications") == intake.count("imports") == intake.count("import_rows") == 0


def test_an_import_whose_caller_has_gone_stops_between_chunks_and_keeps_nothing(intake):
    class Call:  # what checkpoint_of reads of a grpc.ServicerContext
        def __init__(self):
            self.checks = 0

        def time_remaining(self):
            self.checks += 1
            return 30.0 if self.checks < 3 else 0.0

        def is_active(self):
            return True

    call = Call()
    content = hostile.package(TEMPLATE, hostile.sheet(TEMPLATE, samples.student_rows(TEMPLATE, 3000)))
    rt = intake.runtime
    with pytest.raises(imports.ImportStopped) as err:
        imports.import_applications(
            rt.uow_factory(),
            school_code=SCHOOL,
            kind=TEMPLATE.kind,
            category=TEMPLATE.category,
            file_name="a.xlsx",
            content=content,
            request_id="",
            principal=Principal("u1", Role.SCHOOL_REGISTRAR, SCHOOL),
            tree=rt.tree,
            hash_key=rt.settings.hash_key,
            checkpoint=checkpoint_of(call),
        )
    assert err.value.status == "DEADLINE_EXCEEDED" and call.checks == 3
    assert intake.count("applications") == intake.count("imports") == intake.count("import_rows") == 0


def test_cli_report_pages_through_the_failed_rows(intake, tmp_path):
    from click.testing import CliRunner

    from xueji_registration.entrypoints.cli import cli

    source = tmp_path / "新生.xlsx"
    source.write_bytes(hostile.failing_rows(TEMPLATE, GOOD[:1], 150))
    caller = ["--address", intake.address, "--role", "school_registrar", "--org", SCHOOL]
    runner = CliRunner(
        env={"XUEJI_DATA_DIR": str(intake.runtime.settings.data_dir)}
    )  # the server's development key
    result = runner.invoke(
        cli, ["import", str(source), "--kind", "non_freshman", "--category", "resident", *caller]
    )
    assert result.exit_code == 0, result.output
    import_id = result.output.split("xueji registration report ")[1].split()[0]
    result = runner.invoke(cli, ["report", import_id, "--page-size", "120", *caller])
    assert result.exit_code == 0 and "校验失败 150 行" in result.output, result.output
    token = result.output.split("--page-token ")[1].split()[0]
    result = runner.invoke(cli, ["report", import_id, "--page-token", token, *caller])
    assert result.exit_code == 0 and "│ 152 " in result.output and "下一页" not in result.output, (
        result.output
    )


def test_an_import_over_grpc_stops_soon_after_the_callers_deadline_and_keeps_nothing(intake):
    from prometheus_client import REGISTRY

    def handled(code: str) -> float:
        return (
            REGISTRY.get_sample_value(
                "xueji_grpc_server_handled_total",
                {
                    "grpc_service": "xueji.v1.Registrations",
                    "grpc_method": "ImportApplications",
                    "grpc_code": code,
                },
            )
            or 0
        )

    content = hostile.failing_rows(TEMPLATE, GOOD, 30_000)  # a few seconds of checking and storing
    token = intake.runtime.tokens.mint("u1", Role.SCHOOL_REGISTRAR, SCHOOL)
    before = {code: handled(code) for code in ("OK", "DEADLINE_EXCEEDED")}
    with pytest.raises(grpc.RpcError) as err:
        intake.registrations.ImportApplications(request(content), metadata=client.bearer(token), timeout=1.0)
    assert err.value.code() is grpc.StatusCode.DEADLINE_EXCEEDED
    deadline = time.monotonic() + 120
    while sum(handled(c) - before[c] for c in before) == 0 and time.monotonic() < deadline:
        time.sleep(0.1)  # the server's handler is still at work
    assert handled("DEADLINE_EXCEEDED") - before["DEADLINE_EXCEEDED"] == 1 and handled("OK") == before["OK"]
    assert intake.count("applications") == intake.count("imports") == intake.count("import_rows") == 0


def test_a_failed_rows_workbook_beyond_one_message_is_refused_by_name_and_streamed_instead(
    intake, monkeypatch
):
    from xueji_common.grpcserver.errors import precondition_violations

    report = intake.call("ImportApplications", request(hostile.failing_rows(TEMPLATE, GOOD[:1], 5)))
    monkeypatch.setattr(imports, "MAX_FILE_BYTES", 1000)  # the server runs in this process
    with pytest.raises(grpc.RpcError) as err:
        intake.call(
            "DownloadFailedRows", registration_pb2.DownloadFailedRowsRequest(import_id=report.import_id)
        )
    assert err.value.code() is grpc.StatusCode.FAILED_PRECONDITION
    assert [v[0] for v in precondition_violations(err.value)] == ["FILE_TOO_LARGE"]
    token = intake.runtime.tokens.mint("u1", Role.SCHOOL_REGISTRAR, SCHOOL)
    pieces = intake.registrations.DownloadFailedRowsFile(
        registration_pb2.DownloadFailedRowsRequest(import_id=report.import_id),
        metadata=client.bearer(token),
        timeout=60,
    )
    assert b"".join(p.data for p in pieces)[:2] == b"PK"
