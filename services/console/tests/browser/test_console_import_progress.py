"""导入 of a file of several chunks: the progress page's bar counts the rows the registration service
has stored, of the rows the file declares, and moves as the service tells more; then the report
(校验通过 / 校验失败) and the failed-rows workbook."""

from __future__ import annotations

import io
import threading
import zipfile

import pytest
from conftest import check_accessible, sign_in

from xueji.v1 import common_pb2
from xueji_common.auth import Role
from xueji_common.documents import DocumentCategory
from xueji_common.vocabulary import RegistrationKind
from xueji_registration.adapters.excel import samples
from xueji_registration.domain.template.columns import registration_template
from xueji_registration.testing import resident_id

SCHOOL = "1330302004"  # 鹿城区: no other browser test uses it
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
TEMPLATE = registration_template(RegistrationKind.NON_PRIMARY_FRESHMAN, DocumentCategory.RESIDENT)
ROWS = 1400  # the service's first chunk is 250 rows, then 1000: three chunks


@pytest.fixture(scope="module")
def registrar(world):
    return "progress-registrar", world.user("progress-registrar", Role.SCHOOL_REGISTRAR, SCHOOL)


def workbook_as_excel_writes_it() -> bytes:
    """ROWS non-freshmen and one without 班级, with the sheet's dimension (Excel writes it; the
    service counts the bar to it)."""
    numbers = (resident_id(f"201503{d:02d}", f"{s:03d}", "330302") for d in range(1, 29) for s in range(100))
    rows = list(samples.student_rows(TEMPLATE, ROWS, grade="13", numbers=numbers))
    rows[-1][TEMPLATE.columns.index(next(c for c in TEMPLATE.columns if c.header == "班级"))] = ""
    content, out = samples.workbook(TEMPLATE, rows), io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(content)) as source, zipfile.ZipFile(out, "w") as target:
        for item in source.infolist():
            data = source.read(item)
            if item.filename.startswith("xl/worksheets/"):
                data = data.replace(
                    b"<sheetViews>", f'<dimension ref="A1:BZ{ROWS + 1}"/><sheetViews>'.encode(), 1
                )
            target.writestr(item, data)
    return out.getvalue()


def test_the_bar_counts_the_rows_stored_as_the_service_tells_them_then_the_report(
    page, registrar, monkeypatch
):
    # The service's messages reach the job as they come; the test holds the stream after the first
    # chunk is stored until the page has shown it, so that "moves" does not depend on the machine's speed.
    from xueji_console import import_jobs

    shown, start = threading.Event(), import_jobs.start
    held: list[int] = []

    def holding(stream):
        for message in stream():
            yield message
            if 0 < message.rows_stored < message.rows_expected and not held:
                held.append(message.rows_stored)
                shown.wait(60)

    monkeypatch.setattr(
        import_jobs,
        "start",
        lambda jobs, owner, name, kind, category, stream: start(
            jobs, owner, name, kind, category, lambda: holding(stream)
        ),
    )
    sign_in(page, *registrar)
    page.get_by_role("heading", name="工作台").wait_for()
    page.goto(
        f"/imports?kind={common_pb2.REGISTRATION_KIND_NON_PRIMARY_FRESHMAN}"
        f"&category={common_pb2.DOCUMENT_CATEGORY_RESIDENT}"
    )
    page.get_by_label("导入文件").set_input_files(
        {"name": "插班生名单.xlsx", "mimeType": XLSX, "buffer": workbook_as_excel_writes_it()}
    )
    page.get_by_role("button", name="上传").click()
    page.get_by_role("heading", name="正在导入：插班生名单.xlsx").wait_for()

    bar = page.get_by_label("导入进度")
    page.wait_for_function(
        "() => { const b = document.querySelector('progress[aria-label=导入进度]');"
        " return b && Number(b.getAttribute('value')) > 0; }",
        timeout=120000,
    )
    assert bar.get_attribute("max") == str(ROWS)
    done = int(bar.get_attribute("value"))
    assert done == held[0] and 0 < done < ROWS
    status = page.get_by_role("status")
    assert f"/ {ROWS} 行" in status.inner_text() and "逐行校验并导入" in status.inner_text()
    check_accessible(page)
    shown.set()

    page.get_by_role("heading", name="导入结果：插班生名单.xlsx").wait_for(timeout=180000)
    assert page.locator("#rows-passed").inner_text() == str(ROWS - 1)
    assert page.locator("#rows-failed").inner_text() == "1"
    assert page.get_by_text("班级").first.is_visible()
    check_accessible(page)
    with page.expect_download() as failed:
        page.get_by_role("link", name="下载校验失败数据").click()
    assert failed.value.suggested_filename == "插班生名单-失败数据.xlsx"
