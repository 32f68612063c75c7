"""The figures of each benchmark, read from its output (the per-service scripts print them; the
end-to-end script also writes JSON): one Figure per row of the runner's table."""

from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass
class Figure:
    name: str
    value: float | None = None
    unit: str = ""
    baseline: float | None = None
    baseline_what: str = ""
    target: str = ""
    met: bool | None = None
    ratio: float | None = None  # value / baseline unless given

    def __post_init__(self) -> None:
        if self.ratio is None and self.value is not None and self.baseline:
            self.ratio = self.value / self.baseline

    def cells(self) -> tuple[str, ...]:
        value = f"{_num(self.value)} {self.unit}" if self.value is not None else "-"
        baseline = f"{_num(self.baseline)} {self.baseline_what}" if self.baseline is not None else "-"
        ratio = f"{self.ratio:.3g}" if self.ratio is not None else "-"
        met = {True: "yes", False: "NO", None: "-"}[self.met]
        return self.name, value, baseline, ratio, self.target or "-", met


def _num(x: float) -> str:
    if abs(x) >= 1000:
        return f"{x:,.0f}"
    return f"{x:.3g}" if abs(x) < 10 else f"{x:.1f}"


def _find(pattern: str, text: str) -> tuple[float, ...]:
    m = re.search(pattern, text)
    if not m:
        raise ValueError(f"not in the output: {pattern}")
    return tuple(float(g.replace(",", "")) for g in m.groups())


NUM = r"([\d,]+(?:\.\d+)?)"


def registration(out: str, _json) -> list[Figure]:
    (raw,) = _find(rf"raw calamine read\s*:\s*{NUM} rows/s", out)
    (imp,) = _find(rf"import \(PostgreSQL\)\s*:\s*{NUM} rows/s", out)
    rows = [
        Figure(
            "registration: Excel import, 10,000 rows",
            imp,
            "rows/s",
            raw,
            "rows/s raw calamine read",
            "≥ 0.5 × raw",
            imp / raw >= 0.5,
        )
    ]
    (alone,) = _find(rf"checks \+ storage\s*:\s*{NUM} rows/s", out)
    rows.append(
        Figure(
            "registration: checks + storage alone (import − raw read)",
            alone,
            "rows/s",
            raw,
            "rows/s raw calamine read",
            "-",
            None,
        )
    )
    if "large:" in out:
        n, size, _took = _find(rf"large: {NUM} rows, {NUM} MB file, imported in {NUM} s", out)
        (peak,) = _find(rf"peak RSS of the importing process: {NUM} MB", out)
        rows.append(
            Figure(
                f"registration: import of {n:,.0f} rows, peak RSS",
                peak,
                "MB",
                size,
                "MB file",
                "flat in file size",
            )
        )
    for name, size, extra in re.findall(
        rf"hostile: (.+?): {NUM} MB (?:file|written)\b.*?\+{NUM} MB over", out
    ):
        value = float(extra.replace(",", ""))
        rows.append(
            Figure(
                f"registration: hostile workbook, {name}: peak RSS above the start",
                value,
                "MB",
                float(size.replace(",", "")),
                "MB file",
                "≤ 256 MB",
                value <= 256,
            )
        )
    return rows


def dedup(out: str, _json) -> list[Figure]:
    rr, r50, r99 = _find(rf"raw\s+{NUM} checks/s\s+p50\s+{NUM} ms\s+p99\s+{NUM} ms", out)
    gr, g50, g99 = _find(rf"grpc\s+{NUM} checks/s\s+p50\s+{NUM} ms\s+p99\s+{NUM} ms", out)
    (n,) = _find(rf"loaded {NUM} identities", out)
    return [
        Figure(
            f"dedup: CheckDocument p99 ({n:,.0f} identities)",
            g99,
            "ms",
            r99,
            "ms raw SQL p99",
            "< 5 ms",
            g99 < 5,
        ),
        Figure("dedup: CheckDocument p50", g50, "ms", r50, "ms raw SQL p50", "≤ 3 × raw", g50 / r50 <= 3),
        Figure("dedup: CheckDocument, sequential", gr, "checks/s", rr, "checks/s raw SQL"),
        *_batch_check(out, r50),
    ]


def _batch_check(out: str, raw50: float) -> list[Figure]:
    found = re.search(rf"batch\s+{NUM} checks/s\s+p50\s+{NUM} ms", out)
    if not found:
        return []
    per_document = float(found.group(2).replace(",", ""))
    return [
        Figure(
            "dedup: CheckDocuments (500 a call), per document p50",
            per_document,
            "ms",
            raw50,
            "ms raw single lookup p50",
            "≤ 0.5 × raw",
            per_document / raw50 <= 0.5,
        )
    ]


def review(out: str, _json) -> list[Figure]:
    (single,) = _find(rf"single approve \(median of \d+\):\s*{NUM} ms per case", out)
    n, batch = _find(rf"approve all of {NUM} cases:\s*{NUM} s total", out)
    one_by_one = single / 1000 * n
    return [
        Figure(
            f"review: approve all of {n:,.0f} cases",
            batch,
            "s",
            one_by_one,
            "s one by one (median × n)",
            "< 3 s",
            batch < 3,
        )
    ]


def national_query(out: str, _json) -> list[Figure]:
    rate, bare = _find(rf"= {NUM} records/s \(target >= 50,000\); bare COPY baseline {NUM} rows/s", out)
    (inserted,) = _find(rf"bulk load: {NUM} inserted", out)
    e_rps, _e50, e99 = _find(rf"echo: {NUM} calls/s, p50 {NUM} ms, p99 {NUM} ms", out)
    l_rps, _l50, l99 = _find(rf"lookup: {NUM} calls/s, p50 {NUM} ms, p99 {NUM} ms", out)
    return [
        Figure(
            f"national-query: bulk load of {inserted:,.0f} records",
            rate,
            "records/s",
            bare,
            "rows/s bare COPY",
            "≥ 50,000/s",
            rate >= 50_000,
        ),
        Figure(
            "national-query: LookupStudent over gRPC",
            l_rps,
            "calls/s",
            e_rps,
            "calls/s gRPC echo",
            "≥ 0.5 × echo",
            l_rps / e_rps >= 0.5,
        ),
        Figure("national-query: LookupStudent p99", l99, "ms", e99, "ms echo p99", "< 10 ms", l99 < 10),
    ]


def e2e(out: str, data) -> list[Figure]:
    if data is None:
        raise ValueError("no JSON written")
    rows = []
    n, raw, raw_rate = data["students"], data["raw_read_seconds"], data["raw_rows_per_second"]
    target = 60.0 * n / 10_000
    for mode, r in data["modes"].items():
        what = f"end to end, {mode}" + (f" ({r['replicas']} workers)" if r.get("replicas", 1) > 1 else "")
        if r.get("worker_restarts"):
            what += f" [{r['worker_restarts']} hung workers restarted]"
        if not r["complete"]:
            rows.append(
                Figure(
                    f"{what}: INCOMPLETE, {r['numbered']:,} of {n:,} numbered",
                    target=f"< {target:.0f} s",
                    met=False,
                )
            )
            continue
        rows += [
            Figure(
                f"{what}: {n:,} students, import → last number",
                r["last_number_seconds"],
                "s",
                raw,
                "s raw read of the files",
                f"< {target:.0f} s",
                r["last_number_seconds"] < target,
            ),
            Figure(
                f"{what}: throughput",
                r["students_per_second"],
                "students/s",
                raw_rate,
                "rows/s raw read",
                "≥ 167/s",
                r["students_per_second"] >= 10_000 / 60,
            ),
            Figure(
                f"{what}: CPU per student, Xueji processes",
                r["cpu_ms_per_student"],
                "ms",
                r.get("postgres_cpu_ms_per_student") if mode == "production" else None,
                "ms PostgreSQL",
                f"(machine {r['machine_busy']:.0%} busy)",
            ),
        ]
        if "floor" in data:
            floor = data["floor"]
            ratio = r["students_per_second"] / floor["students_per_second"]
            rows.append(
                Figure(
                    f"{what}: throughput against the set-based floor",
                    r["students_per_second"],
                    "students/s",
                    floor["students_per_second"],
                    "students/s floor (bench/flow_floor.py)",
                    "≥ 0.06 ×",
                    ratio >= 0.06,
                )
            )
    return rows


def accounts(out: str, _json) -> list[Figure]:
    (a50, a99) = _find(rf"argon2\s+n=\s*\d+\s+p50\s+{NUM} ms\s+p99\s+{NUM} ms", out)
    (s50, s99) = _find(rf"signin\s+n=\s*\d+\s+p50\s+{NUM} ms\s+p99\s+{NUM} ms", out)
    (_c50, c99) = _find(rf"signin x\d+\s+n=\s*\d+\s+p50\s+{NUM} ms\s+p99\s+{NUM} ms", out)
    return [
        Figure(
            "accounts: SignIn p99, sequential", s99, "ms", a99, "ms argon2 verify p99", "< 300 ms", s99 < 300
        ),
        Figure(
            "accounts: SignIn p99, 4 threads", c99, "ms", a99, "ms argon2 verify p99", "< 300 ms", c99 < 300
        ),
        Figure("accounts: SignIn p50", s50, "ms", a50, "ms argon2 verify p50"),
    ]


def console(out: str, _json) -> list[Figure]:
    (rate,) = _find(rf"worklist page, \d+ users, [\d,]+ cases:\s*{NUM} pages/s", out)
    (server95,) = _find(rf"server time \(Server-Timing\) p95\s+{NUM} ms", out)
    grpc_rate, grpc95 = _find(rf"ListPendingCases direct, \d+ threads:\s*{NUM} calls/s\s+p95\s+{NUM} ms", out)
    return [
        Figure(
            "console: 学校审核 worklist page, 20 users",
            rate,
            "pages/s",
            grpc_rate,
            "calls/s ListPendingCases",
            "≥ 0.5 × gRPC",
            rate / grpc_rate >= 0.5,
        ),
        Figure(
            "console: worklist server time p95",
            server95,
            "ms",
            grpc95,
            "ms ListPendingCases p95",
            "< 200 ms",
            server95 < 200,
        ),
    ]


PARSERS = {
    "accounts": accounts,
    "console": console,
    "registration": registration,
    "dedup": dedup,
    "review": review,
    "national-query": national_query,
    "e2e": e2e,
}
