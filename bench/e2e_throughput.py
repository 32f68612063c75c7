"""End-to-end throughput: a county's cohort from Excel import to numbered record (学籍号), with
"approve all" at every level, in production mode (separate processes, PostgreSQL, RabbitMQ) and in
embedded mode (one process, SQLite). See e2e_data.py for the cohort and e2e_driver.py for the flow.

Prints, per mode, students per second and the seconds from the first upload to the last number,
next to the baselines measured in the same run: python-calamine reading every workbook of the run
(the floor of any import) and flow_floor.py (the flow's durable work, set-based: the system's
throughput as a fraction of it). Targets: 10,000 students in under 60 s, >= 0.06 x the floor.

    .venv/bin/python bench/e2e_throughput.py [--students 10000] [--modes production,embedded]
        [--replicas 2] [--concurrency 4] [--json out.json]

--replicas: worker processes each for registration, review and dedup in production mode
(e2e_systems.BUSY); --concurrency: handlers at once per worker process (XUEJI_WORKER_CONCURRENCY; 0,
the default: each service's own). Also prints where the events wait every 5 s, and the CPU seconds
each process used. bench/e2e_profile.py profiles one worker's handlers.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import e2e_data
import e2e_driver
import e2e_systems
import flow_floor

TARGET_SECONDS_PER_10K = 60.0


def measure(
    mode: str, students: list, files: e2e_data.Files, timeout: float, replicas: int, concurrency: int = 0
) -> dict:
    start = getattr(e2e_systems, mode)
    t0 = time.perf_counter()
    with start(students, replicas, concurrency) as system:
        print(f"{mode}: {system.processes} processes up and seeded in {time.perf_counter() - t0:.1f} s")
        county = e2e_driver.County(system.registration, system.review, system.tokens)
        before, busy_before, pg_before = system.cpu(), machine_busy(), postgres_cpu()
        counts_before = system.counts()
        try:
            t = e2e_driver.run(
                county, files, len(students), system.progress, timeout=timeout, backlog=system.backlog
            )
        finally:
            county.close()
        after, busy_after = system.cpu(), machine_busy()
        drained = drain(system)  # the events still queued at the last number (steps shown, projections)
        counts_after, cpu_drained = system.counts(), system.cpu()
        restarts = getattr(system.backlog, "restarts", 0)
    cpu = {name: round(after[name] - before.get(name, 0.0), 1) for name in after}
    ours, machine = sum(cpu.values()), busy_after[0] - busy_before[0]
    pg = postgres_cpu() - pg_before
    share = machine / (busy_after[1] - busy_before[1])
    print(
        f"  CPU seconds during the run: Xueji processes {ours:.0f} s ({ours / len(students) * 1000:.0f} "
        f"ms per student), PostgreSQL {pg:.0f} s, the whole machine {machine:.0f} s ({share:.0%} busy); "
        "per process "
        f"{dict(sorted(cpu.items(), key=lambda kv: -kv[1]))}"
    )
    flow = per_student(counts_before, counts_after, len(students))
    drained_ms = sum(cpu_drained[n] - before.get(n, 0.0) for n in cpu_drained) / len(students) * 1000
    if flow:
        print(
            f"  queues drained {drained:.1f} s after the last number: Xueji processes {drained_ms:.0f} ms of "
            "CPU per student in all"
        )
    if flow:
        print(
            f"  per student: {flow['published']:.2f} events published, {flow['handled']:.2f} handled "
            f"in {flow['messages']:.2f} bus messages, "
            f"{flow['commits']:.1f} transactions committed and {flow['rollbacks']:.1f} rolled back "
            "(every service database); published by type "
            f"{flow['published_by_type']}, handled by type {flow['handled_by_type']}"
        )
    total = t.seconds(t.last_number)
    return {
        "mode": mode,
        "replicas": replicas if mode == "production" else 1,
        "concurrency": concurrency,
        "students": len(students),
        "numbered": t.numbered,
        "complete": bool(t.last_number),
        "import_seconds": t.seconds(t.imported),
        "first_number_seconds": t.seconds(t.first_number),
        "last_number_seconds": total,
        "students_per_second": len(students) / total if t.last_number else 0.0,
        "passes": t.passes,
        "worker_restarts": restarts,
        "cpu_seconds": cpu,
        "cpu_ms_per_student": ours / len(students) * 1000,
        "machine_busy": share,
        "postgres_cpu_ms_per_student": pg / len(students) * 1000,
        "flow_per_student": flow,
        "cpu_ms_per_student_drained": drained_ms,
        "decisions": t.approved,
        "states": t.states,
    }


def drain(system, timeout: float = 180.0) -> float:
    """Seconds until no worker queue holds a message and the inboxes stop growing (production;
    embedded has no queues). A batch being handled is no longer "ready" on its queue: the inboxes
    show when its handler committed."""
    t0 = time.perf_counter()
    handled = -1
    while time.perf_counter() - t0 < timeout:
        if not any(system.backlog().values()):
            now_handled = sum(system.counts().get("handled", {}).values())
            if now_handled == handled:
                break
            handled = now_handled
        time.sleep(1.0)
    return time.perf_counter() - t0


def per_student(before: dict, after: dict, n: int) -> dict:
    """Events published and handled and transactions per student during the run (production mode)."""
    if not after:
        return {}

    def by_type(key: str) -> dict[str, float]:
        was = before.get(key, {})
        return {
            t: round((c - was.get(t, 0)) / n, 2) for t, c in sorted(after[key].items()) if c > was.get(t, 0)
        }

    published, handled = by_type("published"), by_type("handled")
    return {
        "published": sum(published.values()),
        "handled": sum(handled.values()),
        "messages": (after.get("messages", 0) - before.get("messages", 0)) / n,
        "commits": (after["commits"] - before["commits"]) / n,
        "rollbacks": (after["rollbacks"] - before["rollbacks"]) / n,
        "published_by_type": published,
        "handled_by_type": handled,
    }


def machine_busy() -> tuple[float, float]:
    """(busy, total) CPU seconds of the whole machine so far, every user's processes (/proc/stat)."""
    fields = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = fields[3] + fields[4]
    return (sum(fields) - idle) / os.sysconf("SC_CLK_TCK"), sum(fields) / os.sysconf("SC_CLK_TCK")


def postgres_cpu() -> float:
    """CPU seconds of the PostgreSQL server so far: its live processes, plus the backends that
    already exited (counted in the postmaster's children time). Every database's, other users' too."""
    total = 0.0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            text = stat.read_text()
        except OSError:
            continue
        if "(postgres)" not in text:
            continue
        f = text.rsplit(")", 1)[1].split()
        total += int(f[11]) + int(f[12])
        if (
            f[1] == "1"
            or not Path(f"/proc/{f[1]}/stat").exists()
            or "(postgres)" not in Path(f"/proc/{f[1]}/stat").read_text()
        ):
            total += int(f[13]) + int(f[14])  # the postmaster: its reaped children
    return total / os.sysconf("SC_CLK_TCK")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--students", type=int, default=10_000)
    parser.add_argument("--modes", default="production,embedded")
    parser.add_argument("--timeout", type=float, default=900.0, help="seconds per mode before giving up")
    parser.add_argument(
        "--replicas",
        type=int,
        default=1,
        help="worker processes of registration, review and dedup (production)",
    )
    parser.add_argument(
        "--concurrency",
        type=int,
        default=0,
        help="handlers at once per worker process (production; 0: each service's default)",
    )
    parser.add_argument("--json", help="write the figures to this file")
    args = parser.parse_args()
    print(f"load average at start: {os.getloadavg()[0]:.2f} (1 min), {os.cpu_count()} CPUs")
    t0 = time.perf_counter()
    students = e2e_data.cohort(args.students)
    files = e2e_data.files(students)
    print(
        f"cohort of {len(students):,} students in {len(e2e_data.SCHOOLS)} schools of {e2e_data.COUNTY}, "
        f"{len(files.manual)} without a document; files built in {time.perf_counter() - t0:.1f} s"
    )
    e2e_data.raw_read_seconds(files)  # warm-up
    raw = min(e2e_data.raw_read_seconds(files) for _ in range(3))
    rows = len(students) - len(files.manual)
    print(f"baseline: raw calamine read of every workbook: {rows / raw:,.0f} rows/s ({raw:.2f} s)")
    results = {
        "students": len(students),
        "raw_read_seconds": raw,
        "raw_rows_per_second": rows / raw,
        "modes": {},
    }
    floor = flow_floor.measure(len(students))  # the same cohort's durable work, set-based (issue 16)
    flow_floor.report(floor)
    results["floor"] = floor
    for mode in args.modes.split(","):
        r = measure(mode, students, files, args.timeout, args.replicas, args.concurrency)
        results["modes"][mode] = r
        target = TARGET_SECONDS_PER_10K * len(students) / 10_000
        print(
            f"{mode:>10}: {r['worker_restarts']} hung workers restarted; {r['students_per_second']:8.1f} "
            f"students/s; import {r['import_seconds']:.1f} s, "
            f"first number {r['first_number_seconds']:.1f} s, last number {r['last_number_seconds']:.1f} s "
            f"(target < {target:.0f} s: "
            f"{'met' if r['complete'] and r['last_number_seconds'] < target else 'NOT met'}); "
            f"raw read / end-to-end time {raw / r['last_number_seconds']:.4f}; "
            f"{r['students_per_second'] / floor['students_per_second']:.4f} x the floor's throughput"
        )
    results["load_average_end"] = os.getloadavg()[0]
    print(f"load average at end: {results['load_average_end']:.2f}")
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=1, default=str))


if __name__ == "__main__":
    main()
