"""Imports running in the background of the console, so that a long file does not hold the upload's
request open: the page polls the job (htmx) and is sent to the report when the service answers.

The import is `Registrations.StreamImportApplications`: the service tells the rows checked and
stored after each chunk, and the job keeps the last figures. A job's state is in a store the
replicas share (Redis under `xueji:console:import:<id>`, the sessions' Redis; in-process in
embedded mode or with `memory://`), so the page may poll any replica. The stream itself is read by
the replica that took the upload: if that replica stops, the stream closes, the service rolls the
import back, and the job stops being updated (the page says so once it has heard nothing for
STALE_SECONDS). Jobs are forgotten an hour after their last change."""

from __future__ import annotations

import json
import logging
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field

from xueji_common import logs
from xueji_console.backend import Failure

log = logging.getLogger(__name__)
KEEP_SECONDS = 3600
STALE_SECONDS = 300  # no word from the replica reading the stream for this long: it has stopped
_executor = ThreadPoolExecutor(max_workers=4, thread_name_prefix="console-import")

STAGES = {1: "读取文件", 2: "逐行校验并导入", 3: "保存导入结果", 4: "完成"}  # ImportStage


@dataclass
class ImportJob:
    job_id: str
    owner: str  # the session that uploaded it: nobody else sees it
    file_name: str
    kind: int
    category: int
    started: float = field(default_factory=time.time)  # wall clock: replicas compare it
    updated: float = field(default_factory=time.time)
    finished: float | None = None
    stage: int = 0
    rows_expected: int = 0
    rows_checked: int = 0
    rows_stored: int = 0
    import_id: str = ""  # the service's report, once done
    failure: dict | None = None  # or its refusal: Failure's fields

    @property
    def seconds(self) -> int:
        return int((self.finished or time.time()) - self.started)

    @property
    def stage_name(self) -> str:
        return STAGES.get(self.stage, "上传完成，等待导入")

    @property
    def stale(self) -> bool:
        return self.finished is None and time.time() - self.updated > STALE_SECONDS

    @property
    def refusal(self) -> Failure | None:
        return Failure(**self.failure) if self.failure is not None else None


class MemoryJobs:
    """Embedded mode, or a console of one replica."""

    def __init__(self) -> None:
        self._jobs: dict[str, str] = {}
        self._expiry: dict[str, float] = {}
        self._lock = threading.Lock()

    def put(self, job: ImportJob) -> None:
        with self._lock:
            now = time.time()
            for stale in [k for k, until in self._expiry.items() if until < now]:
                del self._jobs[stale], self._expiry[stale]
            self._jobs[job.job_id] = json.dumps(asdict(job))
            self._expiry[job.job_id] = now + KEEP_SECONDS

    def get(self, job_id: str) -> ImportJob | None:
        with self._lock:
            raw = self._jobs.get(job_id)
        return ImportJob(**json.loads(raw)) if raw else None


class RedisJobs:
    """Production: the jobs in Redis, so that every replica answers the page's polling."""

    PREFIX = "xueji:console:import:"

    def __init__(self, url: str) -> None:
        import redis

        self._redis = redis.Redis.from_url(url)

    def put(self, job: ImportJob) -> None:
        self._redis.set(self.PREFIX + job.job_id, json.dumps(asdict(job)), ex=KEEP_SECONDS)

    def get(self, job_id: str) -> ImportJob | None:
        raw = self._redis.get(self.PREFIX + job_id)
        return ImportJob(**json.loads(raw)) if raw else None


def make_jobs(redis_url: str):
    from xueji_console.sessions import MEMORY_URL

    return RedisJobs(redis_url) if redis_url and redis_url != MEMORY_URL else MemoryJobs()


def start(jobs, owner: str, file_name: str, kind: int, category: int, stream) -> ImportJob:
    """Read `stream()` (StreamImportApplications' ImportProgress messages; Failure when refused) in
    the background as a new job of session `owner`, its figures kept in `jobs` as they come."""
    job = ImportJob(uuid.uuid4().hex, owner, file_name, kind, category)
    jobs.put(job)

    def work():
        try:
            for progress in stream():
                job.stage, job.updated = progress.stage, time.time()
                job.rows_expected = progress.rows_expected
                job.rows_checked, job.rows_stored = progress.rows_checked, progress.rows_stored
                job.import_id = progress.import_id  # set with the last message
                jobs.put(job)
        except Failure as failure:
            job.failure = asdict(failure)
        except Exception:
            error_id = uuid.uuid4().hex[:12]
            log.exception("import job failed", extra=logs.fields(error_id=error_id))
            job.failure = asdict(
                Failure(500, f"系统繁忙，请稍后再试（错误编号 {error_id}）", error_id=error_id)
            )
        if not job.import_id and job.failure is None:  # the stream ended without a report
            job.failure = asdict(Failure(500, "导入未完成，请在学籍注册查询中查看导入结果后重试"))
        job.finished = job.updated = time.time()
        jobs.put(job)

    _executor.submit(work)
    return job


def get(jobs, job_id: str, owner: str) -> ImportJob | None:
    job = jobs.get(job_id)
    return job if job is not None and job.owner == owner else None
