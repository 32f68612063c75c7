"""Benchmark: the console's 学校审核 worklist page of a school with 2,000 waiting applications, 20
users at once, next to the same gRPC list call made directly.

1. Seeds 2,000 review cases of one school into a fresh PostgreSQL database of the review service
   and serves Reviews over gRPC in a child process.
2. Serves the console (`xueji-console serve`) in another child process, its sessions in Redis
   (127.0.0.1:6379, as in production), where this script puts 20 signed-in school-leader sessions
   (tokens minted with the development key, as the review server verifies them).
3. 20 threads GET /reviews (the first page: 20 cases, the count of 2,000, the page rendered) for
   --seconds; then 20 threads call Reviews/ListPendingCases with the same request the page makes
   (school, page size 20, the leader's token) for as long.

The two kinds alternate in --rounds rounds, so that the shared machine's load weighs on both.
Targets (issue 15): the server's time p95 < 200 ms (the console's Server-Timing header: from the
request to the response's start; the time seen by the client is printed too), and page throughput
>= 0.5 x the direct gRPC call's.

    .venv/bin/python bench/console_worklist.py [--cases 2000] [--users 20] [--seconds 15] [--rounds 3]
"""

from __future__ import annotations

import argparse
import http.client
import multiprocessing
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from e2e_systems import _cpu_seconds
from review_approve_all import SCHOOL, seed

from xueji_common.auth import Role
from xueji_common.config import Settings
from xueji_common.testing import infra

ROOT = Path(__file__).resolve().parent.parent
REDIS_URL = os.environ.get("XUEJI_BENCH_REDIS_URL", "redis://127.0.0.1:6379/14")
PAGE_SIZE = 20  # the console's list pages (views/applications.PAGE_SIZE)


def serve_review(url: str, port: int, cases: int) -> None:
    from xueji_common.grpcserver.server import GrpcServer
    from xueji_common.runtime.bootstrap import ServiceRuntime
    from xueji_review.spec import SPEC

    runtime = ServiceRuntime(SPEC, Settings(), database_url=url)
    runtime.migrate()
    seed(runtime, cases)
    server = GrpcServer(
        SPEC.grpc_bindings(runtime), f"127.0.0.1:{port}", runtime.tokens, public_methods=SPEC.public_methods
    )
    server.start()
    print("ready", flush=True)
    server.wait_for_termination(on_stop=runtime.close)


def sessions(users: int) -> list[str]:
    """Signed-in school-leader sessions in the console's Redis store; their ids (the cookies)."""
    from xueji.v1.common_pb2 import ROLE_SCHOOL_LEADER
    from xueji_console.sessions import RedisStore, Session

    store, mint, sids = RedisStore(REDIS_URL, 3600), Settings().token_service().mint, []
    for i in range(users):
        session = Session.fresh()
        session.access_token = mint(f"bench-leader-{i}", Role.SCHOOL_LEADER, SCHOOL, ttl_seconds=3600)
        session.access_expires_at = time.time() + 3600
        session.login_name, session.role, session.org_unit_code = (
            f"bench-leader-{i}",
            ROLE_SCHOOL_LEADER,
            SCHOOL,
        )
        store.put(session)
        sids.append(session.sid)
    return sids


def run_threads(users: int, seconds: float, make_worker) -> tuple[list[float], float]:
    """`users` threads calling their worker's request until the time is up: (latencies, elapsed).
    The clock starts once every thread has made one warm-up call (connection, first render)."""
    latencies: list[float] = []
    guard, clock = threading.Lock(), {}
    start = threading.Barrier(users, action=lambda: clock.update(began=time.perf_counter()))

    def loop(i: int) -> None:
        call = make_worker(i)
        call()
        start.wait()
        deadline, own = clock["began"] + seconds, []
        while time.perf_counter() < deadline:
            t0 = time.perf_counter()
            call()
            own.append(time.perf_counter() - t0)
        with guard:
            latencies.extend(own)

    threads = [threading.Thread(target=loop, args=(i,)) for i in range(users)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return latencies, time.perf_counter() - clock["began"]


def page_worker(port: int, sids: list[str], cases: int, server_times: list[float]):
    def make(i: int):
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        headers = {"Cookie": f"xueji_session={sids[i]}"}

        def call() -> None:
            conn.request("GET", "/reviews", headers=headers)
            response = conn.getresponse()
            body = response.read()
            if response.status != 200 or f"共 {cases} 条".encode() not in body:
                raise AssertionError(f"page refused: {response.status} {body[:300]!r}")
            # "app;dur=12.3": the console's own time from the request to the response's start.
            server_times.append(
                float(response.getheader("server-timing", "app;dur=0").split("dur=")[1]) / 1000
            )

        return call

    return make


def grpc_worker(address: str):
    import grpc

    from xueji.v1 import review_pb2, review_pb2_grpc
    from xueji_common.grpcserver.client import bearer

    mint = Settings().token_service().mint

    def make(i: int):
        stub = review_pb2_grpc.ReviewsStub(grpc.insecure_channel(address))
        metadata = bearer(mint(f"bench-leader-{i}", Role.SCHOOL_LEADER, SCHOOL, ttl_seconds=3600))
        request = review_pb2.ListPendingCasesRequest(school_code=SCHOOL, page_size=PAGE_SIZE)

        def call() -> None:
            stub.ListPendingCases(request, metadata=metadata, timeout=30)

        return call

    return make


def p95(values: list[float]) -> float:
    return statistics.quantiles(values, n=20)[-1]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--cases", type=int, default=2000)
    parser.add_argument("--users", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=15, help="per kind, over all rounds")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    infra.check_postgres()
    url = infra.new_database("xueji_bench_console")
    grpc_port, http_port = infra.free_port(), infra.free_port()
    review = multiprocessing.get_context("spawn").Process(
        target=serve_review, args=(url, grpc_port, args.cases)
    )
    review.start()
    # Development mode (production needs the deployment's issuers and keys); sessions in Redis all the same.
    env = {
        **os.environ,
        "XUEJI_REDIS_URL": REDIS_URL,
        "XUEJI_PEER_REVIEW": f"127.0.0.1:{grpc_port}",
        "XUEJI_CONSOLE_PORT": str(http_port),
        "XUEJI_LOG_LEVEL": "WARNING",
        "XUEJI_METRICS_PORT": "0",
    }  # no /metrics: its port may be taken here
    log = tempfile.NamedTemporaryFile(prefix="xueji-bench-console-", suffix=".log", delete=False)
    console = subprocess.Popen(
        [str(ROOT / ".venv/bin/xueji-console"), "serve"], env=env, stdout=log, stderr=subprocess.STDOUT
    )
    try:
        if not infra.wait_serving(f"127.0.0.1:{grpc_port}", lambda: _alive(review), timeout=180):
            sys.exit("the review server did not start")
        _wait_http(http_port, console, log.name)
        sids = sessions(args.users)
        # Rounds of each, alternating, so that the machine's load (shared, noisy) weighs on both.
        page_times, grpc_times, server_times = [], [], []
        page_elapsed = grpc_elapsed = 0.0
        # CPU seconds of the console and of the review server while each kind runs: a figure that
        # the machine's load does not stretch.
        cpu = {"console": 0.0, "review_page": 0.0, "review_grpc": 0.0}
        for _ in range(args.rounds):
            before = _cpu_seconds(console.pid), _cpu_seconds(review.pid)
            times, elapsed = run_threads(
                args.users, args.seconds / args.rounds, page_worker(http_port, sids, args.cases, server_times)
            )
            cpu["console"] += _cpu_seconds(console.pid) - before[0]
            cpu["review_page"] += _cpu_seconds(review.pid) - before[1]
            page_times += times
            page_elapsed += elapsed
            before_review = _cpu_seconds(review.pid)
            times, elapsed = run_threads(
                args.users, args.seconds / args.rounds, grpc_worker(f"127.0.0.1:{grpc_port}")
            )
            cpu["review_grpc"] += _cpu_seconds(review.pid) - before_review
            grpc_times += times
            grpc_elapsed += elapsed
    finally:
        console.terminate()
        review.terminate()
        try:
            console.wait(timeout=20)
        except subprocess.TimeoutExpired:
            console.kill()
        review.join(timeout=20)
        infra.drop(url)
    page_rate, grpc_rate = len(page_times) / page_elapsed, len(grpc_times) / grpc_elapsed
    server_p95, page_p95, grpc_p95 = (p95(t) * 1000 for t in (server_times, page_times, grpc_times))
    print(f"worklist page, {args.users} users, {args.cases} cases: {page_rate:8.1f} pages/s")
    print(
        f"  server time (Server-Timing) p95 {server_p95:7.1f} ms  p50 "
        f"{statistics.median(server_times) * 1000:6.1f} ms"
        f"  (target p95 < 200 ms: {'met' if server_p95 < 200 else 'MISSED'})"
    )
    print(
        f"  seen by the client          p95 {page_p95:7.1f} ms  p50 "
        f"{statistics.median(page_times) * 1000:6.1f} ms"
    )
    print(
        f"ListPendingCases direct, {args.users} threads: {grpc_rate:8.1f} calls/s  p95 {grpc_p95:7.1f} ms  "
        f"p50 {statistics.median(grpc_times) * 1000:6.1f} ms"
    )
    ratio = page_rate / grpc_rate
    print(
        f"page / direct gRPC throughput: {ratio:8.2f} x  (target >= 0.5: "
        f"{'met' if ratio >= 0.5 else 'MISSED'})"
    )
    # Warm-up calls (one per thread and round) are in the CPU but not in the counts: a slight overestimate.
    print(
        f"CPU per page: console {cpu['console'] / len(page_times) * 1000:.2f} ms + review server "
        f"{cpu['review_page'] / len(page_times) * 1000:.2f} ms; per direct call: review server "
        f"{cpu['review_grpc'] / len(grpc_times) * 1000:.2f} ms"
    )
    print(f"load average at the end: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")


def _alive(process) -> None:
    if not process.is_alive():
        sys.exit(f"the review server exited ({process.exitcode})")


def _wait_http(port: int, proc: subprocess.Popen, log: str) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            sys.exit(f"the console exited: {Path(log).read_text()[-2000:]}")
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", "/static/console.css")
            if conn.getresponse().status == 200:
                return
        except OSError:
            time.sleep(0.2)
    sys.exit("the console did not start")


if __name__ == "__main__":
    main()
