"""The intake batch handlers on PostgreSQL and SQLite (entrypoints/events.py: on_applications_submitted,
on_dedups_completed): the same events, stale and out of order ones included, end in the same state
in a batch as one by one; a batch costs the same statements for 5 items as for 50; batches running
and approve-all of the same cases at once do not deadlock (docs/FLOWS.md#batches-on-the-bus)."""

from __future__ import annotations

import logging
import threading
import time

import pytest
from review_harness import SCHOOL, dedup_completed, submitted
from sqlalchemy import select

from xueji.v1 import events_pb2
from xueji_common.auth import Principal, Role
from xueji_common.config import Settings
from xueji_common.messaging.envelope import new_envelope
from xueji_common.runtime.bootstrap import ServiceRuntime
from xueji_common.testing.statements import statements_sent
from xueji_review.domain.model import CaseState, GateStatus
from xueji_review.service_layer.decisions import approve_all
from xueji_review.spec import SPEC


@pytest.fixture(params=["postgresql", "sqlite"])
def fresh_review(request, tmp_path):
    """Factory of review runtimes, each on its own fresh migrated database of the param's kind."""
    made: list[ServiceRuntime] = []
    databases = request.getfixturevalue("pg_database") if request.param == "postgresql" else None

    def make() -> ServiceRuntime:
        url = databases() if databases else f"sqlite:///{tmp_path / f'review{len(made)}.db'}"
        runtime = ServiceRuntime(SPEC, Settings(), database_url=url)
        runtime.migrate()
        made.append(runtime)
        return runtime

    yield make
    for runtime in made:
        runtime.close()


def envelope(message, producer: str) -> bytes:
    return new_envelope(message, producer=producer, aggregate_id=message_id(message)).SerializeToString()


def message_id(message) -> str:
    return getattr(message, "application_id", "") or message.application.application_id


def batch(envelopes: list[bytes]) -> bytes:
    return events_pb2.EventBatch(envelopes=envelopes).SerializeToString()


def consumers(runtime) -> dict:
    return {c.subscription.event_type: c for c in runtime.consumers()}


def mixed_messages() -> list[tuple[str, list[bytes]]]:
    """(event type, envelopes) of four bus messages: early results, submissions, results, and the
    submissions delivered again."""
    early = [
        dedup_completed("early"),  # before its submission
        dedup_completed("next", passed=False, revision=2, reason="身份信息不一致"),  # a revision not here yet
        dedup_completed("early", passed=False, reason="重复"),  # a second result: ignored
    ]
    submissions = [
        submitted("open", "hmt_foreign"),
        submitted("next", "hmt_foreign"),
        submitted("old", "hmt_foreign"),
        submitted("early", "hmt_foreign"),
        submitted("new", "no_document"),
        submitted("next", "hmt_foreign", revision=2, name="改正后"),  # takes its parked result
        submitted("next", "hmt_foreign", name="旧"),  # stale
        submitted("new", "no_document", name="重复"),  # the same revision again
        submitted("old", "hmt_foreign", revision=2),
    ]
    results = [
        dedup_completed("open"),
        dedup_completed("open", passed=False, reason="重复"),  # the same revision again
        dedup_completed("old", passed=True, revision=1),  # older than the case
        dedup_completed("old", passed=False, revision=2, reason="证件号不存在"),
        dedup_completed("new"),  # no check needed for this category: nothing changes
        events_pb2.DedupCompleted(application_id="open", revision=1),  # no outcome: refused alone
    ]
    sent = [envelope(m, "registration") for m in submissions]
    return [
        ("DedupCompleted", [envelope(m, "dedup") for m in early]),
        ("ApplicationSubmitted", sent),
        ("DedupCompleted", [envelope(m, "dedup") for m in results]),
        ("ApplicationSubmitted", sent),
    ]


def stored(runtime) -> dict:
    """The rows that matter: cases (not their update time), history per case in order (not the
    time of dedup steps: now()), parked results, the inbox, and what review published."""
    tables = SPEC.metadata.tables
    cases, history, parked = (
        tables["review_cases"],
        tables["review_case_history"],
        tables["review_gate_results"],
    )
    with runtime.engine.connect() as conn:
        return {
            "cases": [
                {k: v for k, v in row._mapping.items() if k != "updated_at"}
                for row in conn.execute(select(cases).order_by(cases.c.application_id))
            ],
            "history": [
                tuple(row)
                for row in conn.execute(
                    select(*(c for c in history.c if c.name not in ("id", "occurred_at"))).order_by(
                        history.c.application_id, history.c.id
                    )
                )
            ],
            "parked": [
                tuple(r)
                for r in conn.execute(
                    select(
                        parked.c.application_id, parked.c.revision, parked.c.passed, parked.c.reason
                    ).order_by(parked.c.application_id, parked.c.revision)
                )
            ],
            "inbox": sorted(conn.execute(select(SPEC.inbox.c.event_id)).scalars()),
            "outbox": list(conn.execute(select(SPEC.outbox.c.event_type)).scalars()),
        }


def test_a_batch_ends_where_its_events_one_by_one_end(fresh_review, caplog):
    batched, single = fresh_review(), fresh_review()
    by_type = consumers(batched)
    one_by_one = consumers(single)
    with caplog.at_level(logging.INFO, logger="xueji_common.messaging.consumer"):
        for event_type, envelopes in mixed_messages():
            by_type[event_type](batch(envelopes))
            for body in envelopes:
                one_by_one[event_type](body)
    assert not [r for r in caplog.records if "falls back" in r.getMessage()]  # the set-based path ran
    got = stored(batched)
    assert got == stored(single)
    states = {c["application_id"]: (c["state"], c["gate"], c["revision"], c["name"]) for c in got["cases"]}
    assert states["next"] == (CaseState.DEDUP_FAILED.value, GateStatus.FAILED.value, 2, "改正后")
    assert states["early"][:2] == (CaseState.AWAITING_SCHOOL_REVIEW.value, GateStatus.PASSED.value)
    assert states["old"][:3] == (CaseState.DEDUP_FAILED.value, GateStatus.FAILED.value, 2)
    assert got["parked"] == [] and got["outbox"] == []  # review tells nobody of intake


def count_statements(runtime, call) -> int:
    with statements_sent(runtime.engine) as statements:
        call()
    return len(statements)


def statements_of_batches(runtime, n: int) -> list[int]:
    """Statements of: n early results, n submissions taking them, n corrections, n results."""
    handle = consumers(runtime)
    ids = [f"{n}-{i:03d}" for i in range(n)]

    def deliver(event_type, producer, messages):
        return count_statements(
            runtime, lambda: handle[event_type](batch([envelope(m, producer) for m in messages]))
        )

    return [
        deliver("DedupCompleted", "dedup", [dedup_completed(i) for i in ids]),
        deliver("ApplicationSubmitted", "registration", [submitted(i, "hmt_foreign") for i in ids]),
        deliver(
            "ApplicationSubmitted", "registration", [submitted(i, "hmt_foreign", revision=2) for i in ids]
        ),
        deliver("DedupCompleted", "dedup", [dedup_completed(i, revision=2) for i in ids]),
    ]


def test_a_batch_costs_the_same_statements_for_5_items_as_for_50(fresh_review):
    """Statements through SQLAlchemy (an executemany is one); PostgreSQL's COPY of new cases and
    history rows runs on the driver's connection, uncounted: one per table whatever the size."""
    runtime = fresh_review()
    assert statements_of_batches(runtime, 5) == statements_of_batches(runtime, 50)


def test_a_result_batch_and_approve_all_of_the_same_cases_at_once_do_not_deadlock(fresh_review):
    """Case ids in the opposite order of their submission, so that locks taken in id order by one
    and in list order by the other would cross. A third transaction holds a case in the middle until
    both wait for it: each then holds a part of the other's cases, unless both lock in one order."""
    runtime = fresh_review()
    if runtime.engine.dialect.name != "postgresql":
        pytest.skip("SQLite transactions hold the whole database: no row locks to cross")
    handle = consumers(runtime)
    ids = [f"c-{99 - i:02d}" for i in range(40)]
    waiting = [submitted(i, "hmt_foreign") for i in ids] + [submitted(f"{i}-d", "no_document") for i in ids]
    handle["ApplicationSubmitted"](batch([envelope(m, "registration") for m in waiting]))
    results = batch([envelope(dedup_completed(i), "dedup") for i in ids])
    leader = Principal("leader", Role.SCHOOL_LEADER, SCHOOL)
    errors: list[BaseException] = []

    def run(work) -> threading.Thread:
        def target() -> None:
            try:
                work()
            except BaseException as exc:
                errors.append(exc)

        thread = threading.Thread(target=target)
        thread.start()
        time.sleep(0.5)  # until it waits for the held case
        return thread

    tables = SPEC.metadata.tables["review_cases"]
    with runtime.engine.connect() as blocker:
        blocker.execute(select(tables.c.version).where(tables.c.application_id == ids[20]).with_for_update())
        threads = [
            run(lambda: handle["DedupCompleted"](results)),
            run(
                lambda: approve_all(
                    runtime.uow_factory(), tree=runtime.tree, principal=leader, school_codes=[]
                )
            ),
        ]
        blocker.rollback()
    for thread in threads:
        thread.join(60)
    assert not errors, errors
    with runtime.uow_factory() as uow:
        cases = uow.cases.get_many(ids + [f"{i}-d" for i in ids])
    assert {c.gate for c in cases.values() if c.category == "hmt_foreign"} == {GateStatus.PASSED}
    assert {c.state for c in cases.values() if c.category == "no_document"} == {CaseState.AWAITING_REPORT}
