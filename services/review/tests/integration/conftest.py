"""Fixtures of review's integration tests (helpers in review_harness).

One migrated PostgreSQL database and one gRPC server per test module, emptied before each test:
creating and migrating a database per test cost a second each.
"""

from __future__ import annotations

import os

import pytest
from review_harness import Review
from sqlalchemy import text

from xueji_common.config import Settings
from xueji_common.grpcserver.server import GrpcServer
from xueji_common.runtime.bootstrap import ServiceRuntime
from xueji_common.testing import infra
from xueji_review.spec import SPEC


@pytest.fixture(scope="module")
def _review_service():
    try:
        infra.check_postgres()
    except infra.InfraUnavailable as exc:
        if os.environ.get("CI"):
            pytest.fail(f"required server missing under CI: {exc}")
        pytest.skip(str(exc))
    url = infra.new_database("xueji_test_review")
    runtime = ServiceRuntime(SPEC, Settings(), database_url=url)
    runtime.migrate()
    server = GrpcServer(
        SPEC.grpc_bindings(runtime),
        f"127.0.0.1:{infra.free_port()}",
        runtime.tokens,
        public_methods=SPEC.public_methods,
    )
    server.start()
    yield Review(runtime, server.address)
    server.stop(grace=0)
    runtime.close()
    infra.drop(url)


@pytest.fixture
def review(_review_service):
    tables = ", ".join(t.name for t in SPEC.metadata.sorted_tables)
    with _review_service.rt.engine.begin() as conn:
        conn.execute(text(f"TRUNCATE {tables} RESTART IDENTITY"))
    return _review_service
