"""Bulk load of national records: CSV and Excel, PostgreSQL (COPY) and SQLite, over gRPC."""

from __future__ import annotations

import csv

import grpc
import openpyxl
import pytest
from nq_support import created
from sqlalchemy import func, select

from xueji.v1 import national_query_pb2 as nq
from xueji.v1 import national_query_pb2_grpc
from xueji_common.auth import Role
from xueji_common.config import Settings
from xueji_common.datakeys import is_encrypted
from xueji_common.grpcserver.errors import field_violations
from xueji_common.hashing import document_hash, loaded_record_id, student_number_hash
from xueji_common.runtime.bootstrap import ServiceRuntime
from xueji_dedup.adapters.tables import national_records as holdings
from xueji_national_query.adapters.number_keys import rehash_numbers
from xueji_national_query.adapters.tables import national_records
from xueji_national_query.domain.load_rows import COLUMNS
from xueji_national_query.service_layer import bulk_load as bulk_load_module
from xueji_national_query.service_layer.bulk_load import bulk_load
from xueji_national_query.spec import SPEC

HEADER = [c.header for c in COLUMNS]


def line(n, name="张三", changed="2026-09-01 08:00:00", **kw):
    number = f"3301022015060{n:04d}"
    number += "0123456789X"[n % 11]  # not a valid check digit: loaded anyway
    values = dict(
        zip(
            [c.field for c in COLUMNS],
            [
                "G" + number,
                name,
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
                changed,
            ],
        )
    )
    values.update(kw)
    return [values[c.field] for c in COLUMNS]


def write_csv(path, rows, header=HEADER):
    with open(path, "w", encoding="utf-8", newline="") as f:
        csv.writer(f).writerows([header, *rows])
    return path


def count(rt) -> int:
    with rt.session_factory() as s:
        return s.execute(select(func.count()).select_from(national_records)).scalar_one()


@pytest.fixture(params=["postgresql", "sqlite"])
def any_runtime(request, tmp_path):
    if request.param == "postgresql":
        yield request.getfixturevalue("runtime")
        return
    rt = ServiceRuntime(SPEC, Settings(), database_url=f"sqlite:///{tmp_path / 'nq.db'}")
    rt.migrate()
    yield rt
    rt.close()


def test_good_rows_load_and_bad_rows_are_reported(any_runtime, tmp_path):
    rows = [line(i) for i in range(1, 6)] + [line(6, gender="9"), line(1)]
    progress = []
    report = bulk_load(
        any_runtime.uow_factory(),
        write_csv(tmp_path / "a.csv", rows),
        "csv",
        progress=lambda done, total: progress.append((done, total)),
    )
    assert (report.rows_total, report.rows_inserted, report.rows_updated, report.rows_failed) == (7, 5, 0, 2)
    assert [(e.row_number, e.column, e.message) for e in report.errors] == [
        (7, "性别", "性别应为1（男）或2（女）"),
        (8, "全国学籍号", "全国学籍号与第2行重复"),
    ]
    assert progress[-1] == (7, 7)
    assert count(any_runtime) == 5
    with any_runtime.uow_factory() as uow:
        number = line(1)[5]
        [found] = uow.records.by_document("张三", [document_hash(any_runtime.settings.hash_key, "1", number)])
    assert found.document_masked == number[:3] + "*" * 11 + number[-4:]


def test_a_reload_updates_only_records_changed_later(any_runtime, tmp_path):
    bulk_load(any_runtime.uow_factory(), write_csv(tmp_path / "a.csv", [line(1), line(2)]), "csv")
    later = [
        line(1, name="张叁", changed="2026-10-01 08:00:00"),
        line(2, name="旧", changed="2026-01-01"),
        line(3),
    ]
    report = bulk_load(any_runtime.uow_factory(), write_csv(tmp_path / "b.csv", later), "csv")
    assert (report.rows_inserted, report.rows_updated) == (1, 1)
    with any_runtime.uow_factory() as uow:
        names = sorted(r.name for r in uow.records.by_student_number("张叁", line(1)[0]))
        kept = uow.records.by_student_number("张三", line(2)[0])
    assert names == ["张叁"] and len(kept) == 1


def test_the_same_file_loaded_again_after_a_key_rotation_takes_the_new_hashes(any_runtime, tmp_path):
    path = write_csv(tmp_path / "a.csv", [line(1), line(2)])
    bulk_load(any_runtime.uow_factory(), path, "csv")
    new_key = "rotated-key-" + "r" * 30
    rotated = ServiceRuntime(SPEC, Settings(hash_key=new_key), database_url=any_runtime.database_url)
    try:
        # First the numbers' own hashes (their unique key), as OPERATIONS §8 says:
        # `xueji national-query rehash`.
        for rewritten in (2, 0):
            with rotated.engine.begin() as conn:
                assert rehash_numbers(conn) == rewritten
        report = bulk_load(rotated.uow_factory(), path, "csv")
        assert (report.rows_inserted, report.rows_updated) == (0, 2)
        with rotated.uow_factory() as uow:
            number = line(1)[5]
            assert len(uow.records.by_document("张三", [document_hash(new_key, "1", number)])) == 1
            assert (
                uow.records.by_document("张三", [document_hash(any_runtime.settings.hash_key, "1", number)])
                == []
            )
    finally:
        rotated.close()


def test_excel_files_load_too(any_runtime, tmp_path):
    book = openpyxl.Workbook()
    book.active.append(HEADER)
    for i in range(1, 4):
        book.active.append(line(i))
    book.save(tmp_path / "a.xlsx")
    report = bulk_load(any_runtime.uow_factory(), tmp_path / "a.xlsx", "xlsx")
    assert (report.rows_inserted, report.rows_failed) == (3, 0)


def test_a_file_missing_columns_loads_nothing(runtime, tmp_path):
    from xueji_common.errors import InvalidArgument

    with pytest.raises(InvalidArgument) as exc:
        bulk_load(runtime.uow_factory(), write_csv(tmp_path / "a.csv", [["x"]], header=["姓名"]), "csv")
    assert "全国学籍号" in exc.value.violations[0].description
    assert count(runtime) == 0


def test_a_loaded_record_is_replaced_by_the_events_of_the_same_number(runtime, tmp_path):
    number = "33010220150601123X"
    bulk_load(
        runtime.uow_factory(),
        write_csv(tmp_path / "a.csv", [line(1, national_student_number="G" + number)]),
        "csv",
    )
    created(runtime, number=number)
    with runtime.uow_factory() as uow:
        [record] = uow.records.by_student_number("张三", "G" + number)
    assert record.record_id == "r1" and count(runtime) == 1


def stream(path, file_name="records.csv", fmt=nq.BULK_LOAD_FORMAT_CSV, province=""):
    yield nq.BulkLoadRecordsRequest(
        header=nq.BulkLoadHeader(file_name=file_name, format=fmt, province_code=province)
    )
    data = path.read_bytes()
    for i in range(0, len(data), 100):
        yield nq.BulkLoadRecordsRequest(chunk=data[i : i + 100])


def test_over_grpc_in_chunks_with_the_province_in_the_header(serve, auth, runtime, national_dedup, tmp_path):
    stub = national_query_pb2_grpc.NationalQueryStub(serve())
    header = [h for h in HEADER if h != "所在省份"]
    rows = [[v for c, v in zip(COLUMNS, line(i)) if c.header != "所在省份"] for i in range(1, 4)]
    report = stub.BulkLoadRecords(
        stream(write_csv(tmp_path / "a.csv", rows, header), province="320000"),
        metadata=auth(Role.SYSTEM, "000000"),
    )
    assert (report.rows_total, report.rows_inserted, report.rows_failed) == (3, 3, 0)
    with runtime.uow_factory() as uow:
        assert uow.records.by_student_number("张三", line(1)[0])[0].province_code == "320000"
    with national_dedup.session_factory() as s:  # every loaded record a holder in the national dedup
        held = s.execute(select(holdings.c.record_id, holdings.c.province_code)).all()
    key = runtime.settings.hash_key  # the ids national-query gave them (never the numbers)
    assert sorted(held) == sorted(
        (loaded_record_id(student_number_hash(key, line(i)[0])), "320000") for i in range(1, 4)
    )


def test_over_grpc_refusals(serve, auth, national_dedup, tmp_path):
    stub = national_query_pb2_grpc.NationalQueryStub(serve())
    path = write_csv(tmp_path / "a.csv", [line(1)])
    with pytest.raises(grpc.RpcError) as exc:
        stub.BulkLoadRecords(stream(path), metadata=auth(Role.DEPARTMENT_REGISTRAR, "330000"))
    assert exc.value.code() == grpc.StatusCode.PERMISSION_DENIED
    with pytest.raises(grpc.RpcError) as exc:
        stub.BulkLoadRecords(
            iter([nq.BulkLoadRecordsRequest(chunk=b"x")]), metadata=auth(Role.SYSTEM, "000000")
        )
    assert [f for f, _ in field_violations(exc.value)] == ["header"]
    with pytest.raises(grpc.RpcError) as exc:
        stub.BulkLoadRecords(
            stream(path, "a.txt", nq.BULK_LOAD_FORMAT_UNSPECIFIED), metadata=auth(Role.SYSTEM, "000000")
        )
    assert [f for f, _ in field_violations(exc.value)] == ["header.format"]
    with pytest.raises(grpc.RpcError) as exc:
        stub.BulkLoadRecords(
            stream(path, "a.xlsx", nq.BULK_LOAD_FORMAT_XLSX), metadata=auth(Role.SYSTEM, "000000")
        )
    assert (
        exc.value.code() == grpc.StatusCode.INVALID_ARGUMENT and "Excel" in field_violations(exc.value)[0][1]
    )
    report = stub.BulkLoadRecords(stream(path), metadata=auth(Role.DEPARTMENT_REGISTRAR, "000000"))
    assert report.rows_inserted == 1


def test_loaded_numbers_are_stored_encrypted_and_found_by_their_hash(any_runtime, tmp_path):
    for n in (1, 2):  # the first load goes straight in, the second through staging (PostgreSQL)
        bulk_load(any_runtime.uow_factory(), write_csv(tmp_path / f"{n}.csv", [line(n)]), "csv")
    with any_runtime.engine.connect() as conn:
        stored = conn.exec_driver_sql(
            "SELECT record_id, national_student_number, national_student_number_hash FROM national_records"
        ).all()
    assert len(stored) == 2 and all(is_encrypted(number) for _, number, _ in stored)
    assert [line(n)[5] for n in (1, 2) if line(n)[5] in repr(stored)] == []  # nowhere, the ids included
    key = any_runtime.settings.hash_key
    assert sorted(h for _, _, h in stored) == sorted(student_number_hash(key, line(n)[0]) for n in (1, 2))
    with any_runtime.uow_factory() as uow:
        for n in (1, 2):
            [record] = uow.records.by_student_number("张三", line(n)[0])
            assert record.national_student_number == line(n)[0]


def test_free_text_with_tabs_backslashes_and_line_breaks_loads_as_written(any_runtime, tmp_path):
    odd = {1: ("张\\三", "胜利\t小学\n（分校）"), 2: ("李\t四", "城东\\小学\r\n二部")}
    for n, (name, school) in odd.items():  # the first load goes straight in, the second through staging
        report = bulk_load(
            any_runtime.uow_factory(),
            write_csv(tmp_path / f"{n}.csv", [line(n, name=name, school_name=school)]),
            "csv",
        )
        assert report.rows_inserted == 1
    with any_runtime.uow_factory() as uow:
        for n, (name, school) in odd.items():
            [record] = uow.records.by_student_number(name, line(n)[0])
            assert record.school_name == school


def test_a_first_load_leaves_the_keys_and_indexes_as_the_migrations_made_them(runtime, tmp_path):
    def indexes():
        with runtime.engine.connect() as conn:
            return conn.exec_driver_sql(
                "SELECT indexname, indexdef FROM pg_indexes "
                "WHERE tablename = 'national_records' ORDER BY indexname"
            ).all()

    before = indexes()
    assert len(before) == 4
    bulk_load(runtime.uow_factory(), write_csv(tmp_path / "a.csv", [line(i) for i in range(1, 51)]), "csv")
    assert indexes() == before
    with runtime.engine.connect() as conn:
        assert (
            conn.exec_driver_sql("SELECT reltuples FROM pg_class WHERE relname = 'national_records'").scalar()
            == 50
        )
        with pytest.raises(Exception, match="duplicate key"):
            conn.exec_driver_sql(
                "INSERT INTO national_records SELECT (r).* FROM (SELECT r FROM national_records r LIMIT 1) x"
            )  # the same row again: the keys hold


def test_the_record_keys_compare_bytes_so_a_first_load_sorts_them_fast(runtime):
    """Migration nq0003 (alembic's model comparison does not look at collations)."""
    with runtime.engine.connect() as conn:
        collations = dict(
            conn.exec_driver_sql(
                "SELECT column_name, collation_name FROM information_schema.columns "
                "WHERE table_name = 'national_records' AND collation_name = 'C'"
            ).all()
        )
    assert set(collations) == {"record_id", "national_student_number_hash", "name", "document_hash"}


def test_a_file_unreadable_past_its_start_loads_nothing(any_runtime, tmp_path, monkeypatch):
    from xueji_common.errors import InvalidArgument

    monkeypatch.setattr(bulk_load_module, "BATCH", 10)  # many batches already written when it fails
    path = write_csv(tmp_path / "a.csv", [line(i) for i in range(1, 800)])  # more than the encoding sniff
    path.write_bytes(path.read_bytes() + b"G3301022015060\xff\xfe,\n")
    with pytest.raises(InvalidArgument) as exc:
        bulk_load(any_runtime.uow_factory(), path, "csv")
    assert "文件无法读取" in exc.value.violations[0].description
    assert count(any_runtime) == 0
    # nothing of the failed load is left: the next one is a first load again, and succeeds
    report = bulk_load(
        any_runtime.uow_factory(), write_csv(tmp_path / "b.csv", [line(i) for i in range(1, 30)]), "csv"
    )
    assert (report.rows_inserted, report.rows_updated) == (29, 0) and count(any_runtime) == 29


def test_progress_and_the_rejected_rows_of_a_file_of_many_batches(any_runtime, tmp_path, monkeypatch):
    """Progress is reported by rows read, good or bad; the report keeps the first MAX_ERRORS problems
    and says that there were more; the good rows of every batch are loaded, a first load and a reload."""
    monkeypatch.setattr(bulk_load_module, "BATCH", 4)
    monkeypatch.setattr(bulk_load_module, "PROGRESS_EVERY", 10)
    monkeypatch.setattr(bulk_load_module, "MAX_ERRORS", 5)
    rows = [line(i, gender="9") if i % 5 == 0 else line(i) for i in range(1, 41)]  # every fifth row is bad
    for name, (inserted, updated) in (("a.csv", (32, 0)), ("b.csv", (0, 0))):
        progress: list[tuple[int, int]] = []
        report = bulk_load(
            any_runtime.uow_factory(),
            write_csv(tmp_path / name, rows),
            "csv",
            progress=lambda done, total, progress=progress: progress.append((done, total)),
        )
        assert (report.rows_total, report.rows_inserted, report.rows_updated, report.rows_failed) == (
            40,
            inserted,
            updated,
            8,
        )
        assert [(e.row_number, e.column) for e in report.errors] == [(n, "性别") for n in (6, 11, 16, 21, 26)]
        assert report.errors_truncated
        assert progress == [(10, 40), (20, 40), (30, 40), (40, 40), (40, 40)]
        assert count(any_runtime) == 32
