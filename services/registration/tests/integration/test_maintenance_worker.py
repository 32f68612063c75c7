"""The registration worker process (`xueji-registration-worker`, eventlet-patched, on RabbitMQ) runs
the periodic jobs by itself: a transfer left 匹配中 is matched once national-query answers again,
and an old unattached upload is purged, row and file, with an INFO line that names no child."""

import datetime as dt
import json
import os
import subprocess
import sys
import time
from pathlib import Path
from types import SimpleNamespace

from intake_harness import intake, record  # noqa: F401 (fixture)
from sqlalchemy import update
from test_preschool_rematch import MATCHED, get, pending_children
from test_upload_purge import stored, uploaded_ago

from xueji.v1 import common_pb2, registration_pb2
from xueji_common.db.engine import now
from xueji_registration.adapters.preschool_tables import preschool_transfers
from xueji_registration.testing import resident_id

WORKER = Path(sys.executable).parent / "xueji-registration-worker"
WAIT = 30.0  # seconds


def test_the_worker_rematches_and_purges_by_itself(intake, amqp_uri, tmp_path):
    [child] = pending_children(intake, "241")
    with (
        intake.runtime.engine.begin() as conn
    ):  # the worker leaves a transfer a minute after its last matching
        conn.execute(update(preschool_transfers).values(updated_at=now() - dt.timedelta(minutes=2)))
    intake.records.by_number = {resident_id(seq="241"): [record("r1")]}
    upload = intake.call(
        "UploadProofMaterial",
        registration_pb2.UploadProofMaterialRequest(
            school_code="1330102001",
            purpose=registration_pb2.UPLOAD_PURPOSE_PROOF_MATERIAL,
            file=common_pb2.FileContent(file_name="证明.pdf", content=b"%PDF-1.4\n"),
        ),
    ).file_id
    files = SimpleNamespace(
        runtime=intake.runtime, files_dir=Path(os.environ["XUEJI_FILES_DIR"])
    )  # as the harness
    uploaded_ago(files, upload, dt.timedelta(days=2))
    env = {
        **os.environ,
        "XUEJI_DATABASE_URL": intake.runtime.database_url,
        "XUEJI_AMQP_URI": amqp_uri,
        "XUEJI_DATA_DIR": str(intake.runtime.settings.data_dir),  # the development key the peers trust
        "XUEJI_PEER_NATIONAL_QUERY": intake.runtime.settings.peer("national-query"),
        "XUEJI_METRICS_PORT": "0",
        "XUEJI_PRESCHOOL_REMATCH_INTERVAL_SECONDS": "1",
        "XUEJI_UPLOAD_PURGE_INTERVAL_SECONDS": "1",
        "XUEJI_LOG_FORMAT": "json",
    }
    log = tmp_path / "worker.log"
    with log.open("wb") as out:
        worker = subprocess.Popen(
            [str(WORKER)], env=env, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL
        )
    try:
        deadline = time.monotonic() + WAIT
        while get(intake, child).match_status != MATCHED or stored(files, upload) != (False, False):
            assert worker.poll() is None, log.read_text()
            assert time.monotonic() < deadline, (
                get(intake, child).match_status,
                stored(files, upload),
                list(files.files_dir.rglob("*")),
                log.read_text()[-3000:],
            )
            time.sleep(0.2)
    finally:
        worker.terminate()
        worker.wait(15)
    lines = [json.loads(line) for line in log.read_text().splitlines() if line.startswith("{")]
    purged = [
        entry for entry in lines if entry["msg"] == "unattached uploads purged" and entry["deleted"] == 1
    ]
    assert purged and purged[0]["level"] == "info"
    rematched = [entry for entry in lines if entry["msg"] == "preschool transfers rematched"]
    assert rematched and rematched[0]["matched"] == 1
    assert resident_id(seq="241") not in log.read_text() and "童241" not in log.read_text()
