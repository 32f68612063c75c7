"""Excel imports of applications and the periodic clean-ups as use cases on the in-memory unit of
work: good rows become applications with their events, failed rows are reported per cell, an import
that fails on the way keeps nothing, a repeated request imports once; old imports and unattached
uploads are purged in batches. (gRPC, COPY, the files on disk and the purge's SQL conditions:
tests/integration/test_import_applications.py, test_upload_purge.py, test_encryption_at_rest.py.)"""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest
from registration_fakes import (
    HASH_KEY,
    SCHOOL,
    TREE,
    FakeFileBytes,
    FakeRegistrationUoW,
    entry,
    registrar,
)

from xueji_common.auth import Principal, Role
from xueji_common.documents import DocumentCategory
from xueji_common.errors import InvalidArgument, PermissionDenied
from xueji_common.vocabulary import RegistrationKind
from xueji_registration.adapters.excel import samples
from xueji_registration.domain.files import Purpose
from xueji_registration.domain.model import EntryChannel
from xueji_registration.domain.template.columns import registration_template
from xueji_registration.service_layer import import_retention, imports, uploads
from xueji_registration.service_layer.handlers import create_application
from xueji_registration.service_layer.import_reports import ImportStopped

TEMPLATE = registration_template(RegistrationKind.NON_PRIMARY_FRESHMAN, DocumentCategory.RESIDENT)


@pytest.fixture
def uow() -> FakeRegistrationUoW:
    return FakeRegistrationUoW()


def run(uow, content: bytes, principal: Principal | None = None, **kw):
    return imports.import_applications(
        uow,
        school_code=SCHOOL,
        kind=TEMPLATE.kind,
        category=TEMPLATE.category,
        file_name="新生.xlsx",
        content=content,
        request_id=kw.pop("request_id", ""),
        principal=principal or registrar(),
        tree=TREE,
        hash_key=HASH_KEY,
        **kw,
    )


def mixed_file() -> bytes:
    good = list(samples.student_rows(TEMPLATE, 4))
    bad_code = list(good[1])
    bad_code[5] = "火星族"  # 民族
    duplicate = list(good[0])  # same number as row 2
    return samples.workbook(TEMPLATE, [good[0], bad_code, good[2], duplicate, good[3]])


def test_good_rows_are_imported_with_their_events_and_failed_rows_reported_per_cell(uow):
    report = run(uow, mixed_file())
    record = report.record
    assert (record.rows_total, record.rows_passed, record.rows_failed) == (5, 3, 2)
    assert {(row, e.column) for row, e in report.errors} == {(3, "民族"), (5, "身份证件号")}
    assert "与第2行的身份证件号重复" in next(e.message for row, e in report.errors if row == 5)
    assert sorted(uow.applications.rows) == sorted(report.created_ids) and uow.commits == 1
    assert [t for t, *_ in uow.envelopes] == ["ApplicationSubmitted"] * 3
    app = uow.applications.rows[report.created_ids[0]]
    assert (app.entry_channel, app.import_id) == (EntryChannel.IMPORT, record.import_id)
    again = imports.get_import_report(uow, record.import_id, principal=registrar(), tree=TREE)
    assert again.errors == report.errors and again.created_ids == report.created_ids


def test_a_document_held_by_an_application_is_refused_naming_the_holder(uow):
    content = samples.workbook(TEMPLATE, samples.student_rows(TEMPLATE, 1))
    run(uow, content)
    second = run(uow, content)
    assert second.record.rows_failed == 1
    assert second.errors[0][1].message.startswith(
        "该身份证件号已被浙江省杭州市上城区胜利小学的学籍注册申请占用（"
    )


def test_the_same_request_id_imports_once(uow):
    content = samples.workbook(TEMPLATE, samples.student_rows(TEMPLATE, 2))
    first = run(uow, content, request_id="r-1")
    second = run(uow, content, request_id="r-1")
    assert first.record.import_id == second.record.import_id and len(uow.applications.rows) == 2


def test_an_import_whose_caller_has_gone_keeps_nothing(uow):
    content = samples.workbook(TEMPLATE, samples.student_rows(TEMPLATE, 3))

    def gone() -> None:
        raise ImportStopped()

    with pytest.raises(ImportStopped):
        run(uow, content, checkpoint=gone)
    assert not uow.applications.rows and not uow.imports.records and not uow.envelopes


def test_a_file_that_is_not_the_template_is_refused_and_nothing_is_written(uow):
    with pytest.raises(InvalidArgument) as err:
        run(uow, b"not a workbook")
    assert [v.field for v in err.value.violations] == ["file.content"]
    assert not uow.applications.rows and not uow.imports.records and uow.commits == 0


def test_only_the_schools_registrar_imports(uow):
    leader = Principal(user_id="l", role=Role.SCHOOL_LEADER, org_unit=SCHOOL)
    with pytest.raises(PermissionDenied):
        run(uow, mixed_file(), leader)


def test_old_imports_are_purged_in_batches_with_their_rows_and_recent_ones_stay(uow):
    old = [run(uow, mixed_file(), request_id=f"old-{i}").record for i in range(3)]
    recent = run(uow, samples.workbook(TEMPLATE, samples.student_rows(TEMPLATE, 1))).record
    with uow:  # made eight days ago
        for record in old:
            uow.imports.records[record.import_id] = dataclasses.replace(
                record, created_at=record.created_at - dt.timedelta(days=8)
            )
        uow.commit()
    commits, applications = uow.commits, dict(uow.applications.rows)
    assert import_retention.purge_old_imports(uow, older_than=dt.timedelta(days=7), batch=2) == 3
    assert uow.commits == commits + 2  # two batches, one transaction each
    assert list(uow.imports.records) == [recent.import_id] and list(uow.imports.stored) == [recent.import_id]
    assert uow.applications.rows == applications  # what the imports created stays


def test_unattached_uploads_older_than_the_limit_go_with_their_bytes_and_the_others_stay(uow):
    store = FakeFileBytes()
    ids = [
        uploads.upload_file(
            uow,
            store,
            school_code=SCHOOL,
            purpose=Purpose.PROOF_MATERIAL,
            file_name="证明.pdf",
            content_type="",
            content=b"%PDF-1.4\n",
            principal=registrar(),
            tree=TREE,
        ).file_id
        for _ in range(3)
    ]
    attached, old, recent = ids
    create_application(
        uow, entry("no_document", proofs=(attached,)), principal=registrar(), tree=TREE, hash_key=HASH_KEY
    )
    with uow:
        for file_id in (attached, old):
            uow.files.rows[file_id] = dataclasses.replace(
                uow.files.rows[file_id],
                uploaded_at=uow.files.rows[file_id].uploaded_at - dt.timedelta(days=3),
            )
        uow.commit()
    assert uploads.purge_unattached_uploads(uow, store) == 1
    assert sorted(uow.files.rows) == sorted([attached, recent])
    assert sorted(store.kept) == sorted(f"{SCHOOL}/{i}" for i in (attached, recent))
    assert uploads.purge_unattached_uploads(uow, store, older_than=dt.timedelta(0)) == 1  # the recent one
