"""The corpus of bad workbooks: each is refused as a whole with one clear Chinese error on file.content."""
import pytest

from xueji_common.documents import DocumentCategory
from xueji_common.errors import InvalidArgument
from xueji_common.vocabulary import RegistrationKind
from xueji_registration.excel import reader, samples
from xueji_registration.excel.columns import registration_template

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


def read_all(content, template=RESIDENT, limits=reader.Limits()):
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
    content = samples.workbook(RESIDENT, [rows[0], blank, blank, blank, *rows[1:]])   # rows 3-5 empty
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
