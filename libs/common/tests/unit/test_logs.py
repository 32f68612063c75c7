import json
import logging

from hypothesis import given
from hypothesis import strategies as st

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


def test_a_line_carries_the_request_id_and_user_bound_on_its_thread():
    from xueji_common import callcontext

    with callcontext.bound("req-1", "leader-1330102001"):
        entry = json.loads(JsonFormatter().format(_record("approved")))
        text = TextFormatter().format(_record("approved"))
    assert (entry["request_id"], entry["user"]) == ("req-1", "leader-1330102001")
    assert "request_id=req-1" in text and "user=leader-1330102001" in text
    assert "request_id" not in json.loads(JsonFormatter().format(_record("later")))


def test_a_line_written_inside_a_span_carries_its_trace_and_span_ids():
    from opentelemetry import trace
    from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

    from xueji_common import tracing

    tracing.install("test", exporter=InMemorySpanExporter(), batch=False)
    try:
        with trace.get_tracer("t", tracer_provider=tracing.provider()).start_as_current_span("call") as span:
            entry = json.loads(JsonFormatter().format(_record("inside")))
        assert entry["trace_id"] == f"{span.context.trace_id:032x}"
        assert entry["span_id"] == f"{span.context.span_id:016x}"
        assert "trace_id" not in json.loads(JsonFormatter().format(_record("outside")))
    finally:
        tracing.uninstall()
