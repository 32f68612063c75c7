import json
import logging

from hypothesis import given, strategies as st

from xueji_common.logs import JsonFormatter, TextFormatter, fields, scrub


def _record(msg, *args, **extra):
    record = logging.LogRecord("xueji.test", logging.INFO, __file__, 1, msg, args, None)
    for key, value in extra.items():
        setattr(record, key, value)
    return record


def test_json_line_carries_message_and_fields():
    line = JsonFormatter().format(_record("created %s", "app-1", **fields(school="1330102001")))
    entry = json.loads(line)
    assert entry["msg"] == "created app-1"
    assert entry["school"] == "1330102001"
    assert entry["level"] == "info"


def test_resident_id_in_message_and_fields_is_masked():
    number = "11010120100307123X"
    line = JsonFormatter().format(_record("lookup %s", number, **fields(doc=number)))
    assert number not in line
    assert "110***********123X" in line
    assert number not in TextFormatter().format(_record("lookup %s", number))


def test_school_codes_and_short_numbers_are_left_alone():
    assert scrub("school 1330102001 phone 13800138000") == "school 1330102001 phone 13800138000"


@given(st.from_regex(r"\d{17}[\dX]", fullmatch=True), st.text(max_size=20), st.text(max_size=20))
def test_any_eighteen_digit_number_is_masked_wherever_it_stands(number, before, after):
    text = f"{before} {number} {after}"
    assert number not in scrub(text)
