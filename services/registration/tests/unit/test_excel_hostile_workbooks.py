"""Hostile workbooks (issue 13 §1), generated here (none is checked in): each is read in time linear in
its size and bounded memory, or refused as a whole with a Chinese reason naming the row, the cell or
the limit — never an UNKNOWN error."""

import io
import zipfile

import pytest

from xueji_common.documents import DocumentCategory
from xueji_common.errors import InvalidArgument
from xueji_common.vocabulary import RegistrationKind
from xueji_registration.adapters.excel import chunks, hostile, reader, samples
from xueji_registration.domain.template.columns import registration_template

TEMPLATE = registration_template(RegistrationKind.NON_PRIMARY_FRESHMAN, DocumentCategory.RESIDENT)
GOOD = list(samples.student_rows(TEMPLATE, 3))
BROKEN = "文件不是有效的Excel工作簿"


@pytest.fixture(scope="module")
def good_file() -> bytes:
    return hostile.package(TEMPLATE, hostile.sheet(TEMPLATE, GOOD))


LIMITS = reader.Limits()


def read_all(content, limits=LIMITS, checkpoint=None):
    return list(reader.TemplateRows(content, TEMPLATE, limits, *([checkpoint] if checkpoint else [])))


def refusal(content, limits=LIMITS) -> str:
    with pytest.raises(InvalidArgument) as err:
        read_all(content, limits)
    [violation] = err.value.violations
    assert violation.field == "file.content"
    return violation.description


def test_a_generated_good_file_is_read(good_file):
    assert [n for n, _ in read_all(good_file)] == [2, 3, 4]


def test_a_sheet_without_sheet_data_is_refused_after_its_first_megabytes_not_scanned_to_the_end():
    assert "数据行之前有超过4 MB的其他内容" in refusal(hostile.no_sheet_data(TEMPLATE, 24))


def test_a_sheet_whose_head_is_just_under_the_limit_is_read():
    head = hostile.head_of(chunks.HEAD_BYTES / hostile.MB - 0.1)
    assert len(read_all(hostile.package(TEMPLATE, hostile.sheet(TEMPLATE, GOOD, head=head)))) == 3


def test_one_giant_row_is_refused_by_its_number_before_it_is_parsed():
    message = refusal(hostile.giant_row(TEMPLATE, GOOD[0], 8))
    assert "第3行的内容超过1024 KB的上限" in message and "32767" in message


def test_a_row_just_under_the_row_limit_is_read_and_just_over_it_is_refused():
    long_row = list(GOOD[1])
    long_row[27] = "很" * 30_000  # 现住址: under Excel's cell limit
    content = hostile.package(TEMPLATE, hostile.sheet(TEMPLATE, [GOOD[0], long_row]))
    length = len(hostile.row_xml(3, long_row))
    assert len(read_all(content, reader.Limits(max_row_bytes=length))) == 2
    assert "第3行的内容超过" in refusal(content, reader.Limits(max_row_bytes=length - 1))


def test_a_cell_far_right_is_refused_by_its_row_and_one_in_the_last_column_allowed_is_read():
    assert "第2行在CZ列之后" in refusal(hostile.far_cell(TEMPLATE, GOOD[0], 16383))  # XFD
    assert len(read_all(hostile.far_cell(TEMPLATE, GOOD[0], chunks.MAX_COLUMNS - 1))) == 1  # CZ


def test_a_row_of_more_cells_than_columns_allowed_is_refused():
    crowded = b'<row r="2">' + b'<c t="inlineStr"><is><t>x</t></is></c>' * 5000 + b"</row>"
    content = hostile.package(
        TEMPLATE, [*list(hostile.sheet(TEMPLATE, []))[:-1], crowded, b"</sheetData></worksheet>"]
    )
    assert "第2行在CZ列之后或超过104个单元格中还有内容" in refusal(content)


def test_long_rows_come_in_smaller_chunks_so_that_memory_stays_bounded():
    long_row = list(GOOD[0])
    long_row[27] = "很" * 30_000
    rows = [long_row] * 300
    content = hostile.package(TEMPLATE, hostile.sheet(TEMPLATE, rows))
    limits = reader.Limits(memory_bytes=64 * hostile.MB)  # chunks of 4 MB: about 45 such rows
    sizes = [len(c.rows) for c in reader.TemplateRows(content, TEMPLATE, limits).chunks(1000)]
    assert sum(sizes) == 300 and max(sizes) < 100


@pytest.mark.parametrize("change", ["crc", "unpacked smaller", "packed smaller", "truncated"])
def test_a_damaged_package_is_not_a_valid_workbook(good_file, change):
    info = zipfile.ZipFile(io.BytesIO(good_file)).getinfo("xl/worksheets/sheet1.xml")
    content = {
        "crc": lambda: hostile.damaged(good_file, crc=info.CRC ^ 1),
        "unpacked smaller": lambda: hostile.damaged(good_file, unpacked=info.file_size // 2),
        "packed smaller": lambda: hostile.damaged(good_file, packed=info.compress_size // 2),
        "truncated": lambda: good_file[: len(good_file) - 200],
    }[change]()
    assert BROKEN in refusal(content)


def test_a_member_lying_about_a_huge_size_or_unpacking_a_thousandfold_is_refused(good_file):
    assert "解压后过大" in refusal(hostile.damaged(good_file, unpacked=900 * hostile.MB))
    assert "解压后过大" in refusal(hostile.whitespace_bomb(TEMPLATE, 24))


def test_a_file_just_under_the_ratio_is_read(good_file):
    bomb = hostile.whitespace_bomb(TEMPLATE, 2)
    info = zipfile.ZipFile(io.BytesIO(bomb)).getinfo("xl/worksheets/sheet1.xml")
    ratio = info.file_size // info.compress_size
    assert "没有学生数据" in refusal(bomb, reader.Limits(max_ratio=ratio + 1))
    assert "解压后过大" in refusal(bomb, reader.Limits(max_ratio=ratio - 1))


def test_a_sheet_of_exactly_the_most_rows_is_read():
    content = hostile.package(TEMPLATE, hostile.sheet(TEMPLATE, GOOD))
    assert len(read_all(content, reader.Limits(max_rows=3))) == 3
    assert "超过上限 2 行" in refusal(content, reader.Limits(max_rows=2))


def test_reading_stops_between_slices_once_the_checkpoint_says_the_caller_has_gone():
    class Gone(Exception):
        pass

    calls = []

    def checkpoint():
        calls.append(1)
        if len(calls) > 2:
            raise Gone

    content = hostile.package(TEMPLATE, hostile.sheet(TEMPLATE, GOOD * 400))
    with pytest.raises(Gone):
        read_all(content, reader.Limits(slice_rows=100), checkpoint)
    assert len(calls) == 3


def test_a_long_shared_string_repeated_in_every_cell_is_read_as_a_cut_text_not_expanded():
    content = hostile.shared_bomb(TEMPLATE, GOOD[0], 2000)  # 2000 rows × 63 cells × 30,000 characters
    rows = read_all(content)
    assert len(rows) == 2000 and {len(v[20]) for _, v in rows} == {chunks.LONG_TEXT}
    assert rows[0][1][:9] == GOOD[0][:9]


def test_a_shared_string_at_excels_cell_limit_is_still_refused_by_row_and_column():
    content = hostile.package(
        TEMPLATE,
        [
            *list(hostile.sheet(TEMPLATE, [GOOD[0]]))[:-1],
            b'<row r="3"><c r="AB3" t="s"><v>0</v></c></row>',
            b"</sheetData></worksheet>",
        ],
        shared=["长" * 40_000],
    )
    assert "第3行“现住址”的内容达到或超过Excel单元格上限" in refusal(content)


def test_the_failed_rows_workbook_keeps_every_reason_but_comments_only_the_first(monkeypatch):
    from openpyxl import load_workbook

    from xueji_registration.adapters.excel import writer

    monkeypatch.setattr(writer, "MAX_COMMENTS", 3)
    failed = [writer.FailedRow(n, GOOD[0], [("民族", f"第{n}行的民族不对")]) for n in range(2, 7)]
    sheet = load_workbook(io.BytesIO(writer.failed_rows_workbook(TEMPLATE, failed)))[TEMPLATE.sheet]
    assert [sheet.cell(row=r, column=6).comment is not None for r in range(2, 7)] == [True] * 3 + [False] * 2
    assert {sheet.cell(row=r, column=6).fill.fgColor.rgb for r in range(2, 7)} == {"00F8CBAD"}
    assert sheet.cell(row=6, column=73).value == "原第6行：民族：第6行的民族不对"
    assert sheet.cell(row=6, column=1).value == GOOD[0][0]


def test_the_row_named_is_the_one_holding_the_far_cell_or_the_long_row():
    rows = [*GOOD, [*GOOD[0], *[""] * (16383 - len(GOOD[0])), "备注"], *GOOD]
    assert "第5行在CZ列之后" in refusal(hostile.package(TEMPLATE, hostile.sheet(TEMPLATE, rows)))
    long_row = list(GOOD[1])
    long_row[27] = "很" * 30_000
    content = hostile.package(TEMPLATE, hostile.sheet(TEMPLATE, [*GOOD, long_row, *GOOD]))
    assert "第5行的内容超过64 KB" in refusal(content, reader.Limits(max_row_bytes=64 * 1024))


def test_thousands_of_formatted_empty_rows_are_not_a_row_too_long():
    empty = b"".join(b'<row r="%d" s="1" customFormat="1" ht="15"/>' % n for n in range(3, 60_003))  # ~2.6 MB
    pieces = list(hostile.sheet(TEMPLATE, [GOOD[0]]))
    content = hostile.package(TEMPLATE, [*pieces[:-1], empty, hostile.row_xml(60_003, GOOD[1]), pieces[-1]])
    assert [n for n, _ in read_all(content)] == [2, 60_003]
    assert [n for n, _ in read_all(hostile.package(TEMPLATE, [*pieces[:-1], empty, pieces[-1]]))] == [2]
