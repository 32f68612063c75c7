"""CSP violation reports: both shapes read, fields cut, a flood rate-limited (csp_reports.py)."""

import json

from xueji_console.csp_reports import FIELD_LENGTH, RateLimit, violations


def test_a_report_uri_body_gives_the_document_directive_and_blocked_address():
    body = json.dumps(
        {
            "csp-report": {
                "document-uri": "https://x.example/users",
                "violated-directive": "script-src",
                "blocked-uri": "inline",
                "line-number": 3,
                "original-policy": "...",
            }
        }
    )
    assert violations(body.encode()) == [
        {"document": "https://x.example/users", "directive": "script-src", "blocked": "inline", "line": "3"}
    ]


def test_a_reporting_api_body_gives_each_csp_report_of_the_batch():
    body = json.dumps(
        [
            {
                "type": "csp-violation",
                "body": {
                    "documentURL": "https://x.example/",
                    "blockedURL": "eval",
                    "effectiveDirective": "script-src-elem",
                },
            },
            {"type": "csp-violation", "body": {"documentURL": "https://x.example/a" + "a" * 1000}},
        ]
    )
    found = violations(body.encode())
    assert found[0] == {"document": "https://x.example/", "blocked": "eval", "directive": "script-src-elem"}
    assert len(found[1]["document"]) == FIELD_LENGTH


def test_a_body_that_is_not_a_report_gives_nothing():
    assert violations(b"not json") == []
    assert violations(b'{"other": 1}') == []
    assert violations(b"[1, 2]") == []


def test_the_rate_limit_allows_so_many_a_minute_then_counts_the_dropped_ones_once():
    now = [60.0]
    limit = RateLimit(2, clock=lambda: now[0])
    assert [limit.allow() for _ in range(4)] == [(True, 0), (True, 0), (False, 0), (False, 0)]
    now[0] = 125.0  # the next minute
    assert limit.allow() == (True, 2)
    assert limit.allow() == (True, 0)
