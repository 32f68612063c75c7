"""The bulk-load layout: header checks and every row rule, without I/O."""

from __future__ import annotations

import datetime as dt

import pytest

from xueji_common.hashing import loaded_record_id
from xueji_national_query.domain.load_rows import COLUMNS, HeaderError, RowParser, column_positions

HEADER = [c.header for c in COLUMNS]
GOOD = [
    "G33010220150601123X",
    "张三",
    "1",
    "2015-06-01",
    "1",
    "33010220150601123X",
    "330000",
    "1330102001",
    "胜利小学",
    "小学",
    "在读",
    "否",
    "2026-09-01 08:00:00",
]


@pytest.fixture(params=[True, False], ids=["csv", "excel"])
def text_cells(request, monkeypatch):
    monkeypatch.setattr("test_nq_load_rows.TEXT_CELLS", request.param)


TEXT_CELLS = True


def parser(header=HEADER, province=""):
    return RowParser(
        column_positions(header, bool(province)), lambda t, n: f"h({t}:{n})", province, text_cells=TEXT_CELLS
    )


def row(**changes):
    values = dict(zip([c.field for c in COLUMNS], GOOD))
    values.update(changes)
    return [values[c.field] for c in COLUMNS]


def test_a_good_row_becomes_the_record_columns(text_cells):
    parsed = dict(zip(RowParser.ROW_FIELDS, parser().parse(2, row())))
    assert parsed["document_hash"] == "h(1:33010220150601123X)"
    assert parsed["document_masked"] == "330***********123X"
    assert (parsed["stage"], parsed["enrolment_status"], parsed["problem"], parsed["version"]) == (
        "primary",
        "enrolled",
        False,
        0,
    )
    # Times without a zone are Beijing time; stored in UTC.
    assert parsed["changed_at"] == dt.datetime(2026, 9, 1, 0, tzinfo=dt.UTC)
    # The number is kept (the writer encrypts it) beside its keyed hash; the id derives from the hash,
    # never from the number (a G number is G + the resident ID), and is the same on every load.
    assert (parsed["national_student_number"], parsed["national_student_number_hash"]) == (
        "G33010220150601123X",
        "h(NSN:G33010220150601123X)",
    )
    assert (
        parsed["record_id"] == loaded_record_id("h(NSN:G33010220150601123X)") == parser().parse(2, row())[0]
    )


@pytest.mark.parametrize(
    "field, value, message",
    [
        ("national_student_number", "", "全国学籍号不能为空"),
        ("national_student_number", "X123", "全国学籍号格式不正确"),
        ("name", "", "姓名不能为空"),
        ("gender", "3", "性别应为1（男）或2（女）"),
        ("birth_date", "2015-02-30", "出生日期不是有效日期"),
        ("document_type", "Q", "身份证件类型无效"),
        ("document_number", "", "身份证件号不能为空"),
        ("province_code", "990000", "所在省份代码无效"),
        ("school_code", "12", "学校标识码应为10位数字"),
        ("stage", "大学", "就读学段无效"),
        ("enrolment_status", "休假", "就读状态无效"),
        ("problem", "也许", "是否问题学籍应为是或否"),
        ("changed_at", "昨天", "最新学籍变动时间不是有效时间"),
        ("name", "张\x00三", "不能包含空字符"),
        ("document_number", "3301\x0002", "不能包含空字符"),
        ("school_name", "胜利\x00小学", "不能包含空字符"),
    ],
)
def test_each_bad_cell_is_reported_with_its_row_and_column(field, value, message, text_cells):
    [problem] = parser().parse(7, row(**{field: value}))
    header = next(c.header for c in COLUMNS if c.field == field)
    assert (problem.row_number, problem.column, problem.field) == (7, header, field)
    assert problem.message.startswith(message)


def test_a_student_number_twice_in_one_file_is_refused_the_second_time():
    p = parser()
    p.parse(2, row())
    [problem] = p.parse(3, row())
    assert problem.message == "全国学籍号与第2行重复"


def test_chinese_labels_excel_values_and_no_document_rows_are_accepted():
    excel = RowParser(column_positions(HEADER, False), lambda t, n: f"h({t}:{n})", text_cells=False)
    parsed = dict(
        zip(
            RowParser.ROW_FIELDS,
            excel.parse(
                2,
                row(
                    gender=2.0,
                    birth_date=dt.date(2015, 6, 1),
                    document_type="其他",
                    document_number="",
                    stage="学前",
                    enrolment_status="毕业",
                    problem="是",
                    changed_at=dt.datetime(2026, 1, 1),
                ),
            ),
        )
    )
    assert (parsed["gender"], parsed["document_type"], parsed["document_hash"], parsed["stage"]) == (
        2,
        "Z",
        "",
        "preschool",
    )
    assert parsed["problem"] is True


def test_a_number_failing_its_check_digit_is_still_loaded():
    parsed = parser().parse(2, row(document_number="330102201506011231"))
    assert isinstance(parsed, tuple)


def test_hk_identity_cards_are_stored_in_canonical_form():
    parsed = dict(
        zip(RowParser.ROW_FIELDS, parser().parse(2, row(document_type="6", document_number="A1234563")))
    )
    assert parsed["document_hash"] == "h(6:A123456(3))"


def test_missing_columns_are_named():
    with pytest.raises(HeaderError) as exc:
        column_positions(["姓名", "性别"], province_given=False)
    assert "全国学籍号" in str(exc.value) and "所在省份" in str(exc.value)
    header = [h for h in HEADER if h != "所在省份"]
    assert column_positions(header, province_given=True)  # the load header names the province


def test_english_headers_work_too():
    positions = column_positions([c.field for c in COLUMNS], province_given=False)
    assert positions["name"] == 1


@pytest.mark.parametrize("key", ["key", "k" * 64, "k" * 65, "密钥" * 40])
def test_the_fast_hash_is_the_shared_document_hash(key):
    from xueji_common.hashing import document_hash
    from xueji_national_query.domain.doc_hash import hasher

    for doc_type, number in [("1", " 33010220150601123x "), ("6", "A123456(3)"), ("Z", "ｘ１")]:
        assert hasher(key)(doc_type, number) == document_hash(key, doc_type, number)


def test_rows_become_copy_text_with_free_text_escaped():
    from xueji_national_query.adapters.copy_text import CopyLines

    good = parser().parse(2, row())
    odd = parser().parse(3, row(name="张\\\t三", school_name="胜利\n小学\r分校"))
    lines = CopyLines().encode([good, odd], ["xj1:k:sealed-1", "xj1:k:sealed-2"]).decode().split("\n")
    assert lines[-1] == "" and len(lines) == 3
    first, second = (line.split("\t") for line in lines[:2])
    assert len(first) == len(RowParser.ROW_FIELDS) == len(second)
    # The number as the writer sealed it, never the clear one; its hash beside it.
    assert first[1:3] == ["xj1:k:sealed-1", "h(NSN:G33010220150601123X)"] and second[1] == "xj1:k:sealed-2"
    assert first[5] == "2015-06-01" and first[14] == "f" and first[16] == "2026-09-01T00:00:00+00:00"
    assert second[3] == r"张\\\t三" and second[11] == r"胜利\n小学\r分校"
