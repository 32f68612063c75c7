"""StreamImportApplications over a real gRPC socket on PostgreSQL: the rows checked and stored are
told while a file of several chunks is imported, before the commit; the report comes last."""

import io
import threading
import time
import zipfile

import grpc
import pytest
from intake_harness import SCHOOL, intake  # noqa: F401 (fixture)

from xueji.v1 import common_pb2, registration_pb2
from xueji_common.auth import Role
from xueji_common.documents import DocumentCategory
from xueji_common.grpcserver import client
from xueji_common.grpcserver.errors import field_violations
from xueji_common.vocabulary import RegistrationKind
from xueji_registration.adapters.excel import samples
from xueji_registration.domain.template.columns import registration_template
from xueji_registration.service_layer.import_reports import BATCH

TEMPLATE = registration_template(RegistrationKind.NON_PRIMARY_FRESHMAN, DocumentCategory.RESIDENT)
ROWS = 2 * BATCH + 500  # three chunks at least


def request(content: bytes) -> registration_pb2.ImportApplicationsRequest:
    return registration_pb2.ImportApplicationsRequest(
        school_code=SCHOOL,
        kind=common_pb2.REGISTRATION_KIND_NON_PRIMARY_FRESHMAN,
        category=common_pb2.DOCUMENT_CATEGORY_RESIDENT,
        file=common_pb2.FileContent(file_name="插班生.xlsx", content=content),
        request_id="progress-1",
    )


def as_excel_writes_it(content: bytes) -> bytes:
    """The workbook with its sheet's dimension (A1:<last column><last row>), which Excel writes and
    openpyxl's write-only mode does not: the rows a progress bar counts to."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(content)) as source, zipfile.ZipFile(out, "w") as target:
        for item in source.infolist():
            data = source.read(item)
            if item.filename.startswith("xl/worksheets/"):
                data = data.replace(
                    b"<sheetViews>", f'<dimension ref="A1:BZ{ROWS + 1}"/><sheetViews>'.encode(), 1
                )
            target.writestr(item, data)
    return out.getvalue()


def stream(intake, content: bytes):
    token = intake.runtime.tokens.mint("u1", Role.SCHOOL_REGISTRAR, SCHOOL)
    return intake.registrations.StreamImportApplications(
        request(content), metadata=client.bearer(token), timeout=300
    )


def test_rows_done_go_up_while_a_file_of_several_chunks_is_imported(intake):
    content = as_excel_writes_it(samples.workbook(TEMPLATE, samples.student_rows(TEMPLATE, ROWS)))
    told, committed_when_told = [], []
    for progress in stream(intake, content):
        told.append(progress)
        if progress.stage == registration_pb2.IMPORT_STAGE_CHECKING:
            committed_when_told.append(intake.count("imports"))
    stages = [p.stage for p in told]
    assert stages[0] == registration_pb2.IMPORT_STAGE_READING
    assert stages[-1] == registration_pb2.IMPORT_STAGE_DONE
    assert registration_pb2.IMPORT_STAGE_COMMITTING in stages
    running = [p for p in told if p.stage == registration_pb2.IMPORT_STAGE_CHECKING]
    stored = [p.rows_stored for p in running]
    checked = [p.rows_checked for p in running]
    assert stored == sorted(stored) and checked == sorted(checked)
    assert len({s for s in stored if 0 < s < ROWS}) >= 2, "rows stored told chunk by chunk"
    assert all(p.rows_expected == ROWS and p.rows_stored <= p.rows_checked for p in running)
    assert set(committed_when_told) == {0}, "told while the import runs, before its commit"
    done = told[-1]
    assert (done.rows_stored, done.rows_passed, done.rows_failed) == (ROWS, ROWS, 0)
    report = intake.call("GetImportReport", registration_pb2.GetImportReportRequest(import_id=done.import_id))
    assert (report.rows_total, report.rows_passed) == (ROWS, ROWS)
    assert intake.count("applications") == ROWS and intake.count("imports") == 1


def test_a_refused_file_is_an_error_on_the_stream_and_nothing_is_imported(intake):
    with pytest.raises(grpc.RpcError) as err:
        list(stream(intake, b"not a workbook"))
    assert err.value.code() is grpc.StatusCode.INVALID_ARGUMENT
    assert [f for f, _ in field_violations(err.value)] == ["file.content"]
    assert intake.count("applications") == intake.count("imports") == 0


def test_a_caller_closing_the_stream_stops_the_import_and_nothing_is_imported(intake):
    content = as_excel_writes_it(samples.workbook(TEMPLATE, samples.student_rows(TEMPLATE, ROWS, seed=11)))
    call = stream(intake, content)
    for progress in call:
        if progress.stage == registration_pb2.IMPORT_STAGE_CHECKING and progress.rows_checked:
            call.cancel()  # the console's replica went away mid-import
            break
    deadline = time.monotonic() + 60
    while any(t.name == "import-stream" for t in threading.enumerate()):  # the server's import thread
        assert time.monotonic() < deadline, "the import did not stop"
        time.sleep(0.05)
    assert intake.count("applications") == intake.count("imports") == intake.count("import_rows") == 0
