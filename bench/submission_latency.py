"""Latency of one student entered by hand: from CreateApplication's answer to the review case that
the school's reviewers see (issue 16: "one student entered by hand is a batch of one: latency from
submission to the review case p50 < 200 ms stays"). The event goes out alone (a lone envelope on the
bus, the single path of messaging.consumer), so this is the path batches must not slow down.

Enters the students one at a time, each after the previous one's case appeared, and polls review's
database every 2 ms for the case. Baseline in the same run: the CreateApplication call itself.

    .venv/bin/python bench/submission_latency.py [--students 100] [--modes production,embedded]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import e2e_data
import e2e_driver
import e2e_systems
from sqlalchemy import create_engine, text

TARGET_P50_MS = 200.0
POLL_SECONDS = 0.002


def measure(mode: str, students: list[e2e_data.Student]) -> dict:
    start = getattr(e2e_systems, mode)
    with start(students) as system:
        county = e2e_driver.County(system.registration, system.review, system.tokens)
        review = create_engine(system.review_db, pool_size=1)
        calls, latencies = [], []
        try:
            with review.connect() as conn:
                for student in students:
                    before = _cases(conn)
                    t0 = time.perf_counter()
                    county.enter_manually(student)
                    calls.append(time.perf_counter() - t0)
                    while _cases(conn) == before:
                        if time.perf_counter() - t0 > 30:
                            raise RuntimeError("no review case 30 s after the submission")
                        time.sleep(POLL_SECONDS)
                    latencies.append(time.perf_counter() - t0)
        finally:
            county.close()
            review.dispose()
    return {"mode": mode, "call": _summary(calls), "to_case": _summary(latencies)}


def _cases(conn) -> int:
    conn.rollback()  # a new snapshot each poll (SQLite keeps the read transaction's otherwise)
    return conn.execute(text("SELECT count(*) FROM review_cases")).scalar_one()


def _summary(seconds: list[float]) -> dict:
    ms = sorted(s * 1000 for s in seconds)
    return {
        "p50": statistics.median(ms),
        "p95": ms[int(0.95 * (len(ms) - 1))],
        "max": ms[-1],
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--students", type=int, default=100)
    parser.add_argument("--modes", default="production,embedded")
    args = parser.parse_args()
    # Non-primary freshmen (primary freshmen with a document come through preschool transfers), all
    # three categories, entered by hand as the manual's 学籍信息录入 does.
    students = [s for s in e2e_data.cohort(args.students * 3) if s.kind is e2e_data.OLDER][: args.students]
    for mode in args.modes.split(","):
        r = measure(mode, students)
        call, case = r["call"], r["to_case"]
        met = "met" if case["p50"] < TARGET_P50_MS else "NOT met"
        print(
            f"{mode}: {len(students)} students entered one at a time: submission → review case "
            f"p50 {case['p50']:.1f} ms, p95 {case['p95']:.1f} ms, max {case['max']:.1f} ms "
            f"(target p50 < {TARGET_P50_MS:.0f} ms: {met}); the CreateApplication call alone "
            f"p50 {call['p50']:.1f} ms, p95 {call['p95']:.1f} ms",
            flush=True,
        )


if __name__ == "__main__":
    main()
