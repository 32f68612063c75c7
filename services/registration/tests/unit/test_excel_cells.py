"""Cells as registrars type them: what is accepted, and the reason for what is not."""

import datetime as dt

import pytest

from xueji_registration.domain.template import cells
from xueji_registration.domain.template.columns import STUDENT_COLUMNS

COL = {c.header: c for c in STUDENT_COLUMNS}


@pytest.mark.parametrize(
    "value",
    [
        dt.date(2015, 6, 1),
        dt.datetime(2015, 6, 1),
        "2015-06-01",
        "2015/6/1",
        "2015.6.1",
        "20150601",
        20150601,
        "2015年6月1日",
    ],
)
def test_dates_as_date_cells_or_as_text_are_read(value):
    assert cells.parse(COL["出生日期"], value) == {"year": 2015, "month": 6, "day": 1}


@pytest.mark.parametrize("value", ["2015-13-01", "2015-02-30", "六月一日", "1/6/2015", 60, 0, -5])
def test_impossible_or_unreadable_dates_are_refused_naming_the_format(value):
    with pytest.raises(cells.CellError, match="YYYY-MM-DD"):
        cells.parse(COL["出生日期"], value)


@pytest.mark.parametrize("value", [40787, 40787.0, 40787.75, "40787"])
def test_an_excel_date_serial_is_read_as_its_date(value):
    assert cells.parse(COL["出生日期"], value) == {"year": 2011, "month": 9, "day": 1}


@pytest.mark.parametrize(
    "serial, day",
    [
        (1, dt.date(1900, 1, 1)),
        (59, dt.date(1900, 2, 28)),
        (61, dt.date(1900, 3, 1)),
        (42156, dt.date(2015, 6, 1)),
    ],
)
def test_excel_serials_follow_the_1900_leap_year_quirk(serial, day):
    assert cells.excel_serial_date(serial) == day
    assert cells.excel_serial_date(60) is None  # 1900-02-29, a day Excel counts that never was


def test_a_serial_in_the_admission_month_is_its_month_and_yyyym_text_keeps_its_meaning():
    assert cells.parse(COL["入学年月"], 45536) == "202409"
    assert cells.parse(COL["入学年月"], "20249") == "202409"
    assert cells.parse(COL["入学年月"], 202409) == "202409"


@pytest.mark.parametrize("value", ["01 汉族", "01", "1", "汉族", "01-汉族", 1.0])
def test_a_code_is_read_with_or_without_its_name(value):
    assert cells.parse(COL["民族"], value) == "01"


def test_an_unknown_code_is_refused_and_the_message_names_the_column():
    with pytest.raises(cells.CellError, match="不是有效的民族"):
        cells.parse(COL["民族"], "火星族")


def test_any_iso_nationality_is_accepted_beyond_the_listed_ones():
    assert cells.parse(COL["国籍/地区"], "isl") == "ISL"
    with pytest.raises(cells.CellError):
        cells.parse(COL["国籍/地区"], "XYZ")


def test_choices_become_enum_names_and_booleans():
    assert cells.parse(COL["健康状况"], "10") == "HEALTH_STATUS_HEALTHY"
    assert cells.parse(COL["健康状况"], "健康或良好") == "HEALTH_STATUS_HEALTHY"
    assert cells.parse(COL["是否独生子女"], "否") is False
    assert cells.parse(COL["身份证件类型"], "A") == "DOCUMENT_TYPE_PASSPORT"


def test_a_document_number_stored_as_a_number_has_lost_digits_and_is_refused():
    with pytest.raises(cells.CellError, match="文本"):
        cells.parse(COL["身份证件号"], 3.3010220150601123e17)
    assert cells.parse(COL["身份证件号"], "33010220150601123X") == "33010220150601123X"


def test_year_month_and_division_codes():
    assert cells.parse(COL["入学年月"], 202409) == "202409"
    assert cells.parse(COL["入学年月"], "2024-9") == "202409"
    with pytest.raises(cells.CellError):
        cells.parse(COL["入学年月"], "202413")
    assert cells.parse(COL["出生地"], 330102) == "330102"
    with pytest.raises(cells.CellError, match="行政区划代码"):
        cells.parse(COL["出生地"], "991234")


def test_text_limits_and_line_breaks():
    assert cells.parse(COL["现住址"], "杭州市\n上城区") == "杭州市 上城区"
    with pytest.raises(cells.CellError, match="不能超过50个字"):
        cells.parse(COL["姓名"], "张" * 51)


def test_blank_cells_are_none_and_phone_numbers_typed_as_numbers_become_text():
    assert cells.parse(COL["姓名"], "  ") is None
    assert cells.parse(COL["联系电话"], 13800000000.0) == "13800000000"


ODD_VALUES = [
    "",
    "  ",
    None,
    "01 汉族",
    " 01 汉族 ",
    "01  汉族",
    "汉族",
    "1",
    1.0,
    1,
    True,
    False,
    "是",
    "否",
    "2015-06-01",
    "2015/6/1",
    " 2015-06-01 ",
    "2015-02-30",
    dt.date(2015, 6, 1),
    dt.datetime(2015, 6, 1, 8),
    20150601,
    "330102",
    "330102 上城区",
    "991234",
    330102,
    "202409",
    "2024-9",
    "202413",
    "杭州市\n上城区",
    "a\tb",
    "全角\u3000空格",
    "张" * 51,
    "张" * 250,
    13800000000.0,
    3.3010220150601123e17,
    "12.5",
    "-1",
    "33010220150601123X",
    "\x07bell",
    "isl",
    "HKG",
    "健康或良好",
    "10",
    "A",
    "居民身份证",
]


@pytest.mark.parametrize("column", STUDENT_COLUMNS, ids=lambda c: c.header)
def test_the_compiled_parser_of_a_column_gives_what_parse_gives(column):
    """The import's per-column short paths (and their caches) never change a value or a reason."""
    fast = cells.compiled(column)
    for value in ODD_VALUES * 2:  # twice: the second round is answered from the caches
        try:
            expected = ("ok", cells.parse(column, value))
        except cells.CellError as exc:
            expected = ("refused", exc.message)
        try:
            got = ("ok", fast(value))
        except cells.CellError as exc:
            got = ("refused", exc.message)
        assert got == expected, (column.header, value)
        assert type(got[1]) is type(expected[1]), (column.header, value)


def test_a_remembered_date_is_a_fresh_value_for_every_row():
    fast = cells.compiled(COL["出生日期"])
    first, second = fast("2015-06-01"), fast("2015-06-01")
    assert first == second and first is not second  # rows never share a mutable value


@pytest.mark.parametrize("value", ["1", 1, "就近入学", "1 就近入学"])
def test_admission_method_accepts_its_code_as_the_instructions_promise(value):
    assert cells.parse(COL["入学方式"], value) == "ADMISSION_METHOD_NEARBY"


@pytest.mark.parametrize("column", [c for c in STUDENT_COLUMNS if c.options], ids=lambda c: c.header)
def test_every_coded_column_accepts_both_the_code_and_the_label_of_each_option(column):
    from xueji_registration.domain.template import labels

    for stored, name in column.options:
        code = stored if column.kind.value == "code" else labels.CHOICE_CODES[stored]
        assert cells.parse(column, name) == stored
        assert cells.parse(column, code) == stored, (column.header, code)
