"""The floor of the registration flow (issue 16): the durable work of a county's cohort, from import
to numbered record, done set-based with plain psycopg in one process, so that every run of
e2e_throughput.py can say what fraction of this machine's possible throughput the system reaches.

What it writes is what the system must make durable for each student, with the same indexes that
matter (documents unique per tier, one case per application), nothing of the framework:
  1. applications (form as JSON, keyed hash of the document: HMAC-SHA256 computed here), one
     history row each;
  2. the province's and the nation's reservations of the document (INSERT ... ON CONFLICT DO
     NOTHING: a duplicate gets its own outcome), the population-register check (a join), the
     applications moved on with a history row;
  3. the review cases;
  4. three approvals (school, county, city), each its own transaction with a history row;
  5. the national student numbers (G + the resident ID's keyed hash here, L drawn), the records, the
     national reservations committed, the national lookup's read model, the applications approved.
Batches of 500; each stage of a batch is one transaction (COMMIT with fsync, as configured).

    .venv/bin/python bench/flow_floor.py [--students 10000]
"""

from __future__ import annotations

import argparse
import hashlib
import hmac
import json
import sys
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from xueji_common.testing import infra

BATCH = 500
KEY = b"floor-hash-key-0123456789abcdef"
SCHEMA = """
CREATE TABLE population (doc_hash char(64) PRIMARY KEY, name text NOT NULL, gender smallint NOT NULL,
                         birth date NOT NULL);
CREATE TABLE applications (id uuid PRIMARY KEY, school char(10) NOT NULL, doc_type char(1) NOT NULL,
                           doc_hash char(64), name text NOT NULL, form jsonb NOT NULL, state text NOT NULL,
                           version int NOT NULL);
CREATE TABLE history (application_id uuid NOT NULL, state text NOT NULL,
                      at timestamptz NOT NULL DEFAULT now());
CREATE TABLE province_reservations (doc_type char(1), doc_hash char(64), application_id uuid NOT NULL,
                                    PRIMARY KEY (doc_type, doc_hash));
CREATE TABLE national_reservations (doc_type char(1), doc_hash char(64), application_id uuid NOT NULL,
                                    state text NOT NULL, record_id uuid, PRIMARY KEY (doc_type, doc_hash));
CREATE TABLE review_cases (id uuid PRIMARY KEY, application_id uuid UNIQUE NOT NULL, level smallint NOT NULL,
                           state text NOT NULL);
CREATE TABLE approvals (case_id uuid NOT NULL, level smallint NOT NULL, by_user text NOT NULL,
                        at timestamptz NOT NULL DEFAULT now());
CREATE TABLE records (id uuid PRIMARY KEY, application_id uuid UNIQUE NOT NULL, number text UNIQUE NOT NULL,
                      number_kind char(1) NOT NULL);
CREATE TABLE national_lookup (doc_type char(1), doc_hash char(64), record_id uuid NOT NULL,
                              name text NOT NULL, school char(10) NOT NULL, number text NOT NULL,
                              PRIMARY KEY (doc_type, doc_hash));
"""


def keyed(number: str) -> str:
    return hmac.new(KEY, number.encode(), hashlib.sha256).hexdigest()


def cohort(n: int) -> list[dict]:
    """The students of e2e_throughput's cohort (e2e_data.cohort), with their keyed hashes."""
    import e2e_data

    return [
        {
            "id": str(uuid.uuid4()),
            "school": s.school,
            "type": s.document_type.value,
            "number": s.number,
            "name": s.name,
            "gender": s.gender,
            "birth": s.birth,
            "form": json.dumps(s.form(), ensure_ascii=False),
        }
        for s in e2e_data.cohort(n)
    ]


def seed_population(conn, students: list[dict]) -> None:
    with conn.cursor().copy("COPY population (doc_hash, name, gender, birth) FROM STDIN") as copy:
        for s in students:
            if s["type"] == "1" and s["number"]:
                copy.write_row((keyed(s["number"]), s["name"], s["gender"], s["birth"]))
    conn.commit()


def stage_submit(conn, batch: list[dict]) -> None:
    for s in batch:
        s["hash"] = keyed(s["number"]) if s["number"] else None
    with conn.cursor() as cur:
        with cur.copy(
            "COPY applications (id, school, doc_type, doc_hash, name, form, state, version) FROM STDIN"
        ) as copy:
            for s in batch:
                copy.write_row(
                    (s["id"], s["school"], s["type"], s["hash"], s["name"], s["form"], "submitted", 1)
                )
        cur.execute(
            "INSERT INTO history (application_id, state) SELECT unnest(%s::uuid[]), 'submitted'",
            ([s["id"] for s in batch],),
        )
    conn.commit()


def stage_dedup(conn, batch: list[dict]) -> None:
    ids = [s["id"] for s in batch]
    with conn.cursor() as cur:
        for table in ("province_reservations", "national_reservations"):
            extra = ", 'active'" if table == "national_reservations" else ""
            cols = "doc_type, doc_hash, application_id" + (", state" if extra else "")
            cur.execute(
                f"INSERT INTO {table} ({cols}) SELECT doc_type, doc_hash, id{extra} FROM applications"
                " WHERE id = ANY(%s::uuid[]) AND doc_hash IS NOT NULL ORDER BY doc_hash"
                " ON CONFLICT DO NOTHING",
                (ids,),
            )
        cur.execute(
            "UPDATE applications a SET state = CASE WHEN a.doc_type <> '1' OR p.doc_hash IS NOT NULL"
            " THEN 'awaiting_school_review' ELSE 'dedup_failed' END, version = a.version + 1"
            " FROM applications x LEFT JOIN population p ON p.doc_hash = x.doc_hash"
            " AND p.name = x.name WHERE a.id = x.id AND a.id = ANY(%s::uuid[])",
            (ids,),
        )
        cur.execute(
            "INSERT INTO history (application_id, state) SELECT id, state FROM applications"
            " WHERE id = ANY(%s::uuid[])",
            (ids,),
        )
    conn.commit()


def stage_cases(conn, batch: list[dict]) -> None:
    with conn.cursor() as cur:
        cur.execute(
            "INSERT INTO review_cases (id, application_id, level, state) SELECT gen_random_uuid(), id, 4,"
            " 'waiting' FROM applications WHERE id = ANY(%s::uuid[]) AND state = 'awaiting_school_review'",
            ([s["id"] for s in batch],),
        )
    conn.commit()


def stage_approve(conn, batch: list[dict], level: int, user: str) -> None:
    ids = [s["id"] for s in batch]
    with conn.cursor() as cur:
        cur.execute(
            "WITH c AS (UPDATE review_cases SET level = level - 1 WHERE application_id = ANY(%s::uuid[])"
            " AND state = 'waiting' RETURNING id, application_id)"
            " , a AS (INSERT INTO approvals (case_id, level, by_user) SELECT id, %s, %s FROM c)"
            " INSERT INTO history (application_id, state) SELECT application_id, %s FROM c",
            (ids, level, user, f"approved_{level}"),
        )
    conn.commit()


def stage_numbers(conn, batch: list[dict], serial: list[int]) -> None:
    ids = [s["id"] for s in batch]
    numbers, kinds, records = [], [], []
    for s in batch:
        records.append(str(uuid.uuid4()))
        if s["type"] == "1" and s["hash"]:
            numbers.append("G" + s["hash"][:18])  # G + the resident ID: stored as its keyed hash here
            kinds.append("G")
        else:
            serial[0] += 1
            numbers.append(f"L330102{serial[0]:012d}")
            kinds.append("L")
    with conn.cursor() as cur:
        cur.execute(
            "CREATE TEMP TABLE IF NOT EXISTS due (application_id uuid, record_id uuid, number text,"
            " kind char(1)) ON COMMIT DELETE ROWS"
        )
        with cur.copy("COPY due FROM STDIN") as copy:
            for row in zip(ids, records, numbers, kinds):
                copy.write_row(row)
        cur.execute(
            "INSERT INTO records (id, application_id, number, number_kind) SELECT d.record_id,"
            " d.application_id, d.number, d.kind FROM due d JOIN review_cases c"
            " ON c.application_id = d.application_id AND c.state = 'waiting'"
        )
        cur.execute(
            "UPDATE review_cases SET state = 'approved' WHERE application_id = ANY(%s::uuid[])", (ids,)
        )
        cur.execute(
            "UPDATE national_reservations n SET state = 'committed', record_id = r.id FROM records r, "
            " applications a WHERE r.application_id = a.id AND a.id = ANY(%s::uuid[])"
            " AND n.doc_type = a.doc_type AND n.doc_hash = a.doc_hash",
            (ids,),
        )
        cur.execute(
            "INSERT INTO national_lookup (doc_type, doc_hash, record_id, name, school, number)"
            " SELECT a.doc_type, a.doc_hash, r.id, a.name, a.school, r.number FROM records r JOIN"
            " applications a ON a.id = r.application_id WHERE a.id = ANY(%s::uuid[]) AND a.doc_hash"
            " IS NOT NULL ON CONFLICT DO NOTHING",
            (ids,),
        )
        cur.execute(
            "UPDATE applications SET state = 'approved', version = version + 1 FROM records r"
            " WHERE r.application_id = applications.id AND applications.id = ANY(%s::uuid[])",
            (ids,),
        )
        cur.execute(
            "INSERT INTO history (application_id, state) SELECT application_id, 'approved' FROM records"
            " WHERE application_id = ANY(%s::uuid[])",
            (ids,),
        )
    conn.commit()


def run(students: list[dict], url: str) -> dict:
    """The floor on a fresh database at `url`: seconds and CPU seconds (this process; PostgreSQL's
    backend), for every stage of every batch."""
    import psycopg

    with psycopg.connect(url.replace("postgresql+psycopg", "postgresql")) as conn:
        conn.execute(SCHEMA)
        conn.commit()
        seed_population(conn, students)
        backend = conn.execute("SELECT pg_backend_pid()").fetchone()[0]
        pg0, cpu0, t0 = _backend_cpu(backend), time.process_time(), time.perf_counter()
        batches = [students[i : i + BATCH] for i in range(0, len(students), BATCH)]
        serial = [0]
        for batch in batches:
            stage_submit(conn, batch)
            stage_dedup(conn, batch)
            stage_cases(conn, batch)
            for level, user in ((4, "school-leader"), (3, "county-registrar"), (2, "city-registrar")):
                stage_approve(conn, batch, level, user)
            stage_numbers(conn, batch, serial)
        seconds = time.perf_counter() - t0
        numbered = conn.execute("SELECT count(*) FROM records").fetchone()[0]
        return {
            "seconds": seconds,
            "numbered": numbered,
            "cpu_client": time.process_time() - cpu0,
            "cpu_postgres": _backend_cpu(backend) - pg0,
        }


def _backend_cpu(pid: int) -> float:
    """CPU seconds of one PostgreSQL backend (it runs on this machine)."""
    import os

    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def measure(n: int) -> dict:
    infra.check_postgres()
    students = cohort(n)
    url = infra.new_database("xueji_bench_floor")
    try:
        result = run(students, url)
    finally:
        infra.drop(url)
    result["students"] = n
    result["students_per_second"] = n / result["seconds"]
    result["cpu_ms_per_student"] = (result["cpu_client"] + result["cpu_postgres"]) * 1000 / n
    return result


def report(r: dict) -> None:
    print(
        f"floor: {r['students']:,} students, {r['numbered']:,} numbered, in {r['seconds']:.1f} s = "
        f"{r['students_per_second']:,.0f} students/s; CPU {r['cpu_ms_per_student']:.2f} ms per student "
        f"(this process {r['cpu_client']:.1f} s, PostgreSQL {r['cpu_postgres']:.1f} s)"
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--students", type=int, default=10_000)
    report(measure(parser.parse_args().students))


if __name__ == "__main__":
    main()
