"""The system lookup's read on PostgreSQL (prepared statements over libpq, rows read from text):
the same records as the unit of work's repository, and a database restart costs no lookup."""

from __future__ import annotations

from nq_support import created, deliver

from xueji.v1 import events_pb2
from xueji_national_query.adapters.lookup_reader import record_reader
from xueji_national_query.domain.lookup import LookupQuery

NUMBER = "33010220150601123X"


def test_the_reader_returns_what_the_repository_returns(runtime):
    created(runtime, name="欧阳\\娜\t娜")
    created(runtime, record_id="r2", national_student_number="L330102201506010001", name="欧阳\\娜\t娜")
    deliver(
        runtime, events_pb2.ProblemRaised(problem_group_id="g1", record_ids=["r1", "r2"]), producer="dedup"
    )
    query = LookupQuery.parse("欧阳\\娜\t娜", NUMBER)
    hashes = query.document_hashes(runtime.settings.hash_key)
    reader = record_reader(runtime)
    try:
        with runtime.uow_factory() as uow:
            expected = uow.records.by_document(query.name, hashes)
            expected_by_number = uow.records.by_student_number(query.name, "L330102201506010001")
        found = reader.by_document(query.name, hashes)
        assert len(found) == 2 and found == expected and all(r.problem for r in found)
        assert [r.changed_at for r in found] == sorted((r.changed_at for r in found), reverse=True)
        assert reader.by_student_number(query.name, "L330102201506010001") == expected_by_number
        assert reader.by_document("欧阳娜娜", hashes) == [] and reader.by_document("欧阳\x00", hashes) == []
    finally:
        reader.close()


def test_connections_cut_by_a_database_restart_are_replaced_without_a_failed_lookup(runtime):
    created(runtime)
    query = LookupQuery.parse("张三", NUMBER)
    hashes = query.document_hashes(runtime.settings.hash_key)
    reader = record_reader(runtime)
    try:
        assert len(reader.by_document("张三", hashes)) == 1  # a connection opens and goes idle
        with runtime.engine.connect() as conn:
            cut = conn.exec_driver_sql(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                "WHERE datname = current_database() AND pid <> pg_backend_pid()"
            ).scalar()
        assert cut >= 1
        assert len(reader.by_document("张三", hashes)) == 1
        assert len(reader.by_student_number("张三", "G" + NUMBER)) == 1
    finally:
        reader.close()


def test_a_lookup_by_document_reads_the_number_first_whatever_the_name(runtime, tmp_path):
    """The statement is planned once for any name: it must not start from the name (the index on
    name, gender and birth date), which for a common name means thousands of rows."""
    import csv

    import psycopg

    from xueji_national_query.adapters.lookup_reader import STATEMENTS
    from xueji_national_query.adapters.pg_connections import SESSION, conninfo
    from xueji_national_query.domain.load_rows import COLUMNS
    from xueji_national_query.service_layer.bulk_load import bulk_load

    path = tmp_path / "records.csv"
    with open(path, "w", encoding="utf-8", newline="") as f:  # 1,000 rare names and 1,000 王伟
        out = csv.writer(f)
        out.writerow([c.header for c in COLUMNS])
        for i in range(2000):
            number = f"3301022015{i:07d}X"
            out.writerow(
                [
                    "G" + number,
                    "王伟" if i % 2 else f"学生{i}",
                    "1",
                    "2015-06-01",
                    "1",
                    number,
                    "330000",
                    "1330102001",
                    "胜利小学",
                    "小学",
                    "在读",
                    "否",
                    "2026-09-01 08:00:00",
                ]
            )
    assert bulk_load(runtime.uow_factory(), path, "csv").rows_inserted == 2000  # analyses the lookup keys
    with psycopg.connect(
        conninfo(runtime.database_url, options=SESSION + " -c enable_seqscan=off"), autocommit=True
    ) as conn:
        conn.pgconn.prepare(b"q", STATEMENTS[b"nq_by_document"])
        plan = "\n".join(r[0] for r in conn.execute("EXPLAIN EXECUTE q('{0a,0b}', '王伟')", prepare=False))
    assert "ix_national_records_document" in plan and "ix_national_records_identity" not in plan
