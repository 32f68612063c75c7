"""The purge of uploads never attached to an application, on PostgreSQL with files on disk: by the
use case and `xueji registration purge-uploads`; a file attached meanwhile is never deleted."""

import datetime as dt
import threading
import time

import grpc
import pytest
from click.testing import CliRunner
from registration_harness import _system, harness  # noqa: F401 (fixtures)
from sqlalchemy import select, text, update

from xueji_common.db.engine import now
from xueji_common.errors import InvalidArgument
from xueji_registration.adapters.files import FileStore
from xueji_registration.adapters.tables import uploaded_files
from xueji_registration.entrypoints.cli import cli
from xueji_registration.service_layer.uploads import purge_unattached_uploads

DAY = dt.timedelta(hours=24)


def purge(h, older_than=DAY):
    return purge_unattached_uploads(h.runtime.uow_factory(), FileStore(h.files_dir), older_than=older_than)


def uploaded_ago(h, file_id: str, age: dt.timedelta) -> None:
    with h.runtime.engine.begin() as conn:
        conn.execute(
            update(uploaded_files).where(uploaded_files.c.file_id == file_id).values(uploaded_at=now() - age)
        )


def stored(h, file_id: str) -> tuple[bool, bool]:
    """(row exists, bytes exist)."""
    with h.runtime.engine.connect() as conn:
        key = conn.execute(
            select(uploaded_files.c.storage_key).where(uploaded_files.c.file_id == file_id)
        ).scalar()
    return key is not None, any(p.name == file_id for p in h.files_dir.rglob("*"))


def test_old_unattached_uploads_go_with_their_files_attached_and_recent_ones_stay(harness):
    attached, old, recent = harness.upload(), harness.upload(), harness.upload()
    app = harness.create("no_document", proofs=[attached])
    for file_id in (attached, old):
        uploaded_ago(harness, file_id, dt.timedelta(days=3))
    assert stored(harness, old) == (True, True)
    assert purge(harness) == 1
    assert stored(harness, old) == (False, False)
    assert stored(harness, attached) == (True, True) and stored(harness, recent) == (True, True)
    assert len(harness.get(app).proof_materials) == 1
    # the purged file cannot be used any more; the recent one can
    with pytest.raises(grpc.RpcError) as err:
        harness.create("no_document", proofs=[old])
    assert err.value.code() is grpc.StatusCode.INVALID_ARGUMENT
    harness.create("no_document", proofs=[recent])
    assert purge(harness, dt.timedelta(0)) == 0


def test_the_command_purges_with_a_count_in_its_output(harness):
    old, recent = harness.upload(), harness.upload()
    uploaded_ago(harness, old, dt.timedelta(hours=30))
    env = {"XUEJI_DATABASE_URL": harness.runtime.database_url, "XUEJI_FILES_DIR": str(harness.files_dir)}
    default = CliRunner().invoke(cli, ["purge-uploads"], env=env)
    assert default.exit_code == 0, default.output
    assert "已删除 1 个上传超过 24 小时且未关联注册申请的文件" in default.output
    assert stored(harness, old) == (False, False) and stored(harness, recent) == (True, True)
    everything = CliRunner().invoke(cli, ["purge-uploads", "--older-than", "0"], env=env)
    assert "已删除 1 个上传超过 0 小时" in everything.output and stored(harness, recent) == (False, False)


def _waiting_for_a_lock(h) -> bool:
    with h.runtime.engine.connect() as conn:
        return bool(
            conn.execute(
                text(
                    "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                    "AND wait_event_type = 'Lock'"
                )
            ).scalar()
        )


def test_a_file_being_attached_while_the_purge_runs_is_kept(harness):
    file_id = harness.upload()
    uploaded_ago(harness, file_id, dt.timedelta(days=2))
    attaching = harness.runtime.uow_factory()
    with attaching:
        attaching.files.attach([file_id], "a" * 36)  # an application's transaction, not committed yet
        result = {}
        purger = threading.Thread(target=lambda: result.update(deleted=purge(harness)))
        purger.start()
        deadline = time.monotonic() + 10
        while not _waiting_for_a_lock(harness):  # the purge's DELETE waits for the attaching row
            assert time.monotonic() < deadline, "the purge never met the attaching transaction"
            time.sleep(0.02)
        attaching.commit()
    purger.join(10)
    assert result == {"deleted": 0} and stored(harness, file_id) == (True, True)


def test_an_application_does_not_take_a_file_purged_after_it_was_checked(harness):
    file_id = harness.upload()
    uploaded_ago(harness, file_id, dt.timedelta(days=2))
    submitting = harness.runtime.uow_factory()
    with submitting:
        assert file_id in submitting.files.get_many([file_id])  # the check sees it...
        assert purge(harness) == 1  # ...the purge commits first...
        with pytest.raises(InvalidArgument):  # ...so the application is refused
            submitting.files.attach([file_id], "a" * 36)
