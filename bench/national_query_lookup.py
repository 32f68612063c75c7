"""National lookup benchmark: bulk load rate, then lookups per second and p99 over gRPC with the
records loaded, each next to a baseline measured in the same run on the same machine.

    .venv/bin/python bench/national_query_lookup.py [--records 1000000] [--seconds 15] [--concurrency 4]
        [--rounds 3]

1. Generates a CSV of N national records (valid resident IDs, Chinese names) and bulk-loads it into a
   fresh PostgreSQL database with the service's own code (a first load: COPY, then keys and indexes
   built once), feeding in the same pass the holdings of the national dedup (Dedup.LoadRecordHoldings
   to a dedup server in its own process, on its own fresh database), as `xueji national-query load`
   does: the rate is records into both stores. Side by side: the same file loaded into national-query
   alone (another fresh database), and a bare COPY of the same rows into an unindexed (logged) table,
   the baseline. Target: at least 50,000 records/s into both.
2. Serves national-query (system role: no captcha, no rate limit) and a bare gRPC echo server, each
   in its own process, and drives them in turns (--rounds, so that the shared machine's changing
   load falls on both alike) from a client process with the same concurrency. Both clients do the
   same work per call (the same requests, bearer token and parsing); only the server differs.
   Every lookup is a real one (name + document number or name + national student number, audited).
   Targets: at least half the echo's throughput, p99 under 10 ms. Also prints each server process's
   CPU time per call (PostgreSQL's share of a lookup not included), a figure the load moves less.
Needs PostgreSQL on 127.0.0.1:5432 (as the tests do).
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import datetime as dt
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈"
)
GIVEN = "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超秀兰霞平刚桂英华玉萍红娥玲芬燕彬鹏辉浩宇轩梓涵子墨一诺欣怡雨泽"
DIVISIONS = [
    "330102",
    "330105",
    "330106",
    "330108",
    "320102",
    "320104",
    "340102",
    "410102",
    "510104",
    "430102",
]
STAGES = ["学前", "小学", "小学", "小学", "初中", "初中", "高中"]
HEADER = [
    "全国学籍号",
    "姓名",
    "性别",
    "出生日期",
    "身份证件类型",
    "身份证件号",
    "所在省份",
    "学校标识码",
    "学校名称",
    "就读学段",
    "就读状态",
    "是否问题学籍",
    "最新学籍变动时间",
]


def generate(path: Path, n: int, seed: int = 6) -> list[tuple[str, str, str]]:
    """Writes n records; returns a sample of (name, document number, national student number)."""
    from xueji_common.documents import resident_id_check_digit

    rng = random.Random(seed)
    base = dt.date(2004, 1, 1)
    sample = []
    with open(path, "w", encoding="utf-8", newline="") as f:
        out = csv.writer(f)
        out.writerow(HEADER)
        for i in range(n):
            division = DIVISIONS[i % len(DIVISIONS)]
            born = base + dt.timedelta(days=(i // len(DIVISIONS)) % 5000)
            sequence = (i // (len(DIVISIONS) * 5000)) % 1000
            first17 = f"{division}{born:%Y%m%d}{sequence:03d}"
            number = first17 + resident_id_check_digit(first17)
            name = rng.choice(SURNAMES) + rng.choice(GIVEN) + (rng.choice(GIVEN) if i % 3 else "")
            out.writerow(
                [
                    "G" + number,
                    name,
                    "1" if sequence % 2 else "2",
                    born.isoformat(),
                    "1",
                    number,
                    division[:2] + "0000",
                    f"1{division}001",
                    "示例学校",
                    rng.choice(STAGES),
                    "在读",
                    "否",
                    "2026-09-01 08:00:00",
                ]
            )
            if i % max(n // 20000, 1) == 0:
                sample.append((name, number, "G" + number))
    return sample


def bulk_load(url: str, path: Path, dedup_port: int | None) -> tuple[float, object]:
    """The load as `xueji national-query load` runs it; without a dedup port, national-query alone."""
    from xueji_common.config import Settings
    from xueji_common.runtime.bootstrap import ServiceRuntime
    from xueji_national_query.adapters.holdings_feed import dedup_feed
    from xueji_national_query.service_layer.bulk_load import bulk_load as load
    from xueji_national_query.spec import SPEC

    runtime = ServiceRuntime(
        SPEC, Settings(peers={"dedup-national": f"127.0.0.1:{dedup_port}"}), database_url=url
    )
    runtime.migrate()
    started = time.perf_counter()
    report = load(
        runtime.uow_factory(), path, "csv", holdings=lambda: dedup_feed(runtime) if dedup_port else None
    )
    elapsed = time.perf_counter() - started
    runtime.close()
    return elapsed, report


def bare_copy(url: str, path: Path) -> float:
    """Baseline: the same rows, parsed by csv and COPied as text into an unindexed table, nothing else.
    A plain table, written to the WAL as the records are (a temporary table would skip the WAL)."""
    import psycopg

    started = time.perf_counter()
    with psycopg.connect(url.replace("postgresql+psycopg", "postgresql")) as conn:
        conn.execute("CREATE TABLE bare (" + ", ".join(f"c{i} text" for i in range(len(HEADER))) + ")")
        with open(path, encoding="utf-8", newline="") as f, conn.cursor() as cur:
            reader = csv.reader(f)
            next(reader)
            with cur.copy("COPY bare FROM STDIN") as copy:
                for row in reader:
                    copy.write_row(row)
    elapsed = time.perf_counter() - started
    with psycopg.connect(url.replace("postgresql+psycopg", "postgresql"), autocommit=True) as conn:
        conn.execute("DROP TABLE bare")
    return elapsed


# -- servers (child processes) ------------------------------------------------------------------


def serve_lookup(url: str, port: int) -> None:
    os.environ["XUEJI_LOOKUP_SYSTEM_RATE_LIMIT"] = "0"
    from xueji_common.config import Settings
    from xueji_common.grpcserver.server import GrpcServer
    from xueji_common.runtime.bootstrap import ServiceRuntime
    from xueji_national_query.spec import SPEC

    runtime = ServiceRuntime(SPEC, Settings(), database_url=url)
    server = GrpcServer(
        SPEC.grpc_bindings(runtime), f"127.0.0.1:{port}", runtime.tokens, public_methods=SPEC.public_methods
    )
    server.start()
    print("ready", flush=True)
    server.wait_for_termination(on_stop=runtime.close)


def serve_dedup(url: str, port: int) -> None:
    """The national dedup (its holdings fed by the load), migrated on its own database."""
    from xueji_common.config import Settings
    from xueji_common.grpcserver.server import GrpcServer
    from xueji_common.runtime.bootstrap import ServiceRuntime
    from xueji_dedup.spec import SPEC

    runtime = ServiceRuntime(SPEC, Settings(scope="national"), database_url=url)
    runtime.migrate()
    server = GrpcServer(
        SPEC.grpc_bindings(runtime), f"127.0.0.1:{port}", runtime.tokens, public_methods=SPEC.public_methods
    )
    server.start()
    print("ready", flush=True)
    server.wait_for_termination(on_stop=runtime.close)


def holdings_count(url: str) -> int:
    import psycopg

    with psycopg.connect(url.replace("postgresql+psycopg", "postgresql")) as conn:
        return conn.execute("SELECT count(*) FROM national_records").fetchone()[0]


def serve_echo(port: int) -> None:
    from concurrent import futures

    import grpc

    def echo(request: bytes, context) -> bytes:
        return request

    server = grpc.server(futures.ThreadPoolExecutor(max_workers=16))
    handler = grpc.method_handlers_generic_handler(
        "bench.Echo", {"Echo": grpc.unary_unary_rpc_method_handler(echo)}
    )
    server.add_generic_rpc_handlers((handler,))
    server.add_insecure_port(f"127.0.0.1:{port}")
    server.start()
    print("ready", flush=True)
    server.wait_for_termination()


# -- client (child process) ---------------------------------------------------------------------


async def drive(port: int, kind: str, seconds: float, concurrency: int, sample: list) -> dict:
    """Both clients do the same work per call: build the same request from the sample, send it with
    the same bearer token, parse the answer. Only the server differs."""
    import grpc

    from xueji.v1 import national_query_pb2 as nq
    from xueji_common.auth import Role
    from xueji_common.config import Settings
    from xueji_common.grpcserver.client import bearer

    channel = grpc.aio.insecure_channel(f"127.0.0.1:{port}")
    meta = bearer(Settings().token_service().mint("bench", Role.SYSTEM, "000000", ttl_seconds=3600))
    method, answer = (
        ("/bench.Echo/Echo", nq.LookupStudentRequest)
        if kind == "echo"
        else ("/xueji.v1.NationalQuery/LookupStudent", nq.LookupStudentResponse)
    )
    call = channel.unary_unary(
        method,
        request_serializer=nq.LookupStudentRequest.SerializeToString,
        response_deserializer=answer.FromString,
    )

    def make(i):
        name, number, nsn = sample[i % len(sample)]
        key = {"document_number": number} if i % 4 else {"national_student_number": nsn}
        return call(nq.LookupStudentRequest(name=name, **key), metadata=meta)

    latencies: list[float] = []
    errors = 0
    deadline = time.perf_counter() + seconds
    counter = iter(range(10**9))

    async def worker():
        nonlocal errors
        while time.perf_counter() < deadline:
            started = time.perf_counter()
            try:
                await make(next(counter))
            except grpc.aio.AioRpcError:
                errors += 1
            latencies.append(time.perf_counter() - started)

    for i in range(50):  # warm-up
        await make(i)
    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    elapsed = time.perf_counter() - started
    await channel.close()
    return {"elapsed": elapsed, "latencies": latencies, "errors": errors}


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def measure(
    kind: str, port: int, server_pid: int, seconds: float, concurrency: int, sample_file: Path
) -> dict:
    """One client process drives one server process; also the server's CPU time per call."""
    cpu = cpu_seconds(server_pid)
    out = subprocess.run(
        [
            sys.executable,
            __file__,
            "--client",
            kind,
            "--port",
            str(port),
            "--seconds",
            str(seconds),
            "--concurrency",
            str(concurrency),
            "--sample",
            str(sample_file),
        ],
        check=True,
        capture_output=True,
        text=True,
    )
    result = json.loads(out.stdout.strip().splitlines()[-1])
    result["server_cpu"] = cpu_seconds(server_pid) - cpu  # warm-up calls included (50 per run)
    return result


def summary(runs: list[dict]) -> dict:
    latencies = sorted(x for r in runs for x in r["latencies"])
    calls, elapsed = len(latencies), sum(r["elapsed"] for r in runs)
    return {
        "rps": calls / elapsed,
        "p50": latencies[calls // 2] * 1000,
        "p99": latencies[int(calls * 0.99)] * 1000,
        "errors": sum(r["errors"] for r in runs),
        "calls": calls,
        "cpu_us": sum(r["server_cpu"] for r in runs) / (calls + 50 * len(runs)) * 1e6,
    }


def start(args: list[str]) -> subprocess.Popen:
    proc = subprocess.Popen([sys.executable, __file__, *args], stdout=subprocess.PIPE, text=True)
    assert proc.stdout.readline().strip() == "ready"
    return proc


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--records", type=int, default=1_000_000)
    parser.add_argument("--seconds", type=float, default=15)
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--rounds", type=int, default=3, help="echo and lookup runs, taking turns")
    parser.add_argument("--serve", choices=["lookup", "echo", "dedup"])
    parser.add_argument("--client", choices=["lookup", "echo"])
    parser.add_argument("--url")
    parser.add_argument("--port", type=int)
    parser.add_argument("--sample")
    args = parser.parse_args()
    if args.serve == "lookup":
        return serve_lookup(args.url, args.port)
    if args.serve == "echo":
        return serve_echo(args.port)
    if args.serve == "dedup":
        return serve_dedup(args.url, args.port)
    if args.client:
        sample = json.loads(Path(args.sample).read_text())
        print(json.dumps(asyncio.run(drive(args.port, args.client, args.seconds, args.concurrency, sample))))
        return

    from xueji_common.testing import infra

    url, dedup_url = infra.new_database("xueji_bench_nq"), infra.new_database("xueji_bench_dedup")
    alone_url = infra.new_database("xueji_bench_nq_alone")
    try:
        with tempfile.TemporaryDirectory() as folder:
            path, sample_file = Path(folder) / "records.csv", Path(folder) / "sample.json"
            t0 = time.perf_counter()
            sample = generate(path, args.records)
            sample_file.write_text(json.dumps(sample))
            print(
                f"generated {args.records:,} records ({path.stat().st_size / 1e6:.0f} MB) in "
                f"{time.perf_counter() - t0:.1f} s"
            )
            baseline = bare_copy(url, path)
            alone, _ = bulk_load(alone_url, path, None)
            dedup_port = infra.free_port()
            dedup = start(["--serve", "dedup", "--url", dedup_url, "--port", str(dedup_port)])
            try:
                elapsed, report = bulk_load(url, path, dedup_port)
            finally:
                dedup.terminate()
                dedup.wait(30)
            rate, bare_rate = report.rows_total / elapsed, args.records / baseline
            print(
                f"bulk load into national-query and the national dedup: {report.rows_inserted:,} records "
                f"inserted, {holdings_count(dedup_url):,} holdings, {report.rows_failed} failed in "
                f"{elapsed:.1f} s "
                f"= {rate:,.0f} records/s (target >= 50,000); bare COPY baseline {bare_rate:,.0f} rows/s; "
                f"ratio {rate / bare_rate:.2f}; national-query alone {args.records / alone:,.0f} records/s "
                f"(both/alone {alone / elapsed:.2f})"
            )
            # Both servers run side by side; the clients take turns, round after round, so that a
            # change in the machine's load (it is shared) falls on both alike.
            servers, runs = {}, {"echo": [], "lookup": []}
            try:
                for kind, server_args in (
                    ("echo", ["--serve", "echo"]),
                    ("lookup", ["--serve", "lookup", "--url", url]),
                ):
                    port = infra.free_port()
                    servers[kind] = (start([*server_args, "--port", str(port)]), port)
                for _ in range(args.rounds):
                    for kind, (proc, port) in servers.items():
                        runs[kind].append(
                            measure(kind, port, proc.pid, args.seconds, args.concurrency, sample_file)
                        )
            finally:
                for proc, _ in servers.values():
                    proc.terminate()
                    proc.wait(30)
            rate = lambda run: len(run["latencies"]) / run["elapsed"]  # noqa: E731
            ratios = [rate(lk) / rate(ec) for ec, lk in zip(runs["echo"], runs["lookup"])]
            for kind in runs:
                r = summary(runs[kind])
                print(
                    f"{kind:>6}: {r['rps']:,.0f} calls/s, p50 {r['p50']:.2f} ms, p99 {r['p99']:.2f} ms, "
                    f"{r['errors']} errors ({r['calls']:,} calls, concurrency {args.concurrency}, "
                    f"{args.rounds} x {args.seconds:g} s); server process CPU {r['cpu_us']:.0f} us/call"
                )
            print(f"per-round lookup/echo ratios: {', '.join(f'{x:.2f}' for x in ratios)}")
            echo, lookup = summary(runs["echo"]), summary(runs["lookup"])
            print(
                f"lookup/echo throughput ratio {lookup['rps'] / echo['rps']:.2f} (target >= 0.5); "
                f"lookup p99 {lookup['p99']:.2f} ms (target < 10 ms)"
            )
    finally:
        for u in (url, dedup_url, alone_url):
            infra.drop(u)


if __name__ == "__main__":
    main()
