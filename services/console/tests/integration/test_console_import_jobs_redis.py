"""Import jobs in Redis: a job whose stream one replica reads is polled from another, its rows done
going up as the service tells them, then its report; a refusal reaches the other replica too."""

from __future__ import annotations

import os
import threading

import pytest

from xueji.v1 import registration_pb2 as r
from xueji_console import import_jobs
from xueji_console.backend import Failure
from xueji_console.import_jobs import RedisJobs

REDIS_URL = os.environ.get("XUEJI_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


@pytest.fixture
def replicas():
    import redis

    try:
        redis.Redis.from_url(REDIS_URL).ping()
    except redis.ConnectionError as exc:
        if os.environ.get("CI"):
            pytest.fail(f"Redis required under CI: {exc}")
        pytest.skip(f"Redis not running: {exc}")
    return RedisJobs(REDIS_URL), RedisJobs(REDIS_URL)


def held_stream(messages, steps: list[threading.Event], told: list[threading.Event]):
    """StreamImportApplications' messages, the next one only once the test lets it through."""
    for message, step, done in zip(messages, steps, told, strict=True):
        step.wait(10)
        yield message
        done.set()


def wait_for(event: threading.Event) -> None:
    assert event.wait(10)


def test_another_replica_sees_the_rows_done_go_up_then_the_report(replicas):
    taker, poller = replicas
    checking = r.IMPORT_STAGE_CHECKING
    messages = [
        r.ImportProgress(stage=r.IMPORT_STAGE_READING),
        r.ImportProgress(stage=checking, rows_expected=2500, rows_checked=250, rows_stored=250),
        r.ImportProgress(stage=checking, rows_expected=2500, rows_checked=1250, rows_stored=1250),
        r.ImportProgress(
            stage=r.IMPORT_STAGE_DONE,
            rows_expected=2500,
            rows_checked=2500,
            rows_stored=2500,
            import_id="imp-1",
            rows_passed=2500,
        ),
    ]
    steps, told = [threading.Event() for _ in messages], [threading.Event() for _ in messages]
    job = import_jobs.start(taker, "sid-1", "插班生.xlsx", 2, 1, lambda: held_stream(messages, steps, told))
    seen = []
    for step, done in zip(steps, told, strict=True):
        step.set()
        wait_for(done)
        # the taker writes after each message; the poller reads what it wrote last
        for _ in range(100):
            polled = import_jobs.get(poller, job.job_id, "sid-1")
            if polled.rows_stored >= (seen[-1] if seen else 0) and polled.stage == messages[len(seen)].stage:
                break
            threading.Event().wait(0.05)
        seen.append(polled.rows_stored)
    assert seen == [0, 250, 1250, 2500]
    for _ in range(100):
        polled = import_jobs.get(poller, job.job_id, "sid-1")
        if polled.finished:
            break
        threading.Event().wait(0.05)
    assert polled.import_id == "imp-1" and polled.refusal is None
    assert import_jobs.get(poller, job.job_id, "another-session") is None


def test_a_refused_file_reaches_the_replica_that_polls(replicas):
    taker, poller = replicas

    def refused():
        raise Failure(400, "", {"file.content": "文件不是Excel工作簿"})
        yield  # a generator, as the stream is

    job = import_jobs.start(taker, "sid-2", "坏文件.xlsx", 2, 1, refused)
    for _ in range(100):
        polled = import_jobs.get(poller, job.job_id, "sid-2")
        if polled.finished:
            break
        threading.Event().wait(0.05)
    assert polled.refusal == Failure(400, "", {"file.content": "文件不是Excel工作簿"})
    assert not polled.import_id
