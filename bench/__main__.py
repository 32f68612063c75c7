"""Every benchmark of the project in one run, and one table of its figures.

    .venv/bin/python -m bench [--students 2000] [--replicas 2] [--only e2e,dedup,...] [--full]

Runs each benchmark script as its own process (as a person would, one after the other, so that they
do not compete for the machine), with sizes that keep the whole run around 15 minutes on a 2-core
machine (--full: the scripts' own sizes — 1,000,000 identities and records, 100,000-row import,
10,000 students end to end — which takes much longer). Each script prints its figure next to a
baseline it measures in the same run; this collects them (from their output, or the end-to-end
script's --json) into: figure, value, baseline, ratio, target, met?. The scripts' own output goes
to the console as they run; the load average of the machine is printed at the start and the end.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.figures import PARSERS, Figure

HERE = Path(__file__).resolve().parent


def benchmarks(args) -> list[tuple[str, list[str]]]:
    full = args.full
    e2e = [
        "--students",
        str(10_000 if full else args.students),
        "--replicas",
        str(args.replicas),
        "--timeout",
        "1800",
    ]
    return [
        ("registration", ["registration_import.py", "--rows", "10000", "--large", "100000" if full else "0"]),
        ("dedup", ["dedup_check.py", *([] if full else ["--identities", "200000", "--checks", "2000"])]),
        ("review", ["review_approve_all.py", "--cases", "10000", "--singles", "100"]),
        (
            "national-query",
            ["national_query_lookup.py", *([] if full else ["--records", "200000", "--seconds", "5"])],
        ),
        ("e2e", ["e2e_throughput.py", *e2e]),
        ("accounts", ["accounts_sign_in.py", "--users", "40", "--rounds", "5"]),
        ("console", ["console_worklist.py", "--cases", "2000", "--users", "20", "--seconds", "15"]),
    ]


def run_one(name: str, argv: list[str], json_path: Path, timeout: float) -> tuple[str, float, str]:
    cmd = [sys.executable, str(HERE / argv[0]), *argv[1:]]
    if name == "e2e":
        cmd += ["--json", str(json_path)]
    print(f"\n=== {name}: {' '.join(Path(c).name if i < 2 else c for i, c in enumerate(cmd))}", flush=True)
    started = time.perf_counter()
    lines = []
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, cwd=HERE.parent)
    try:
        for line in proc.stdout:
            print("  | " + line.rstrip(), flush=True)
            lines.append(line)
            if time.perf_counter() - started > timeout:
                proc.kill()
                lines.append(f"killed after {timeout:.0f} s\n")
                break
    finally:
        proc.wait()
    status = "ok" if proc.returncode == 0 else f"exit {proc.returncode}"
    return "".join(lines), time.perf_counter() - started, status


def table(rows: list[Figure]) -> str:
    head = ("figure", "value", "baseline (same run)", "ratio", "target", "met?")
    cells = [head] + [r.cells() for r in rows]
    widths = [max(_width(c[i]) for c in cells) for i in range(len(head))]
    out = []
    for n, c in enumerate(cells):
        out.append(" | ".join(_pad(v, widths[i]) for i, v in enumerate(c)))
        if n == 0:
            out.append("-+-".join("-" * w for w in widths))
    return "\n".join(out)


def _width(text: str) -> int:  # CJK characters take two columns in a terminal
    return sum(2 if ord(ch) > 0x2E80 else 1 for ch in text)


def _pad(text: str, width: int) -> str:
    return text + " " * (width - _width(text))


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench")
    parser.add_argument("--students", type=int, default=2000, help="end-to-end cohort size (default 2,000)")
    parser.add_argument("--replicas", type=int, default=2, help="registration and dedup workers (production)")
    parser.add_argument(
        "--only", help="comma-separated names: registration,dedup,review,national-query,e2e,accounts"
    )
    parser.add_argument("--full", action="store_true", help="the scripts' own, larger sizes")
    parser.add_argument("--timeout", type=float, default=3600.0, help="seconds per benchmark")
    parser.add_argument("--json", help="also write the table's rows to this file")
    args = parser.parse_args()
    chosen = set(args.only.split(",")) if args.only else None
    print(f"load average at start: {' '.join(f'{x:.2f}' for x in os.getloadavg())}; {os.cpu_count()} CPUs")
    rows: list[Figure] = []
    elapsed: dict[str, float] = {}
    with tempfile.TemporaryDirectory() as folder:
        for name, argv in benchmarks(args):
            if chosen and name not in chosen:
                continue
            json_path = Path(folder) / f"{name}.json"
            output, took, status = run_one(name, argv, json_path, args.timeout)
            elapsed[name] = took
            try:
                found = PARSERS[name](
                    output, json.loads(json_path.read_text()) if json_path.exists() else None
                )
            except Exception as exc:
                found = [Figure(f"{name}: no figures ({status}: {exc.__class__.__name__}: {exc})")]
            rows += found if status == "ok" else [Figure(f"{name}: failed ({status})"), *found]
    load = " ".join(f"{x:.2f}" for x in os.getloadavg())
    print(
        f"\nload average at end: {load}; seconds per benchmark: "
        + ", ".join(f"{k} {v:.0f}" for k, v in elapsed.items())
    )
    print("\n" + table(rows))
    if args.json:
        Path(args.json).write_text(json.dumps([r.__dict__ for r in rows], ensure_ascii=False, indent=1))


if __name__ == "__main__":
    main()
