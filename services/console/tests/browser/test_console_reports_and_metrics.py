"""What the console reports about itself: CSP violations a browser sends (logged at WARNING, rate
limited) and its request metrics by route template and status."""

from __future__ import annotations

import json
import logging
import time

import pytest
from conftest import sign_in
from console_world import SCHOOL
from prometheus_client import REGISTRY

from xueji_common.auth import Role
from xueji_console import csp_reports, web

INLINE_SCRIPT = (
    "() => document.body.appendChild("
    "Object.assign(document.createElement('script'), {textContent: 'window.x = 1'}))"
)


@pytest.fixture(scope="module")
def registrar(world):
    return "rm-registrar", world.user("rm-registrar", Role.SCHOOL_REGISTRAR, SCHOOL)


def reported(caplog) -> list[logging.LogRecord]:
    return [
        r
        for r in caplog.records
        if r.name == csp_reports.__name__ and r.getMessage() == "CSP violation reported"
    ]


def test_a_script_the_policy_blocks_is_reported_by_the_browser_and_logged_at_warning(
    page, registrar, caplog, monkeypatch
):
    caplog.set_level(logging.WARNING, logger=csp_reports.__name__)
    sign_in(page, *registrar)
    page.wait_for_url("**/")
    response = page.goto("/applications")
    assert "report-uri /csp-report; report-to csp" in response.headers["content-security-policy"]
    assert response.headers["reporting-endpoints"] == 'csp="/csp-report"'
    # Chromium prefers report-to, whose Reporting API queues reports for a minute or more: the
    # browser's own delivery is shown with report-uri alone (browsers without the Reporting API).
    monkeypatch.setattr(web, "CSP", web.CSP.replace("; report-to csp", ""))
    page.goto("/applications")
    page.evaluate(INLINE_SCRIPT)  # as an injection would: the policy blocks it
    assert page.evaluate("window.x") is None
    deadline = time.monotonic() + 30
    while not reported(caplog) and time.monotonic() < deadline:
        page.wait_for_timeout(500)
    [record] = reported(caplog)[:1]
    assert record.levelno == logging.WARNING
    fields = record.fields
    assert fields["document"].endswith("/applications") and fields["directive"].startswith("script-src")


def test_a_flood_of_reports_is_cut_to_the_limit_and_the_dropped_ones_counted(page, caplog, monkeypatch):
    caplog.set_level(logging.WARNING, logger=csp_reports.__name__)
    now = [0.0]
    monkeypatch.setattr(csp_reports, "LIMIT", csp_reports.RateLimit(3, clock=lambda: now[0]))
    page.goto("/signin")
    report = json.dumps({"csp-report": {"document-uri": "http://x/", "violated-directive": "img-src"}})
    for _ in range(5):  # anyone may post, signed in or not, no CSRF token
        done = page.request.post(
            "/csp-report", data=report, headers={"content-type": "application/csp-report"}
        )
        assert done.status == 204
    assert len(reported(caplog)) == 3
    now[0] = 61.0  # the next minute
    page.request.post("/csp-report", data=report, headers={"content-type": "application/csp-report"})
    assert len(reported(caplog)) == 4
    [dropped] = [r for r in caplog.records if r.getMessage() == "CSP reports dropped by the rate limit"]
    assert dropped.fields == {"dropped": 2}
    too_big = page.request.post("/csp-report", data="x" * (csp_reports.MAX_BODY + 1))
    assert too_big.status == 413


def count(route: str, method: str, status: str) -> float:
    return (
        REGISTRY.get_sample_value(
            "xueji_console_requests_total", {"route": route, "method": method, "status": status}
        )
        or 0.0
    )


def test_requests_are_counted_by_route_template_and_status(page, registrar):
    sign_in(page, *registrar)
    page.wait_for_url("**/")
    detail = "/applications/{application_id}"
    before = (
        {status: count(detail, "GET", status) for status in ("400", "404")},
        count("/applications", "GET", "200"),
    )
    page.goto("/applications")
    refused = str(page.goto("/applications/no-such-application").status)  # the service's 400 or 404
    after = count(detail, "GET", refused), count("/applications", "GET", "200")
    assert after[1] == before[1] + 1
    assert after[0] == before[0][refused] + 1  # the template, not the id: one series for every student
    assert (
        REGISTRY.get_sample_value(
            "xueji_console_request_seconds_count",
            {"route": "/applications", "method": "GET", "status": "200"},
        )
        >= 1
    )
    assert not [
        s
        for m in REGISTRY.collect()
        if m.name == "xueji_console_requests"
        for s in m.samples
        if "no-such-application" in s.labels.get("route", "")
    ]
