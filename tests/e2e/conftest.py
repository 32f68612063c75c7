"""End-to-end fixtures: clusters of real service processes.

- `cluster`: registration (server) + review (server and worker), fresh for each test;
- `system_cluster`: the whole system of two provinces ("zj" 浙江, "js" 江苏) and the national tier,
  shared by the modules of the session that leave it in a state others can build on (flows,
  security, fuzzing); `zj` and `js` act in it (tests/e2e/actors.py), `people` hands out unused
  identities.
- `two_provinces`: the same two provinces in both topologies, parametrised: "production"
  (`system_cluster`) and "embedded" (`xueji serve --provinces zj,js`, tests/e2e/embedded_cluster.py),
  with `zj` and `js` actors of the same interface. A cross-province module runs in both with
  `zj, js = both_modes()` at its top (tests/e2e/topologies.py; overriding the session's actors).

When a test fails, every process log of its cluster is attached to its report (sections "cluster
log: <name>") and the log directory is kept (its path is printed). XUEJI_E2E_KEEP_LOGS=1 keeps it
for passing tests too. At the end the suite prints what it covered: flows, faults and cells of the
security matrix (tests marked `flow` / `fault`; `coverage.matrix_cells` counted by the matrix) and
the fuzzed requests and workbooks sent (`coverage.bad_inputs`, counted by test_bad_input).
"""

from __future__ import annotations

import os
import time

import pytest
from tests.e2e.actors import People, Province
from tests.e2e.cluster import Cluster, simple, system
from tests.e2e.coverage import coverage
from tests.e2e.embedded_cluster import EmbeddedCluster
from tests.e2e.topologies import SCHOOLS, TwoProvinces

from xueji_common.testing import infra

LOG_TAIL = 30_000  # characters of each process log attached to a failure report
STARTED = time.monotonic()


def require_servers() -> None:
    try:
        infra.check_postgres()
        infra.check_rabbitmq()
    except infra.InfraUnavailable as exc:
        if os.environ.get("CI"):
            pytest.fail(f"required server missing under CI: {exc}")
        pytest.skip(str(exc))


def keep_logs(request) -> bool:
    return getattr(request.node, "_cluster_failed", False) or bool(os.environ.get("XUEJI_E2E_KEEP_LOGS"))


def pytest_configure(config):
    config.addinivalue_line("markers", "flow: an end-to-end business flow (counted in the summary)")
    config.addinivalue_line("markers", "fault: an end-to-end fault test (counted in the summary)")


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    if report.when == "call" and report.passed:
        for kind in coverage.passed:
            if item.get_closest_marker(kind):
                coverage.passed[kind] += 1
    clusters = [
        v for v in getattr(item, "funcargs", {}).values() if isinstance(v, (Cluster, EmbeddedCluster))
    ]
    clusters += [v.cluster for v in getattr(item, "funcargs", {}).values() if isinstance(v, Province)]
    if report.failed and clusters:
        item._cluster_failed = True
        item.session._cluster_failed = True
        for c in dict.fromkeys(clusters):
            for name, text in c.logs().items():
                report.sections.append((f"cluster log: {name}", text[-LOG_TAIL:]))
            report.sections.append(("cluster log dir", str(c.dir)))


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    if not (
        coverage.passed["flow"] or coverage.passed["fault"] or coverage.matrix_cells or coverage.bad_inputs
    ):
        return
    terminalreporter.section("end-to-end coverage")
    terminalreporter.write_line(
        f"flows: {coverage.passed['flow']}  faults: {coverage.passed['fault']}  "
        f"security matrix cells: {coverage.matrix_cells}  bad inputs: {coverage.bad_inputs}  "
        f"run time: {time.monotonic() - STARTED:.0f} s"
    )


@pytest.fixture
def cluster(request):
    """registration (server) + review (server and worker) on fresh databases and a fresh vhost."""
    require_servers()
    c = Cluster(simple(["registration", "review"], ["review"]))
    yield c
    c.close(keep_dir=keep_logs(request))


@pytest.fixture(scope="session")
def system_cluster(request):
    require_servers()
    c = Cluster(system(["zj", "js"]))
    yield c
    c.close(
        keep_dir=getattr(request.session, "_cluster_failed", False)
        or bool(os.environ.get("XUEJI_E2E_KEEP_LOGS"))
    )


@pytest.fixture(scope="session")
def people():
    return People()


@pytest.fixture(scope="session")
def zj(system_cluster):
    province = Province(system_cluster, "zj", SCHOOLS["zj"])
    yield province
    province.close()


@pytest.fixture(scope="session")
def js(system_cluster):
    province = Province(system_cluster, "js", SCHOOLS["js"])
    yield province
    province.close()


@pytest.fixture(scope="session")
def embedded_cluster(request):
    """`xueji serve --provinces zj,js` (SQLite, in-process buses), shared by the session."""
    c = EmbeddedCluster(["zj", "js"])
    yield c
    c.close(
        keep_dir=getattr(request.session, "_cluster_failed", False)
        or bool(os.environ.get("XUEJI_E2E_KEEP_LOGS"))
    )


@pytest.fixture(scope="session", params=["production", "embedded"])
def two_provinces(request):
    if request.param == "production":
        require_servers()
    cluster = request.getfixturevalue(
        "system_cluster" if request.param == "production" else "embedded_cluster"
    )
    both = TwoProvinces(request.param, cluster)
    yield both
    both.close()
