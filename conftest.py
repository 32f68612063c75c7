"""Fixtures shared by every test suite: fresh PostgreSQL databases, RabbitMQ vhosts, service runtimes.

Under CI (CI=true) a server that is not running fails the test; locally it skips with the reason.
"""

from __future__ import annotations

import os

import pytest
from hypothesis import HealthCheck, settings

from xueji_common.testing import infra

# Property tests judge answers, not speed (speed is bench/'s): on a shared 2-core machine under CI's
# load, hypothesis's per-example deadline and its "generation too slow" check fail correct code.
settings.register_profile("xueji", deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("xueji")


def _require(check) -> None:
    try:
        check()
    except infra.InfraUnavailable as exc:
        if os.environ.get("CI"):
            pytest.fail(f"required server missing under CI: {exc}")
        pytest.skip(str(exc))


@pytest.fixture
def pg_database():
    """Factory of fresh PostgreSQL databases (dropped after the test): `url = pg_database()`."""
    _require(infra.check_postgres)
    created = []

    def make(prefix: str = "xueji_test") -> str:
        created.append(infra.new_database(prefix))
        return created[-1]

    yield make
    for url in created:
        infra.drop(url)


@pytest.fixture
def amqp_uri():
    """A fresh RabbitMQ vhost for the test; yields its AMQP URI."""
    _require(infra.check_rabbitmq)
    vhost, uri = infra.new_vhost()
    yield uri
    infra.delete_vhost(vhost)


@pytest.fixture
def service_runtime(pg_database):
    """Factory: a service's runtime on a fresh, migrated PostgreSQL database (closed after the test)."""
    from xueji_common.config import Settings
    from xueji_common.runtime.bootstrap import ServiceRuntime

    runtimes = []

    def make(spec, settings: Settings | None = None):
        runtime = ServiceRuntime(spec, settings or Settings(), database_url=pg_database())
        runtime.migrate()
        runtimes.append(runtime)
        return runtime

    yield make
    for runtime in runtimes:
        runtime.close()


@pytest.fixture(params=["postgresql", "sqlite"])
def fresh_runtime_of(request, tmp_path, pg_database):
    """Factory: a service's runtime on a fresh, migrated database of the parameter's kind, for tests
    that must see the same answer on PostgreSQL and SQLite (issue 16's batch handlers against their
    single path): `fresh_runtime_of(spec, settings=None)`; several calls give several databases."""
    from xueji_common.config import Settings
    from xueji_common.runtime.bootstrap import ServiceRuntime

    runtimes = []

    def make(spec, settings: Settings | None = None):
        url = (
            pg_database()
            if request.param == "postgresql"
            else f"sqlite:///{tmp_path / f'db{len(runtimes)}.db'}"
        )
        runtime = ServiceRuntime(spec, settings or Settings(), database_url=url)
        runtime.migrate()
        runtimes.append(runtime)
        return runtime

    yield make
    for runtime in runtimes:
        runtime.close()
