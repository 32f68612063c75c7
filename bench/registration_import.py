"""Benchmark: Excel import of registration applications on PostgreSQL.

In one run, on the same file:
  raw     python-calamine opening the workbook and iterating every row (the floor of any import);
  import  service_layer.imports.import_applications: whole-file checks, every cell and rule once,
          duplicate checks per chunk, applications + outbox events + row outcomes stored per chunk
          (COPY), report, one transaction.
Prints rows/s of both and the ratio (target: import at least half the raw read speed), and the CPU
time of the import next to its wall time (the machine is shared: wall time includes waiting for the
CPU and for PostgreSQL). Then imports a large file (default 100,000 rows) and prints the peak memory
of the process (ru_maxrss) next to the file size and to the memory python-calamine takes to hold
the sheet (it reads a whole sheet before the first row can be iterated), and the Python heap peak
of the import when --tracemalloc is given (slower).

    .venv/bin/python bench/registration_import.py [--rows 10000] [--large 100000] [--tracemalloc]
"""
from __future__ import annotations

import argparse
import io
import resource
import subprocess
import sys
import time
import tracemalloc

from python_calamine import CalamineWorkbook

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


def make_file(rows: int, first_birth) -> bytes:
    numbers = (n for n, _ in samples.resident_numbers(rows, first_birth=first_birth))
    return samples.workbook(TEMPLATE, samples.student_rows(TEMPLATE, rows, numbers=numbers))


def raw_read(content: bytes) -> float:
    start = time.perf_counter()
    book = CalamineWorkbook.from_filelike(io.BytesIO(content))
    count = sum(1 for _ in book.get_sheet_by_name(TEMPLATE.sheet).iter_rows())
    assert count > 1
    return time.perf_counter() - start


def run_import(rt, content: bytes, progress=None):
    start, cpu = time.perf_counter(), time.process_time()
    report = import_applications(
        rt.uow_factory(), school_code=SCHOOL, kind=TEMPLATE.kind, category=TEMPLATE.category, file_name="bench.xlsx",
        content=content, request_id="", principal=Principal("bench", Role.SCHOOL_REGISTRAR, SCHOOL), tree=rt.tree,
        hash_key=rt.settings.hash_key, progress=progress)
    run_import.cpu = time.process_time() - cpu
    return report, time.perf_counter() - start


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


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--large", type=int, default=100_000, help="0 to skip")
    parser.add_argument("--tracemalloc", action="store_true")
    args = parser.parse_args()
    import datetime as dt

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
        report, took = run_import(rt, content)
        assert report.record.rows_passed == args.rows, report.errors[:3]
        print(f"raw calamine read : {args.rows / raw:10,.0f} rows/s  ({raw:.2f} s)")
        print(f"import (PostgreSQL): {args.rows / took:10,.0f} rows/s  ({took:.2f} s; CPU of this process "
              f"{run_import.cpu:.2f} s = {args.rows / run_import.cpu:,.0f} rows/s)")
        print(f"import / raw       : {raw / took:10.2f}   (target ≥ 0.50)")
        if args.large:
            big = make_file(args.large, dt.date(2000, 1, 1))
            held = sheet_memory(big)
            before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
            if args.tracemalloc:
                tracemalloc.start()
            report, took = run_import(rt, big)
            heap = tracemalloc.get_traced_memory()[1] / 1e6 if args.tracemalloc else None
            peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
            assert report.record.rows_passed == args.large, report.errors[:3]
            print(f"large: {args.large} rows, {len(big) / 1e6:.1f} MB file, imported in {took:.1f} s "
                  f"({args.large / took:,.0f} rows/s; CPU of this process {run_import.cpu:.1f} s)")
            print(f"  peak RSS of the process: {peak:.0f} MB (before the large import: {before:.0f} MB; "
                  f"python-calamine holding the sheet alone: {held:.0f} MB)"
                  + (f"; Python heap peak during the import: {heap:.0f} MB" if heap else ""))
    finally:
        rt.close()
        infra.drop(url)


if __name__ == "__main__":
    main()
