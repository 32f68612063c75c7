"""Imports running in the background of the console, so that a long file does not hold the upload's
request open: the page polls the job (htmx) and is sent to the report when the service answers.

The service answers an import in one call and tells nothing before it ends, so what a job shows is
its phase and the time it has taken. Jobs live in this process: with several replicas the polling
must reach the replica that took the upload (session affinity), else the page says the job is
unknown and the report is found from 学籍注册查询. Finished jobs are forgotten after an hour."""

from __future__ import annotations

import logging
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

from xueji_common import logs
from xueji_console.backend import Failure

log = logging.getLogger(__name__)
KEEP_SECONDS = 3600
_executor = ThreadPoolExecutor(max_workers=4, thread_name_prefix="console-import")
_jobs: dict[str, ImportJob] = {}
_lock = threading.Lock()


@dataclass
class ImportJob:
    job_id: str
    owner: str  # the session that uploaded it: nobody else sees it
    file_name: str
    kind: int
    category: int
    started: float = field(default_factory=time.monotonic)
    finished: float | None = None
    report: object = None  # the service's ImportReport once done
    failure: Failure | None = None  # or its refusal

    @property
    def seconds(self) -> int:
        return int((self.finished or time.monotonic()) - self.started)


def start(owner: str, file_name: str, kind: int, category: int, run) -> ImportJob:
    """Run `run()` (the import call) in the background as a new job of session `owner`."""
    job = ImportJob(uuid.uuid4().hex, owner, file_name, kind, category)
    with _lock:
        now = time.monotonic()
        for stale in [k for k, j in _jobs.items() if j.finished and now - j.finished > KEEP_SECONDS]:
            del _jobs[stale]
        _jobs[job.job_id] = job

    def work():
        try:
            job.report = run()
        except Failure as failure:
            job.failure = failure
        except Exception:
            error_id = uuid.uuid4().hex[:12]
            log.exception("import job failed", extra=logs.fields(error_id=error_id))
            job.failure = Failure(500, f"系统繁忙，请稍后再试（错误编号 {error_id}）", error_id=error_id)
        finally:
            job.finished = time.monotonic()

    _executor.submit(work)
    return job


def get(job_id: str, owner: str) -> ImportJob | None:
    with _lock:
        job = _jobs.get(job_id)
    return job if job is not None and job.owner == owner else None
