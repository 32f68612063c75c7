"""What tenacity adds to a call that succeeds at once, against the hand-written reconnect-once loop.

    .venv/bin/python bench/retry_overhead.py [--calls 100000] [--rounds 5]

Issue 18 asked to replace hand-written retry loops with tenacity where no measured reason keeps
ours. Two loops stay: the reconnect-once of a broken pooled connection in the two lookups measured in
bench/ (dedup's holdings_query.pooled_rows behind Dedup.CheckDocument, national-query's
pg_connections.PgConnections.query behind LookupStudent), where the call itself takes tens of
microseconds. This prints the cost per successful call of each way, best of `--rounds`.
"""

from __future__ import annotations

import argparse
import time

from tenacity import Retrying, retry_if_exception_type, stop_after_attempt


class Broken(Exception):
    pass


def work() -> int:
    return 1


def loop() -> int:
    for attempt in (1, 2):
        try:
            return work()
        except Broken:
            if attempt == 2:
                raise
    raise AssertionError("unreachable")


def with_tenacity() -> int:
    for attempt in Retrying(retry=retry_if_exception_type(Broken), stop=stop_after_attempt(2), reraise=True):
        with attempt:
            return work()
    raise AssertionError("unreachable")


_RETRYING = Retrying(retry=retry_if_exception_type(Broken), stop=stop_after_attempt(2), reraise=True)


def with_tenacity_reused() -> int:
    return _RETRYING(work)


def best(fn, calls: int, rounds: int) -> float:
    times = []
    for _ in range(rounds):
        started = time.perf_counter()
        for _ in range(calls):
            fn()
        times.append(time.perf_counter() - started)
    return min(times) / calls * 1e9


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--calls", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    base = best(work, args.calls, args.rounds)
    for name, fn in (
        ("hand-written loop", loop),
        ("tenacity, a Retrying per call", with_tenacity),
        ("tenacity, one Retrying reused", with_tenacity_reused),
    ):
        print(f"{name:32s} {best(fn, args.calls, args.rounds) - base:8.0f} ns per successful call")


if __name__ == "__main__":
    main()
