"""xueji_dedup_outcomes_total{service, kind, outcome}: one count per DedupCompleted that commits, as the
dashboard's "Dedup outcomes per second" panel reads it; a redelivered event is not counted again."""

from __future__ import annotations

from dedup_helpers import SCHOOL_B, deliver, resident, submitted
from prometheus_client import REGISTRY

KEYS = [
    (kind, outcome)
    for kind in ("document_number", "identity_authentication")
    for outcome in ("passed", "failed")
]


def counts() -> dict:
    return {
        k: REGISTRY.get_sample_value(
            "xueji_dedup_outcomes_total", {"xueji_service": "dedup", "kind": k[0], "outcome": k[1]}
        )
        or 0.0
        for k in KEYS
    }


def test_each_completed_check_is_counted_once_by_kind_and_outcome(dedup, people):
    before = counts()
    passport = submitted("E12345678", doc_type="A")
    assert deliver(dedup, passport, event_id="e-1") == "handled"
    assert deliver(dedup, passport, event_id="e-1") == "duplicate"  # not counted again
    deliver(dedup, submitted("E12345678", doc_type="A", school=SCHOOL_B))  # held: failed
    deliver(dedup, resident(people[0]))  # authenticated
    deliver(dedup, resident(people[1], name=people[1].name + "某"))  # name mismatch
    deliver(dedup, resident(people[2], name=people[2].name + "某"))
    deliver(dedup, submitted("", doc_type="Z", category=3))  # no check: none
    after = counts()
    assert {k: after[k] - before[k] for k in KEYS} == {
        ("document_number", "passed"): 1,
        ("document_number", "failed"): 1,
        ("identity_authentication", "passed"): 1,
        ("identity_authentication", "failed"): 2,
    }
