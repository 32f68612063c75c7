"""Benchmark: "approve all" (全部审核) over 10,000 waiting cases of one school, on PostgreSQL.

Through the service layer (decisions.approve_all: one transaction, locked read, executemany writes of
cases, history and outbox), next to single approvals (decisions.decide) measured in the same run.
Target: the whole batch in under 3 seconds.

    .venv/bin/python bench/review_approve_all.py [--cases 10000] [--singles 100]
"""

from __future__ import annotations

import argparse
import datetime as dt
import statistics
import time
import uuid

from sqlalchemy import func, insert, select

from xueji_common.auth import Principal, Role
from xueji_common.config import Settings
from xueji_common.runtime.bootstrap import ServiceRuntime
from xueji_common.testing import infra
from xueji_review.adapters.repository import case_row
from xueji_review.adapters.tables import outbox, review_cases
from xueji_review.domain.model import ReviewCase
from xueji_review.service_layer import decisions

SCHOOL = "1330102001"
LEADER = Principal("bench-leader", Role.SCHOOL_LEADER, SCHOOL)


def seed(runtime: ServiceRuntime, count: int) -> list[str]:
    start = dt.datetime(2026, 9, 1, tzinfo=dt.UTC)
    rows, ids = [], []
    for i in range(count):
        case = ReviewCase.open(
            application_id=str(uuid.uuid4()),
            revision=1,
            school_code=SCHOOL,
            county_code="330102",
            kind="primary_freshman",
            category="resident" if i % 3 else "no_document",
            name=f"学生{i}",
            gender=1 + i % 2,
            birth_date=dt.date(2019, 1 + i % 12, 1 + i % 28),
            document_type="1" if i % 3 else "Z",
            document_masked=f"330***********{i % 10000:04d}",
            submitted_at=start + dt.timedelta(seconds=i),
        )
        rows.append(case_row(case))
        ids.append(case.application_id)
    with runtime.session_factory() as session:
        session.execute(insert(review_cases), rows)
        session.commit()
    return ids


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--cases", type=int, default=10_000)
    parser.add_argument("--singles", type=int, default=100)
    args = parser.parse_args()
    infra.check_postgres()
    url = infra.new_database("xueji_bench_review")
    runtime = ServiceRuntime(
        __import__("xueji_review.spec", fromlist=["SPEC"]).SPEC, Settings(), database_url=url
    )
    try:
        runtime.migrate()
        ids = seed(runtime, args.cases + args.singles)
        singles = []
        for case_id in ids[: args.singles]:  # the first of the list, as a leader would click them
            t0 = time.perf_counter()
            decisions.decide(
                runtime.uow_factory(),
                tree=runtime.tree,
                principal=LEADER,
                case_id=case_id,
                decision=decisions.Decision.APPROVE,
            )
            singles.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        approved, refused = decisions.approve_all(
            runtime.uow_factory(), tree=runtime.tree, principal=LEADER, school_codes=[SCHOOL]
        )
        batch = time.perf_counter() - t0
        with runtime.session_factory() as session:
            events = session.execute(select(func.count()).select_from(outbox)).scalar_one()
        assert len(approved) == args.cases and not refused and events == args.cases + args.singles
        single = statistics.median(singles)
        per_case = batch / len(approved)
        print(f"single approve (median of {args.singles}):   {single * 1000:8.2f} ms per case")
        print(
            f"approve all of {len(approved)} cases:       {batch:8.2f} s total  (target < 3 s: "
            f"{'met' if batch < 3 else 'MISSED'})"
        )
        print(f"approve all, per case:             {per_case * 1000:8.3f} ms per case")
        print(f"ratio single / batch per case:     {single / per_case:8.1f} x")
    finally:
        runtime.close()
        infra.drop(url)


if __name__ == "__main__":
    main()
