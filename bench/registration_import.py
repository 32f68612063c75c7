"""Benchmark: Excel import of registration applications on PostgreSQL.

In one run, on the same file:
  raw     python-calamine opening the workbook and iterating every row (the floor of any import),
          best of 3;
  import  service_layer.imports.import_applications: whole-file checks, every cell and rule once,
          duplicate checks per chunk, applications + outbox events + row outcomes stored per chunk
          (COPY), report, one transaction; best of --repeat runs (the tables emptied before each run,
          so that every run does the same work).
Prints rows/s of both and the ratio (target: import at least half the raw read speed), the speed of
the checks and storage alone (import time less raw read time; target: at least the raw read speed),
every run's wall time, and the CPU time next to it: of this process (all its threads) and of the
PostgreSQL backend serving the import (the machine is shared: wall time includes waiting for the
CPU). Then
imports a large file (default 100,000 rows) in a fresh process and prints that process's peak
memory (ru_maxrss) next to the file size and to the memory python-calamine takes to hold the sheet
(it reads a whole sheet before the first row can be iterated), and the Python heap peak of the
import when --tracemalloc is given (slower).

    .venv/bin/python bench/registration_import.py [--rows 10000] [--large 100000] [--repeat 3] [--tracemalloc]
"""
from __future__ import annotations

import argparse
import io
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
import tracemalloc

from python_calamine import CalamineWorkbook
from sqlalchemy import text

from xueji_common.auth import Principal, Role
from xueji_common.config import Settings
from xueji_common.documents import DocumentCategory
from xueji_common.runtime.bootstrap import ServiceRuntime
from xueji_common.testing import infra
from xueji_common.vocabulary import RegistrationKind
from xueji_registration.excel import samples
from xueji_registration.excel.columns import registration_template
from xueji_registration.service_layer.imports import import_applications
from xueji_registration.spec import SPEC

SCHOOL = "1330102001"
TEMPLATE = registration_template(RegistrationKind.NON_PRIMARY_FRESHMAN, DocumentCategory.RESIDENT)
EMPTIED = ("applications", "outbox", "import_rows", "imports")


def make_file(rows: int, first_birth) -> bytes:
    numbers = (n for n, _ in samples.resident_numbers(rows, first_birth=first_birth))
    return samples.workbook(TEMPLATE, samples.student_rows(TEMPLATE, rows, numbers=numbers))


def raw_read(content: bytes) -> float:
    start = time.perf_counter()
    book = CalamineWorkbook.from_filelike(io.BytesIO(content))
    count = sum(1 for _ in book.get_sheet_by_name(TEMPLATE.sheet).iter_rows())
    assert count > 1
    return time.perf_counter() - start


def backend_cpu(pid: int) -> float:
    """CPU seconds of a local PostgreSQL backend (0 when it is not on this machine)."""
    try:
        fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def run_import(rt, content: bytes, progress=None):
    """(report, wall s, CPU s of this process, CPU s of the PostgreSQL backend)."""
    with rt.session_factory() as session:   # the pooled connection the import then gets
        pid = session.execute(text("SELECT pg_backend_pid()")).scalar()
    backend = backend_cpu(pid)
    start, cpu = time.perf_counter(), time.process_time()
    report = import_applications(
        rt.uow_factory(), school_code=SCHOOL, kind=TEMPLATE.kind, category=TEMPLATE.category, file_name="bench.xlsx",
        content=content, request_id="", principal=Principal("bench", Role.SCHOOL_REGISTRAR, SCHOOL), tree=rt.tree,
        hash_key=rt.settings.hash_key, progress=progress)
    return report, time.perf_counter() - start, time.process_time() - cpu, backend_cpu(pid) - backend


def empty(rt) -> None:
    with rt.session_factory() as session:
        session.execute(text(f"TRUNCATE {', '.join(EMPTIED)}"))
        session.commit()


_HOLD_SHEET = """
import io, resource, sys
from python_calamine import CalamineWorkbook
content = sys.stdin.buffer.read()
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
sheet = CalamineWorkbook.from_filelike(io.BytesIO(content)).get_sheet_by_name(sys.argv[1])
print((resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024)
"""


def sheet_memory(content: bytes) -> float:
    """MB python-calamine needs to hold the parsed sheet (peak RSS growth, in a fresh process)."""
    done = subprocess.run([sys.executable, "-c", _HOLD_SHEET, TEMPLATE.sheet], input=content, capture_output=True,
                          check=True)
    return float(done.stdout)


def large_import(url: str, path: str, traced: bool) -> None:
    """In a fresh process (`--large-file`): one import of the file, its figures as JSON on stdout."""
    rt = ServiceRuntime(SPEC, Settings(metrics_port=0), database_url=url)
    try:
        content = open(path, "rb").read()
        before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        if traced:
            tracemalloc.start()
        report, took, cpu, backend = run_import(rt, content)
        heap = tracemalloc.get_traced_memory()[1] / 1e6 if traced else None
        print(json.dumps(dict(rows=report.record.rows_passed, took=took, cpu=cpu, backend=backend, before=before,
                              peak=resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, heap=heap)))
    finally:
        rt.close()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--large", type=int, default=100_000, help="0 to skip")
    parser.add_argument("--repeat", type=int, default=3, help="import runs of the --rows file (the best counts)")
    parser.add_argument("--tracemalloc", action="store_true")
    parser.add_argument("--large-file", nargs=2, metavar=("URL", "PATH"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.large_file:
        return large_import(*args.large_file, args.tracemalloc)
    import datetime as dt

    print(f"load average at start: {os.getloadavg()[0]:.2f} (1 min), {os.cpu_count()} CPUs")
    url = infra.new_database("bench_registration_import")
    rt = ServiceRuntime(SPEC, Settings(metrics_port=0), database_url=url)
    try:
        rt.migrate()
        t0 = time.perf_counter()
        content = make_file(args.rows, dt.date(2010, 1, 1))
        print(f"file: {args.rows} rows × {len(TEMPLATE.columns)} columns, {len(content) / 1e6:.1f} MB "
              f"(generated in {time.perf_counter() - t0:.1f} s)")
        raw_read(content)  # warm-up
        raw = min(raw_read(content) for _ in range(3))
        cpu = time.process_time()
        raw_read(content)
        raw_cpu = time.process_time() - cpu
        runs = []
        for _ in range(max(1, args.repeat)):
            empty(rt)
            report, took, cpu, backend = run_import(rt, content)
            assert report.record.rows_passed == args.rows, report.errors[:3]
            runs.append((took, cpu, backend))
        took, cpu, backend = min(runs)
        print(f"raw calamine read : {args.rows / raw:10,.0f} rows/s  ({raw:.2f} s, best of 3; CPU {raw_cpu:.2f} s)")
        print(f"import (PostgreSQL): {args.rows / took:10,.0f} rows/s  ({took:.2f} s, best of {len(runs)}: "
              f"{', '.join(f'{r[0]:.2f}' for r in runs)} s; CPU of this process {cpu:.2f} s, "
              f"of the PostgreSQL backend {backend:.2f} s)")
        print(f"import / raw       : {raw / took:10.2f}   (target ≥ 0.50; in CPU time: {raw_cpu / cpu:.2f}, "
              f"with the backend's: {raw_cpu / (cpu + backend):.2f})")
        alone = took - raw   # what the import adds to reading the file: checking and storing
        print(f"checks + storage   : {args.rows / alone:10,.0f} rows/s  (import − raw read: {alone:.2f} s; "
              f"raw read / that: {raw / alone:.2f}, target ≥ 1.00, the same target as import / raw ≥ 0.50)")
        print(f"load average at end: {os.getloadavg()[0]:.2f}")
        if args.large:
            big = make_file(args.large, dt.date(2000, 1, 1))
            held = sheet_memory(big)
            with tempfile.NamedTemporaryFile(suffix=".xlsx") as file:
                file.write(big)
                file.flush()
                done = subprocess.run([sys.executable, __file__, "--large-file", url, file.name,
                                       *(["--tracemalloc"] if args.tracemalloc else [])],
                                      capture_output=True, text=True, check=True)
            large = json.loads(done.stdout.strip().splitlines()[-1])
            assert large["rows"] == args.large, large
            print(f"large: {args.large} rows, {len(big) / 1e6:.1f} MB file, imported in {large['took']:.1f} s "
                  f"({args.large / large['took']:,.0f} rows/s; CPU of the importing process {large['cpu']:.1f} s, "
                  f"of the PostgreSQL backend {large['backend']:.1f} s)")
            print(f"  peak RSS of the importing process: {large['peak']:.0f} MB (before the import: "
                  f"{large['before']:.0f} MB; python-calamine holding the sheet alone: {held:.0f} MB)"
                  + (f"; Python heap peak during the import: {large['heap']:.0f} MB" if large["heap"] else ""))
    finally:
        rt.close()
        infra.drop(url)


if __name__ == "__main__":
    main()
