"""End-to-end fixtures: a cluster of real service processes per test.

When a test fails, every process log is attached to its report (sections "cluster log: <name>") and
the log directory is kept (its path is printed). XUEJI_E2E_KEEP_LOGS=1 keeps it for passing tests too.
"""
from __future__ import annotations

import os

import pytest

from tests.e2e.cluster import Cluster
from xueji_common.testing import infra

LOG_TAIL = 30_000  # characters of each process log attached to a failure report


def _require_servers() -> None:
    try:
        infra.check_postgres()
        infra.check_rabbitmq()
    except infra.InfraUnavailable as exc:
        if os.environ.get("CI"):
            pytest.fail(f"required server missing under CI: {exc}")
        pytest.skip(str(exc))


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    cluster = getattr(item, "funcargs", {}).get("cluster")
    if report.failed and isinstance(cluster, Cluster):
        item._cluster_failed = True
        for name, text in cluster.logs().items():
            report.sections.append((f"cluster log: {name}", text[-LOG_TAIL:]))
        report.sections.append(("cluster log dir", str(cluster.dir)))


@pytest.fixture
def cluster(request):
    """registration (server) + review (server and worker) on fresh databases and a fresh vhost."""
    _require_servers()
    c = Cluster(services=["registration", "review"], workers=["review"])
    yield c
    c.close(keep_dir=getattr(request.node, "_cluster_failed", False) or bool(os.environ.get("XUEJI_E2E_KEEP_LOGS")))
