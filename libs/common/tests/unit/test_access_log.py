"""Access logs: a person's call gets its line, bulk paths a summary (grpcserver.access_log)."""

import json
import logging

from xueji_common import callcontext
from xueji_common.auth import Principal, Role
from xueji_common.grpcserver.access_log import AccessLog
from xueji_common.logs import JsonFormatter

REGISTRAR = Principal("registrar-1", Role.SCHOOL_REGISTRAR, "1330102001")
SERVICE = Principal("service:dedup", Role.SYSTEM, "000000")


def lines(caplog, msg):
    return [r.fields for r in caplog.records if r.getMessage() == msg]


def test_a_persons_call_gets_a_line_of_its_own_at_info(caplog):
    caplog.set_level(logging.INFO)
    AccessLog(60).call_ended("xueji.v1.Registrations/ImportApplications", "OK", 0.2345, REGISTRAR)
    [record] = [r for r in caplog.records if r.getMessage() == "rpc"]
    assert record.levelno == logging.INFO
    assert record.fields == {"method": "xueji.v1.Registrations/ImportApplications", "code": "OK", "ms": 234.5}


def test_services_calls_and_health_checks_are_summarised_per_method_and_status(caplog):
    caplog.set_level(logging.INFO)
    access = AccessLog(3600)
    for code in ("OK", "OK", "NOT_FOUND"):
        access.call_ended("xueji.v1.Dedup/CheckDocument", code, 0.010, SERVICE)
    access.call_ended("grpc.health.v1.Health/Check", "OK", 0.001, None)
    assert lines(caplog, "rpc") == [] and lines(caplog, "rpc summary") == []
    access.flush()
    health, dedup = lines(caplog, "rpc summary")  # by method
    assert dedup["method"] == "xueji.v1.Dedup/CheckDocument"
    assert (dedup["calls"], dedup["codes"], dedup["mean_ms"]) == (3, {"OK": 2, "NOT_FOUND": 1}, 10.0)
    assert (health["method"], health["calls"]) == ("grpc.health.v1.Health/Check", 1)


def test_a_summary_is_written_once_its_period_is_over_without_the_context_of_the_call_that_ends_it():
    written = []

    class Lines(logging.Handler):  # formats when written, on the writing thread, as in production
        def emit(self, record):
            written.append(json.loads(self.format(record)))

    handler = Lines(logging.INFO)
    handler.setFormatter(JsonFormatter())
    logger = logging.getLogger("xueji.access")
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    try:
        access = AccessLog(0)
        with callcontext.bound("req-1", "service:dedup"):
            access.call_ended("xueji.v1.Dedup/CheckDocument", "OK", 0.010, SERVICE)
    finally:
        logger.removeHandler(handler)
        logger.setLevel(logging.NOTSET)
    [summary] = written
    assert summary["msg"] == "rpc summary" and summary["calls"] == 1
    assert "request_id" not in summary and "user" not in summary
