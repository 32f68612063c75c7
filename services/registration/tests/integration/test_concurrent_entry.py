"""Two imports (or an import and a manual entry) of the same document at the same time on PostgreSQL:
one live application, and the other gets the usual duplicate message (ux_applications_live_document)."""

from __future__ import annotations

import threading
import time

import pytest
from sqlalchemy import func, select, text

from xueji_common.auth import Principal, Role
from xueji_common.documents import DocumentCategory, DocumentType, mask_document_number
from xueji_common.errors import AlreadyExists
from xueji_common.vocabulary import RegistrationKind
from xueji_registration.adapters.excel import samples
from xueji_registration.adapters.tables import applications
from xueji_registration.domain.template.columns import registration_template
from xueji_registration.service_layer.handlers import CreateApplication, create_application
from xueji_registration.service_layer.imports import import_applications
from xueji_registration.spec import SPEC
from xueji_registration.testing import sample_form

SCHOOL = "1330102001"
REGISTRAR = Principal("u1", Role.SCHOOL_REGISTRAR, SCHOOL)
HOLDER = "浙江省杭州市上城区胜利小学"
TEMPLATE = registration_template(RegistrationKind.NON_PRIMARY_FRESHMAN, DocumentCategory.RESIDENT)
ROWS = list(samples.student_rows(TEMPLATE, 3))
SHARED = ROWS[1][8]  # the document number both files hold


@pytest.fixture
def runtime(service_runtime):
    return service_runtime(SPEC)


def run_import(rt, content, progress=None):
    return import_applications(
        rt.uow_factory(),
        school_code=SCHOOL,
        kind=TEMPLATE.kind,
        category=TEMPLATE.category,
        file_name="x.xlsx",
        content=content,
        request_id="",
        principal=REGISTRAR,
        tree=rt.tree,
        hash_key=rt.settings.hash_key,
        progress=progress,
    )


def in_background(results: dict, key: str, call) -> threading.Thread:
    def run():
        try:
            results[key] = call()
        except Exception as exc:  # handed to the test
            results[key] = exc

    thread = threading.Thread(target=run)
    thread.start()
    return thread


def held_open_import(rt, results):
    """An import of ROWS[0] and ROWS[1] that has written its applications and waits to commit."""
    written, release = threading.Event(), threading.Event()

    def wait_before_commit(total):
        written.set()
        assert release.wait(60)

    thread = in_background(
        results,
        "first",
        lambda: run_import(rt, samples.workbook(TEMPLATE, ROWS[:2]), progress=wait_before_commit),
    )
    assert written.wait(60)
    return thread, release


def wait_for_a_lock_wait(rt, seconds=20.0) -> bool:
    """Whether another session is waiting for a lock (on the first import's uncommitted entry)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        with rt.session_factory() as s:
            waiting = s.execute(
                text(
                    "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                    "AND wait_event_type = 'Lock'"
                )
            ).scalar()
        if waiting:
            return True
        time.sleep(0.05)
    return False


def live_applications(rt) -> list[str]:
    with rt.session_factory() as s:
        return sorted(
            s.execute(
                select(applications.c.document_number).where(  # stored encrypted: sorted here
                    applications.c.state != "withdrawn"
                )
            ).scalars()
        )


def test_two_imports_of_the_same_document_at_once_leave_one_application(runtime):
    results: dict = {}
    first, release = held_open_import(runtime, results)
    second = in_background(
        results, "second", lambda: run_import(runtime, samples.workbook(TEMPLATE, [ROWS[2], ROWS[1]]))
    )
    waited = wait_for_a_lock_wait(runtime)
    release.set()
    first.join(60)
    second.join(60)
    assert waited, "the second import did not wait for the first one's uncommitted application"
    a, b = results["first"], results["second"]
    assert (a.record.rows_passed, a.record.rows_failed) == (2, 0)
    assert (b.record.rows_passed, b.record.rows_failed) == (1, 1)
    [(row, error)] = b.errors
    assert (row, error.column, error.field) == (3, "身份证件号", "student.document.number")
    assert (
        error.message == f"该身份证件号已被{HOLDER}的学籍注册申请占用（{mask_document_number(ROWS[1][8])}）"
    )
    assert live_applications(runtime) == sorted(r[8] for r in ROWS)
    with runtime.session_factory() as s:  # nothing of the lost attempt stays: one import record each
        assert s.execute(select(func.count()).select_from(SPEC.metadata.tables["imports"])).scalar() == 2
        assert s.execute(select(func.count()).select_from(SPEC.metadata.tables["outbox"])).scalar() == 3


def test_a_manual_entry_racing_an_import_gets_the_duplicate_error(runtime):
    results: dict = {}
    first, release = held_open_import(runtime, results)
    entry = CreateApplication(
        school_code=SCHOOL,
        kind=TEMPLATE.kind,
        category=TEMPLATE.category,
        name="张三",
        gender=None,
        birth_date=None,
        document_type=DocumentType.RESIDENT_ID,
        document_number=SHARED,
        form=sample_form(),
    )
    second = in_background(
        results,
        "second",
        lambda: create_application(
            runtime.uow_factory(),
            entry,
            principal=REGISTRAR,
            tree=runtime.tree,
            hash_key=runtime.settings.hash_key,
        ),
    )
    waited = wait_for_a_lock_wait(runtime)
    release.set()
    first.join(60)
    second.join(60)
    assert waited
    assert results["first"].record.rows_passed == 2
    assert isinstance(results["second"], AlreadyExists)
    assert results["second"].message.startswith(f"该身份证件号已被{HOLDER}的学籍注册申请占用（")
    assert live_applications(runtime) == sorted(r[8] for r in ROWS[:2])
