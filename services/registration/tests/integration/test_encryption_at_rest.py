"""Registration's numbers, forms and failed-row cells encrypted at rest, on PostgreSQL: what the
database holds, the migration of rows written in clear, a data-key rotation by `rehash`, the import
purge, and who may ask for a number in clear (GetDocumentNumber)."""

from __future__ import annotations

import datetime as dt
import json

import grpc
import pytest
import sqlalchemy as sa
from intake_harness import SCHOOL, intake  # noqa: F401 (fixture)
from test_import_applications import mixed_file, request

from xueji.v1 import registration_pb2
from xueji_common.auth import Role
from xueji_common.datakeys import KeyRing, is_encrypted, key_id_of, new_key_text
from xueji_common.db.encrypted import bind_keyring
from xueji_common.db.engine import make_engine, now
from xueji_common.db.migrations import upgrade
from xueji_registration.adapters.preschool_tables import import_rows, imports
from xueji_registration.service_layer.import_retention import purge_old_imports
from xueji_registration.service_layer.rehash import reencrypt
from xueji_registration.spec import SPEC

ID_PATTERN = "3301022012"  # the birth-date prefix of every sample student's number


def raw(runtime, table: str, column: str) -> list:
    with runtime.engine.connect() as conn:
        return conn.execute(sa.text(f"SELECT {column} FROM {table}")).scalars().all()  # no decryption


def test_an_import_stores_numbers_forms_and_failed_cells_only_as_ciphertext(intake):
    report = intake.call("ImportApplications", request(mixed_file()))
    assert (report.rows_passed, report.rows_failed) == (3, 2)
    numbers = raw(intake.runtime, "applications", "document_number")
    assert len(numbers) == 3 and all(is_encrypted(n) and ID_PATTERN not in n for n in numbers)
    for column in ("applications.form", "import_rows.cells"):
        table, name = column.split(".")
        stored = [v if isinstance(v, str) else json.dumps(v) for v in raw(intake.runtime, table, name) if v]
        assert stored and all(
            ID_PATTERN not in v and '"enc": "xj1:' in v.replace('":"', '": "') for v in stored
        )
    # and the service reads them back: the number for the school, the failed rows for the report
    app = intake.call(
        "GetApplication", registration_pb2.GetApplicationRequest(application_id=report.created_ids[0])
    )
    assert app.student.document.number.startswith(ID_PATTERN)
    again = intake.call(
        "DownloadFailedRows", registration_pb2.DownloadFailedRowsRequest(import_id=report.import_id)
    )
    assert again.content


def test_only_the_dedup_service_gets_a_number_in_clear(intake):
    report = intake.call("ImportApplications", request(mixed_file()))
    ask = registration_pb2.GetDocumentNumberRequest(application_id=report.created_ids[0])
    for role, org in ((Role.SCHOOL_REGISTRAR, SCHOOL), (Role.SYSTEM, "000000")):  # a system user not dedup
        with pytest.raises(grpc.RpcError) as err:
            intake.call("GetDocumentNumber", ask, role=role, org=org)
        assert err.value.code() is grpc.StatusCode.PERMISSION_DENIED
    token = intake.runtime.tokens.mint("service:dedup", Role.SYSTEM, "000000")
    got = intake.registrations.GetDocumentNumber(
        ask, metadata=[("authorization", f"Bearer {token}")], timeout=10
    )
    assert got.document.number.startswith(ID_PATTERN) and got.revision == 1 and len(got.document_hash) == 64


def test_the_dedup_service_gets_a_batch_of_numbers_in_one_call_each_with_its_outcome(intake):
    created = list(intake.call("ImportApplications", request(mixed_file())).created_ids)
    asked = registration_pb2.GetDocumentNumbersRequest(application_ids=[created[1], "missing", created[0]])
    with pytest.raises(grpc.RpcError) as err:
        intake.call("GetDocumentNumbers", asked, role=Role.SYSTEM, org="000000")  # a system user not dedup
    assert err.value.code() is grpc.StatusCode.PERMISSION_DENIED
    token = intake.runtime.tokens.mint("service:dedup", Role.SYSTEM, "000000")
    metadata = [("authorization", f"Bearer {token}")]
    got = intake.registrations.GetDocumentNumbers(asked, metadata=metadata, timeout=10).results
    assert [(r.application_id, r.found) for r in got] == [
        (created[1], True),
        ("missing", False),
        (created[0], True),
    ]
    for r in (got[0], got[2]):
        single = registration_pb2.GetDocumentNumberRequest(application_id=r.application_id)
        assert r.number == intake.registrations.GetDocumentNumber(single, metadata=metadata, timeout=10)
    with pytest.raises(grpc.RpcError) as err:
        intake.registrations.GetDocumentNumbers(
            registration_pb2.GetDocumentNumbersRequest(application_ids=["a", ""]),
            metadata=metadata,
            timeout=10,
        )
    assert err.value.code() is grpc.StatusCode.INVALID_ARGUMENT


def test_a_data_key_rotation_re_encrypts_every_value_once(intake):
    intake.call("ImportApplications", request(mixed_file()))
    rt = intake.runtime
    old_id = rt.settings.data_keyring().current_id
    bind_keyring(rt.engine, KeyRing.from_texts(new_key_text("k2027"), (rt.settings.data_key,)))
    counts = reencrypt(rt.uow_factory)
    assert counts["applications"] == 3 and counts["import_rows"] == 2
    assert {key_id_of(n) for n in raw(rt, "applications", "document_number")} == {"k2027"} != {old_id}
    assert sum(reencrypt(rt.uow_factory).values()) == 0  # a second run rewrites nothing
    bind_keyring(rt.engine, KeyRing.from_texts(new_key_text("k2028")))  # the old key dropped too early
    with pytest.raises(grpc.RpcError):
        intake.call("ListApplications", registration_pb2.ListApplicationsRequest(org_unit_code=SCHOOL))


def test_the_import_purge_deletes_old_imports_with_their_rows_and_keeps_recent_ones(intake):
    old = intake.call("ImportApplications", request(mixed_file())).import_id
    with intake.runtime.engine.begin() as conn:
        conn.execute(
            sa.update(imports)
            .where(imports.c.import_id == old)
            .values(created_at=now() - dt.timedelta(days=8))
        )
    recent = intake.call("ImportApplications", request(mixed_file(), request_id="again")).import_id
    assert purge_old_imports(intake.runtime.uow_factory(), older_than=dt.timedelta(days=7)) == 1
    with intake.runtime.engine.connect() as conn:
        left = set(conn.execute(sa.select(import_rows.c.import_id)).scalars())
    assert left == {recent}
    assert intake.count("applications") == 3  # what the import created stays
    with pytest.raises(grpc.RpcError) as err:
        intake.call("GetImportReport", registration_pb2.GetImportReportRequest(import_id=old))
    assert err.value.code() is grpc.StatusCode.NOT_FOUND


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_the_migration_encrypts_rows_written_in_clear(backend, tmp_path, request):
    url = (
        f"sqlite:///{tmp_path / 'r.db'}" if backend == "sqlite" else request.getfixturevalue("pg_database")()
    )
    engine = make_engine(url)
    upgrade(engine, SPEC.versions_dir, SPEC.metadata, revision="0004_pending_transfers")
    with engine.begin() as conn:  # an application and a failed import row as 0004 stored them
        conn.execute(
            sa.text(
                "INSERT INTO applications (application_id, school_code, kind, category, name, gender, "
                "birth_date, document_type, document_number, document_hash, state, authentication, form, "
                "created_by, created_at, revision, version) VALUES ('a1', :s, 'primary_freshman', "
                "'resident', '张三', 1, '2015-06-01', '1', :n, 'h', 'awaiting_dedup', 'not_authenticated', "
                ":f, 'u', :t, 1, 1)"
            ),
            dict(
                s=SCHOOL,
                n="330102201201010009",
                f=json.dumps(
                    {"grade": "11", "familyMembers": [{"document": {"number": "330102198501010110"}}]}
                ),
                t=now(),
            ),
        )
        conn.execute(
            sa.text("INSERT INTO import_rows (import_id, row_number, cells) VALUES ('i1', 2, :c)"),
            dict(c=json.dumps(["张三", "330102201201010009"])),
        )
    bind_keyring(engine, KeyRing.from_texts(new_key_text("k1")))
    upgrade(engine, SPEC.versions_dir, SPEC.metadata)
    with engine.connect() as conn:
        dump = " ".join(
            str(v)
            for t in ("applications", "import_rows")
            for row in conn.execute(sa.text(f"SELECT * FROM {t}"))
            for v in row
        )
        number, form = conn.execute(
            sa.select(
                SPEC.metadata.tables["applications"].c.document_number,
                SPEC.metadata.tables["applications"].c.form,
            )
        ).one()
    engine.dispose()
    assert "3301022012" not in dump and "330102198501010110" not in dump
    assert (
        number == "330102201201010009"
        and form["familyMembers"][0]["document"]["number"] == "330102198501010110"
    )
