"""The corpus of bad workbooks: each is refused as a whole with one clear Chinese error on file.content."""

import io
import re
import threading
import time
import zipfile

import pytest

from xueji_common.documents import DocumentCategory
from xueji_common.errors import InvalidArgument
from xueji_common.vocabulary import RegistrationKind
from xueji_registration.adapters.excel import reader, samples
from xueji_registration.domain.template.columns import registration_template

RESIDENT = registration_template(RegistrationKind.NON_PRIMARY_FRESHMAN, DocumentCategory.RESIDENT)
HMT = registration_template(RegistrationKind.NON_PRIMARY_FRESHMAN, DocumentCategory.HMT_FOREIGN)
GOOD = next(samples.student_rows(RESIDENT, 1))
CORPUS = samples.bad_workbooks(RESIDENT, GOOD)
EXPECTED = {
    "truncated zip": "不是有效的Excel工作簿",
    "not a workbook": "不是有效的Excel工作簿",
    "empty file": "文件为空",
    "wrong headers": "第C列应为“出生日期”，实际为“生日”",
    "wrong sheet": "找不到工作表“学生信息”",
    "formulas": "单元格A3是公式",
    "1 MB cell after good rows": "超过Excel单元格上限（32767个字符）",
    "header only": "没有学生数据",
    "zip without workbook": "不是Excel工作簿",
}


LIMITS = reader.Limits()


def read_all(content, template=RESIDENT, limits=LIMITS):
    return list(reader.TemplateRows(content, template, limits))


@pytest.mark.parametrize("name", sorted(CORPUS))
def test_each_bad_workbook_gets_one_clear_error(name):
    with pytest.raises(InvalidArgument) as err:
        read_all(CORPUS[name])
    [violation] = err.value.violations
    assert violation.field == "file.content"
    assert EXPECTED[name] in violation.description, violation.description


def test_another_template_is_named():
    content = samples.workbook(HMT, [GOOD])
    with pytest.raises(InvalidArgument, match="港澳台和外籍学生"):
        read_all(content)


def test_too_big_and_too_many_rows_and_unpacking_too_far():
    content = samples.workbook(RESIDENT, samples.student_rows(RESIDENT, 5))
    with pytest.raises(InvalidArgument, match="文件过大"):
        read_all(content, limits=reader.Limits(max_bytes=1000))
    with pytest.raises(InvalidArgument, match="超过上限 3 行"):
        read_all(content, limits=reader.Limits(max_rows=3))
    with pytest.raises(InvalidArgument, match="解压后过大"):
        read_all(content, limits=reader.Limits(max_unpacked_bytes=10_000))


def test_the_downloaded_template_itself_filled_in_is_read_and_empty_rows_are_skipped():
    content = samples.styled_template(RESIDENT, [GOOD, [""] * 5, GOOD])
    assert [n for n, _ in read_all(content)] == [2, 4]


def test_a_workbook_without_the_marker_sheet_is_judged_by_its_headers():
    assert len(read_all(samples.workbook(RESIDENT, [GOOD], marker=False))) == 1


def test_a_sheet_read_in_slices_gives_the_same_rows_and_numbers():
    rows = list(samples.student_rows(RESIDENT, 7))
    blank = [""] * len(GOOD)
    content = samples.workbook(RESIDENT, [rows[0], blank, blank, blank, *rows[1:]])  # rows 3-5 empty
    whole = read_all(content, limits=reader.Limits(slice_rows=1000))
    for size in (1, 2, 3):
        assert read_all(content, limits=reader.Limits(slice_rows=size)) == whole, size
    assert [n for n, _ in whole] == [2, 6, 7, 8, 9, 10, 11]
    assert [v[8] for _, v in whole] == [r[8] for r in rows]


def test_problems_found_while_streaming_are_raised_from_any_slice():
    huge = list(GOOD)
    huge[27] = "很" * (1024 * 1024)
    content = samples.workbook(RESIDENT, [GOOD] * 5 + [huge])
    with pytest.raises(InvalidArgument, match="第7行“现住址”"):
        read_all(content, limits=reader.Limits(slice_rows=2))
    with pytest.raises(InvalidArgument, match="数据行数（6）超过上限 5 行"):
        read_all(content, limits=reader.Limits(max_rows=5))


def with_dimension(content: bytes, ref: str) -> bytes:
    """The file with a <dimension> (Excel writes one; openpyxl's write-only mode does not)."""
    source, out = zipfile.ZipFile(io.BytesIO(content)), io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as package:
        for info in source.infolist():
            data = source.read(info.filename)
            if info.filename == "xl/worksheets/sheet1.xml":
                data = data.replace(b"<sheetPr>", f'<dimension ref="{ref}"/><sheetPr>'.encode(), 1)
                assert b"<dimension" in data
            package.writestr(info.filename, data)
    return out.getvalue()


def test_a_formula_anywhere_is_named_before_any_other_problem():
    """Even when the sheet is scanned as it is read and the formula is far (beyond the first MiB)."""
    formula = list(GOOD)
    formula[0] = '=CONCATENATE("张","三")'
    huge = list(GOOD)
    huge[27] = "很" * 40000
    wrong_header = samples.header_texts(RESIDENT)
    wrong_header[2] = "生日"
    cases = {
        "after a cell too long": (
            samples.workbook(RESIDENT, [GOOD, huge] + [GOOD] * 400 + [formula]),
            404,
            1000,
        ),
        "with wrong headers": (
            samples.workbook(RESIDENT, [GOOD] * 400 + [formula], header=wrong_header),
            402,
            1000,
        ),
        "after too many rows": (samples.workbook(RESIDENT, [GOOD] * 400 + [formula]), 402, 100),
    }
    for name, (content, row, max_rows) in cases.items():
        with pytest.raises(InvalidArgument) as err:
            read_all(content, limits=reader.Limits(slice_rows=50, max_rows=max_rows))
        assert f"单元格A{row}是公式" in err.value.violations[0].description, name


def test_too_many_rows_are_counted_to_the_end_and_named_before_a_bad_header():
    wrong_header = samples.header_texts(RESIDENT)
    wrong_header[2] = "生日"
    for content in (
        samples.workbook(RESIDENT, [GOOD] * 9),
        samples.workbook(RESIDENT, [GOOD] * 9, header=wrong_header),
    ):
        with pytest.raises(InvalidArgument, match="数据行数（9）超过上限 4 行"):
            read_all(content, limits=reader.Limits(slice_rows=2, max_rows=4))


def test_the_declared_size_refuses_early_and_is_never_trusted_to_accept():
    content = samples.workbook(RESIDENT, [GOOD] * 6)
    with pytest.raises(InvalidArgument, match="数据行数（6）超过上限 5 行"):
        reader.TemplateRows(with_dimension(content, "A1:BT7"), RESIDENT, reader.Limits(max_rows=5))
    assert len(read_all(with_dimension(content, "A1:BT999999"))) == 6  # declared too big, is not
    with pytest.raises(InvalidArgument, match="数据行数（6）超过上限 5 行"):  # declared small, is not
        read_all(with_dimension(content, "A1:BT2"), limits=reader.Limits(max_rows=5))


def with_shared_strings(content: bytes) -> bytes:
    """The file with its sheet's texts in a shared strings part, as Excel and WPS save them."""
    source, out, texts = zipfile.ZipFile(io.BytesIO(content)), io.BytesIO(), []

    def shared(match):
        texts.append(match[2])
        return f'<c r="{match[1].decode()}" t="s"><v>{len(texts) - 1}</v></c>'.encode()

    sheet = re.sub(
        rb'<c r="([A-Z]+[0-9]+)" t="inlineStr"><is><t>(.*?)</t></is></c>',
        shared,
        source.read("xl/worksheets/sheet1.xml"),
    )
    table = (
        b'<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        + b"".join(b"<si><t>" + t + b"</t></si>" for t in texts)
        + b"</sst>"
    )
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as package:
        for info in source.infolist():
            data = {"xl/worksheets/sheet1.xml": sheet}.get(info.filename) or source.read(info.filename)
            if info.filename == "[Content_Types].xml":
                data = data.replace(
                    b"</Types>",
                    b'<Override PartName="/xl/sharedStrings.xml" ContentType="application/'
                    b'vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml" /></Types>',
                )
            if info.filename == "xl/_rels/workbook.xml.rels":
                data = data.replace(
                    b"</Relationships>",
                    b'<Relationship Type="http://schemas.openxmlformats.org/'
                    b'officeDocument/2006/relationships/sharedStrings" Target="sharedStrings.xml" '
                    b'Id="rId9" /></Relationships>',
                )
            package.writestr(info.filename, data)
        package.writestr("xl/sharedStrings.xml", table)
    return out.getvalue()


def test_shared_strings_are_read_and_a_cell_too_long_among_them_is_found():
    rows = list(samples.student_rows(RESIDENT, 5))
    inline = samples.workbook(RESIDENT, rows)
    assert read_all(with_shared_strings(inline), limits=reader.Limits(slice_rows=2)) == read_all(inline)
    huge = list(GOOD)
    huge[27] = "很" * 40000
    with pytest.raises(InvalidArgument, match="第4行“现住址”的内容达到或超过Excel单元格上限"):
        read_all(
            with_shared_strings(samples.workbook(RESIDENT, [GOOD, GOOD, huge])),
            limits=reader.Limits(slice_rows=2),
        )


def test_the_background_reading_stops_with_the_reader():
    def readers():
        return [t for t in threading.enumerate() if t.name == "sheet-slices"]

    wrong_header = samples.header_texts(RESIDENT)
    wrong_header[2] = "生日"
    with pytest.raises(InvalidArgument):
        reader.TemplateRows(
            samples.workbook(RESIDENT, [GOOD] * 50, header=wrong_header),
            RESIDENT,
            reader.Limits(slice_rows=2),
        )
    rows = reader.TemplateRows(samples.workbook(RESIDENT, [GOOD] * 50), RESIDENT, reader.Limits(slice_rows=2))
    chunks = rows.chunks(10)
    next(chunks)
    chunks.close()  # a caller that stops early (an import refused half-way)
    assert len(read_all(samples.workbook(RESIDENT, [GOOD] * 5))) == 5
    for _ in range(100):
        if not readers():
            break
        time.sleep(0.05)
    assert readers() == []
